//! Errors and hints: what an errno means in the course's terms, the errors that are not a
//! failed system call, and the word before a fatal error.

use std::fmt;

use nix::errno::Errno;

use super::{Lang, Text};

/// What an errno means in the course's terms.
pub fn errno_hint(errno: Errno) -> &'static str {
    let text = match errno {
        Errno::EADDRINUSE => Text {
            en: "another socket already holds this port (`ss -tuanp` shows which: a server listening, or, when SO_REUSEADDR is off, a connection in TIME-WAIT): choose another port, or --port 0 for any free one",
            fr: "une autre socket tient déjà ce port (`ss -tuanp` montre laquelle : un serveur à l'écoute ou, sans SO_REUSEADDR, une connexion en TIME-WAIT) : choisir un autre port, ou --port 0 pour un port libre",
        },
        Errno::EADDRNOTAVAIL => Text {
            en: "this address is not one of this machine's",
            fr: "cette adresse n'est pas une adresse de cette machine",
        },
        Errno::EACCES => Text {
            en: "a port below net.ipv4.ip_unprivileged_port_start (1024 unless changed) takes root or the CAP_NET_BIND_SERVICE capability (the course picks a port above 1000)",
            fr: "un port sous net.ipv4.ip_unprivileged_port_start (1024 sauf réglage) demande root ou la capacité CAP_NET_BIND_SERVICE (le cours choisit un port supérieur à 1000)",
        },
        Errno::ECONNREFUSED => Text {
            en: "the machine answered that no server listens on that port: a RST for TCP, an ICMP port unreachable for UDP",
            fr: "la machine a répondu qu'aucun serveur n'écoute sur ce port : un RST pour TCP, un ICMP port unreachable pour UDP",
        },
        Errno::ECONNRESET => Text {
            en: "the peer reset the connection (RST): it closed with unread data, closed its listening socket with this connection still queued, or vanished",
            fr: "le pair a réinitialisé la connexion (RST) : il a fermé sans tout lire, a fermé sa socket d'écoute avec cette connexion encore en file, ou a disparu",
        },
        Errno::EPIPE => Text {
            en: "the peer has closed its side: nothing more can be sent (Rust ignores SIGPIPE, so send() reports EPIPE instead of killing the program)",
            fr: "le pair a fermé son côté : plus rien ne peut être envoyé (Rust ignore SIGPIPE, send() renvoie donc EPIPE au lieu de tuer le programme)",
        },
        Errno::ETIMEDOUT => Text {
            en: "no answer from the other machine in time",
            fr: "pas de réponse de l'autre machine à temps",
        },
        Errno::EHOSTUNREACH | Errno::ENETUNREACH => Text {
            en: "no route to that address (internet layer)",
            fr: "pas de route vers cette adresse (couche internet)",
        },
        Errno::EMFILE | Errno::ENFILE => Text {
            en: "the table of open file descriptors is full: every socket is a descriptor",
            fr: "la table des descripteurs ouverts est pleine : chaque socket est un descripteur",
        },
        Errno::EINTR => Text {
            en: "a signal arrived while the call was waiting",
            fr: "un signal est arrivé pendant que l'appel attendait",
        },
        Errno::EAGAIN => Text {
            en: "nothing to do now: a non-blocking socket is not ready (wait for readiness), or a blocking one's timeout ran out",
            fr: "rien à faire pour l'instant : une socket non bloquante n'est pas prête (attendre qu'elle le soit), ou le délai d'une socket bloquante a expiré",
        },
        _ => Text { en: "", fr: "" },
    };
    text.get(Lang::current())
}

/// Errors that are not a failed system call.
pub enum Problem<'a> {
    /// `--step` needs a terminal to wait on.
    NoTerminal { why: &'a dyn fmt::Display },
    /// The host name did not resolve.
    UnknownHost {
        host: &'a str,
        why: &'a dyn fmt::Display,
    },
    /// The name resolved to no IPv4 or IPv6 address.
    NoAddress { host: &'a str },
    /// The server closed before the whole reply came.
    ServerVanished,
    /// The server closed while the interactive client waited for the user to type.
    ServerClosed,
    /// Reading the client's input failed.
    Input { why: &'a dyn fmt::Display },
    /// Writing the replies to stdout failed.
    Output { why: &'a dyn fmt::Display },
    /// A blocking `accept()` waits on one socket: the blocking models serve one port.
    OneListenerOnly { model: &'a str },
    /// A `--listen` argument that is not `SERVICE:PORT`.
    BadListen { arg: &'a str },
    /// The fork and thread models have no connection to hand to a process or a thread.
    UdpNotForModel { model: &'a str },
    /// A UDP listener may not bind an address that receives broadcast or multicast.
    UdpUnsafeBind { addr: std::net::SocketAddr },
    /// Daytime over UDP would answer more than the bounded factor of what it received.
    NoDaytimeOverUdp,
    /// `--timeout` is not a positive number of seconds.
    BadTimeout { secs: f64 },
    /// Some of the UDP client's lines got no reply.
    RepliesLost { lost: usize, sent: usize },
    /// A `--listen` argument of the right shape whose service sockstep does not serve.
    UnknownService { service: &'a str, known: &'a str },
    /// `--max-io` asked of UDP, where a cut read loses the datagram's end.
    MaxIoDatagram,
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, Lang::current()) {
            (Problem::UnknownHost { host, why }, Lang::En) => write!(
                f,
                "getaddrinfo({host}): unknown host: {why} (name resolution, before any socket)"
            ),
            (Problem::UnknownHost { host, why }, Lang::Fr) => write!(
                f,
                "getaddrinfo({host}) : hôte inconnu : {why} (résolution de nom, avant toute socket)"
            ),
            (Problem::NoAddress { host }, Lang::En) => {
                write!(
                    f,
                    "getaddrinfo({host}): no IPv4 or IPv6 address for this name"
                )
            }
            (Problem::NoAddress { host }, Lang::Fr) => {
                write!(
                    f,
                    "getaddrinfo({host}) : aucune adresse IPv4 ni IPv6 pour ce nom"
                )
            }
            (Problem::ServerClosed, Lang::En) => write!(
                f,
                "recv() returned 0: the server closed the connection (it stopped, or its --grace ran out); nothing typed now could be answered"
            ),
            (Problem::ServerClosed, Lang::Fr) => write!(
                f,
                "recv() a renvoyé 0 : le serveur a fermé la connexion (il s'est arrêté, ou son --grace a expiré) ; rien de ce qui serait tapé ne recevrait de réponse"
            ),
            (Problem::ServerVanished, Lang::En) => write!(
                f,
                "recv() returned 0: the server closed the connection before its reply was complete"
            ),
            (Problem::ServerVanished, Lang::Fr) => write!(
                f,
                "recv() a renvoyé 0 : le serveur a fermé la connexion avant la fin de sa réponse"
            ),
            (Problem::NoTerminal { why }, Lang::En) => write!(
                f,
                "--step waits for Enter on the terminal, and there is none: open(/dev/tty): {why}"
            ),
            (Problem::NoTerminal { why }, Lang::Fr) => write!(
                f,
                "--step attend Entrée sur le terminal, et il n'y en a pas : open(/dev/tty) : {why}"
            ),
            (Problem::Input { why }, Lang::En) => write!(f, "reading standard input: {why}"),
            (Problem::Input { why }, Lang::Fr) => {
                write!(f, "lecture de l'entrée standard : {why}")
            }
            (Problem::Output { why }, Lang::En) => write!(f, "writing standard output: {why}"),
            (Problem::Output { why }, Lang::Fr) => {
                write!(f, "écriture sur la sortie standard : {why}")
            }
            (Problem::OneListenerOnly { model }, Lang::En) => write!(
                f,
                "the {model} model serves one port: its blocking accept() waits on one listening socket only, so a second --listen would never be served (use --model select, poll or mio)"
            ),
            (Problem::OneListenerOnly { model }, Lang::Fr) => write!(
                f,
                "le modèle {model} sert un seul port : son accept() bloquant n'attend que sur une socket d'écoute, un second --listen ne serait jamais servi (utiliser --model select, poll ou mio)"
            ),
            (Problem::UnknownService { service, known }, Lang::En) => write!(
                f,
                "unknown service {service:?}: sockstep serves {known} (each on any port: --listen echo:7007)"
            ),
            (Problem::UnknownService { service, known }, Lang::Fr) => write!(
                f,
                "service inconnu {service:?} : sockstep sert {known} (chacun sur n'importe quel port : --listen echo:7007)"
            ),
            (Problem::BadListen { arg }, Lang::En) => write!(
                f,
                "{arg:?} is not SERVICE:PORT, with SERVICE one of upper, echo, discard, daytime and PORT a number up to 65535 (0: any free port), as in echo:7007"
            ),
            (Problem::BadListen { arg }, Lang::Fr) => write!(
                f,
                "{arg:?} n'est pas SERVICE:PORT, avec SERVICE parmi upper, echo, discard, daytime et PORT un nombre jusqu'à 65535 (0 : un port libre), comme echo:7007"
            ),
            (Problem::UdpNotForModel { model }, Lang::En) => write!(
                f,
                "the {model} model cannot serve UDP: it hands each accepted connection to a {what}, and a UDP socket has no connection to accept (no listen(), no accept()): every datagram of every client arrives on the one bound socket. Use --model iterative (recvfrom and sendto in a loop), or select, poll or mio (UDP and TCP side by side in one loop)",
                what = if *model == "fork" {
                    "new process"
                } else {
                    "new thread"
                }
            ),
            (Problem::UdpNotForModel { model }, Lang::Fr) => write!(
                f,
                "le modèle {model} ne peut pas servir UDP : il confie chaque connexion acceptée à {what}, et une socket UDP n'a pas de connexion à accepter (ni listen(), ni accept()) : tous les datagrammes de tous les clients arrivent sur l'unique socket liée. Utiliser --model iterative (recvfrom et sendto en boucle), ou select, poll ou mio (UDP et TCP côte à côte dans une boucle)",
                what = if *model == "fork" {
                    "un nouveau processus"
                } else {
                    "un nouveau thread"
                }
            ),
            (Problem::UdpUnsafeBind { addr }, Lang::En) => write!(
                f,
                "a UDP listener will not bind {addr}: a socket bound to a wildcard, broadcast or multicast address receives datagrams sent to a broadcast or multicast address, and recvfrom() cannot tell them apart, so one forged datagram could make every parrot of the network answer its victim; bind one unicast address (--bind 127.0.0.1, the default, or one interface's address)"
            ),
            (Problem::UdpUnsafeBind { addr }, Lang::Fr) => write!(
                f,
                "un écouteur UDP ne se liera pas à {addr} : une socket liée à une adresse joker, de diffusion ou de multidiffusion reçoit les datagrammes envoyés en diffusion ou en multidiffusion, et recvfrom() ne peut pas les distinguer, si bien qu'un seul datagramme forgé pourrait faire répondre chaque perroquet du réseau à sa victime ; lier une adresse unicast (--bind 127.0.0.1, le défaut, ou l'adresse d'une interface)"
            ),
            (Problem::NoDaytimeOverUdp, Lang::En) => write!(
                f,
                "daytime is not served over UDP: it answers any datagram, even an empty one, with a line of about 40 bytes, more than 3 times what it received, which makes it an amplifier (a UDP reply is never more than 3 times the datagram)"
            ),
            (Problem::NoDaytimeOverUdp, Lang::Fr) => write!(
                f,
                "daytime n'est pas servi en UDP : il répond à tout datagramme, même vide, par une ligne d'environ 40 octets, plus de 3 fois ce qu'il a reçu, ce qui en fait un amplificateur (une réponse UDP ne dépasse jamais 3 fois le datagramme)"
            ),
            (Problem::RepliesLost { lost, sent }, Lang::En) => {
                write!(f, "datagrams without a reply: {lost} of {sent}")
            }
            (Problem::RepliesLost { lost, sent }, Lang::Fr) => {
                write!(f, "datagrammes restés sans réponse : {lost} sur {sent}")
            }
            (Problem::BadTimeout { secs }, Lang::En) => write!(
                f,
                "--timeout {secs}: the wait for a reply must be a positive number of seconds (0 would mean wait for ever to SO_RCVTIMEO)"
            ),
            (Problem::BadTimeout { secs }, Lang::Fr) => write!(
                f,
                "--timeout {secs} : l'attente d'une réponse doit être un nombre positif de secondes (pour SO_RCVTIMEO, 0 voudrait dire attendre indéfiniment)"
            ),
            (Problem::MaxIoDatagram, Lang::En) => write!(
                f,
                "--max-io does not apply to UDP: it cuts reads and writes into pieces, which only a byte stream (TCP) puts back together; a datagram is read whole, or cut with its end lost (MSG_TRUNC), and sent whole or not at all"
            ),
            (Problem::MaxIoDatagram, Lang::Fr) => write!(
                f,
                "--max-io ne s'applique pas à UDP : il coupe lectures et écritures en morceaux, que seul un flux d'octets (TCP) recolle ; un datagramme se lit en entier, ou coupé et sa fin perdue (MSG_TRUNC), et s'envoie en entier ou pas du tout"
            ),
        }
    }
}

/// What comes before a fatal error on stderr, after `sockstep: `: `error: `, or in French,
/// with French typography's space before the colon (as in the log), `erreur : `.
pub fn error_prefix() -> &'static str {
    match Lang::current() {
        Lang::En => "error: ",
        Lang::Fr => "erreur : ",
    }
}
