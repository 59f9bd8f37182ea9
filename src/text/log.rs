//! The server's and the client's log: each event, worded in English and in French.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

use super::{Bytes, Lang, Quoted, count};

/// An event the server or the client logs on stderr.
pub enum Msg<'a> {
    /// accept() gave a new connection.
    ConnectionFrom { addr: SocketAddr },
    /// recv() gave bytes.
    Received { data: &'a [u8] },
    /// About to send a reply.
    Sending { data: &'a [u8] },
    /// The whole reply is in the kernel's send buffer.
    SendOk,
    /// send() took fewer bytes than asked: the course's `n != len` case.
    ShortSend { sent: usize, len: usize },
    /// recv() returned 0.
    PeerClosed,
    /// A call on a connected socket failed; the connection ends, the server goes on.
    ConnectionLost { error: &'a dyn fmt::Display },
    /// setsockopt(TCP_NODELAY) failed on a connection: it is served with Nagle on.
    NoDelayFailed { error: &'a dyn fmt::Display },
    /// The server closes its side of a connection.
    Closing,
    /// The server closes its listening socket (its `listeners` listening sockets) and stops.
    Unplugging { listeners: usize },
    /// An accept() failed in a way that does not stop the server.
    AcceptFailed { error: &'a dyn fmt::Display },
    /// The client is connected.
    ConnectedTo { addr: SocketAddr },
    /// The client's connect() to one of the addresses failed; `next` is the one it tries now.
    /// (The last address's failure is the client's error, said once.)
    ConnectFailed {
        addr: SocketAddr,
        error: &'a dyn fmt::Display,
        next: SocketAddr,
    },
    /// The client reached the end of its input and half-closes.
    EndOfInput,
    /// The client closes.
    Disconnecting,
    /// accept() gave a new connection on the listener of `service` (the event-loop models,
    /// which serve several services at once).
    ConnectionFor {
        addr: SocketAddr,
        service: &'static str,
    },
    /// A non-blocking send() took fewer bytes than asked: the rest waits for writability.
    ShortSendWait { sent: usize, len: usize },
    /// The client's unsent replies passed the bound: stop reading from it.
    ReadingPaused { pending: usize, bound: usize },
    /// The client's unsent replies drained below the bound: read from it again.
    ReadingResumed,
    /// The select model cannot watch a descriptor this high.
    PastFdSetSize { fd: i32, limit: usize },
    /// The soft limit of open descriptors was raised to the hard one.
    NoFileRaised { from: u64, to: u64 },
    /// The soft limit of open descriptors already is the hard one.
    NoFileAtHard { limit: u64 },
    /// The limit of open descriptors could not be read or raised.
    NoFileFailed { error: &'a dyn fmt::Display },
    /// accept() failed for want of descriptors or memory: the server waits rather than spin.
    AcceptStarved {
        error: &'a dyn fmt::Display,
        clients: usize,
    },
    /// accept() works again after an episode of AcceptStarved.
    AcceptResumed,
    /// An event loop's accept() failed for want of descriptors or memory: its listening
    /// socket is not watched until a connection closes (logged once per episode).
    ListenerSetAside { error: &'a dyn fmt::Display },
    /// An event loop's accept() reached an empty queue after `tries` refusals: the episode
    /// of ListenerSetAside is over.
    AcceptWorksAgain { tries: u64 },
    /// A blocking call returned EINTR because `signal`'s handler ran; it is made again.
    Retried { call: &'static str, signal: Signal },
    /// A blocked accept() returned EINTR because a signal's handler ran.
    AcceptInterrupted { signal: Signal },
    /// SIGINT or SIGTERM: the server stops accepting and gives its clients time to leave.
    ShuttingDown {
        signal: Signal,
        clients: usize,
        grace: Duration,
    },
    /// The dialogue noticed the shutdown: this client has until the deadline.
    ClientGrace { left: Duration },
    /// The deadline passed: the dialogue closes this connection.
    GraceOver,
    /// At `--max-clients`: no accept() until a client leaves.
    AtCap { max: usize },
    /// The server could not hand this client to a process or a thread.
    ClientNotServed { error: &'a dyn fmt::Display },
    /// fork() returned in the parent.
    Forked { child: Pid },
    /// The first words of a forked child.
    ChildStarts,
    /// waitpid() collected a child.
    ChildLeft { status: WaitStatus },
    /// The parent passes the shutdown on to its children.
    Forwarding { signal: Signal, children: usize },
    /// The grace period is over: the children still running are killed.
    Killing { children: usize },
    /// The grace period is over: the connections still open are shut down.
    ClosingRest { clients: usize },
    /// A client's thread panicked; the server goes on.
    ThreadPanicked,
    /// recvfrom() gave a datagram (the UDP parrot, and the UDP client).
    DatagramIn { from: SocketAddr, data: &'a [u8] },
    /// About to send a datagram.
    DatagramOut { to: SocketAddr, data: &'a [u8] },
    /// The UDP server closes its socket and stops.
    UnpluggingDatagram,
    /// A datagram longer than the buffer was cut (MSG_TRUNC).
    DatagramCut {
        from: SocketAddr,
        len: usize,
        kept: usize,
    },
    /// A datagram from a source port below 1024 is not answered (logged once per source).
    LowPortRefused { from: SocketAddr },
    /// The set of refused sources is full: later refusals are not logged.
    RefusedUnlogged { cap: usize },
    /// The reply was cut to its bound (a bounded factor of the datagram received).
    ReplyCapped { len: usize, cap: usize },
    /// bind() failed with EADDRINUSE on a socket without SO_REUSEADDR (`--no-reuseaddr`): a
    /// connection of the port in TIME-WAIT is then one more holder, and waiting is a remedy.
    InUseWithoutReuseAddr,
    /// The UDP client's destination, and whether its socket is connected.
    DatagramsTo { addr: SocketAddr, connected: bool },
    /// The UDP client waited `--timeout` for a reply in vain.
    NoReply { after: Duration },
    /// The UDP client got a datagram from someone other than the server.
    ForeignDatagram { from: SocketAddr },
    /// The last line of a server: what it did.
    Summary {
        clients: u64,
        bytes_in: u64,
        bytes_out: u64,
    },
}

impl fmt::Display for Msg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lang = Lang::current();
        match (self, lang) {
            (Msg::ConnectionFrom { addr }, Lang::En) => write!(f, "connection from {addr}"),
            (Msg::ConnectionFrom { addr }, Lang::Fr) => write!(f, "Connexion de {addr}"),
            (Msg::Received { data }, Lang::En) => {
                write!(f, "received {}: {}", Bytes(data.len()), Quoted(data))
            }
            (Msg::Received { data }, Lang::Fr) => write!(f, "Réception de : {}", Quoted(data)),
            (Msg::Sending { data }, Lang::En) => {
                write!(f, "sending {}: {}", Bytes(data.len()), Quoted(data))
            }
            (Msg::Sending { data }, Lang::Fr) => write!(f, "Envoi de : {}", Quoted(data)),
            (Msg::SendOk, Lang::En) => write!(f, "send ok."),
            (Msg::SendOk, Lang::Fr) => write!(f, "Envoi ok."),
            (Msg::ShortSend { sent, len }, Lang::En) => write!(
                f,
                "short send: the kernel took {sent} of {len} bytes; sending the other {}",
                len - sent
            ),
            (Msg::ShortSend { sent, len }, Lang::Fr) => write!(
                f,
                "Envoi partiel : le noyau a pris {sent} octets sur {len} ; on envoie les {} autres",
                len - sent
            ),
            (Msg::PeerClosed, Lang::En) => {
                write!(f, "recv() returned 0: the client closed the connection.")
            }
            (Msg::PeerClosed, Lang::Fr) => {
                write!(f, "recv() a renvoyé 0 : le client a fermé la connexion.")
            }
            (Msg::ConnectionLost { error }, Lang::En) => write!(f, "connection lost: {error}"),
            (Msg::ConnectionLost { error }, Lang::Fr) => write!(f, "Connexion perdue : {error}"),
            (Msg::NoDelayFailed { error }, Lang::En) => write!(
                f,
                "TCP_NODELAY not set ({error}): Nagle's algorithm stays on for this connection"
            ),
            (Msg::NoDelayFailed { error }, Lang::Fr) => write!(
                f,
                "TCP_NODELAY non posé ({error}) : l'algorithme de Nagle reste actif pour cette connexion"
            ),
            (Msg::Closing, Lang::En) => write!(f, "closing the connection with the client."),
            (Msg::Closing, Lang::Fr) => write!(f, "Fermeture de la connexion avec le client."),
            (Msg::Unplugging { listeners: 1 }, Lang::En) => {
                write!(f, "unplugging: closing the listening socket.")
            }
            (Msg::Unplugging { listeners }, Lang::En) => {
                write!(f, "unplugging: closing the {listeners} listening sockets.")
            }
            // The course's words, whatever the number of sockets.
            (Msg::Unplugging { .. }, Lang::Fr) => write!(f, "On se débranche"),
            (Msg::UnpluggingDatagram, Lang::En) => write!(f, "unplugging: closing the UDP socket."),
            (Msg::UnpluggingDatagram, Lang::Fr) => write!(f, "On se débranche (socket UDP)"),
            (Msg::AcceptFailed { error }, Lang::En) => {
                write!(f, "{error}; the server goes on")
            }
            (Msg::AcceptFailed { error }, Lang::Fr) => {
                write!(f, "{error} ; le serveur continue")
            }
            (Msg::ConnectedTo { addr }, Lang::En) => write!(f, "connected to {addr}."),
            (Msg::ConnectedTo { addr }, Lang::Fr) => write!(f, "Connexion vers {addr} réussie."),
            (Msg::ConnectFailed { addr, error, next }, Lang::En) => write!(
                f,
                "{addr} failed ({error}); trying the next address, {next}."
            ),
            (Msg::ConnectFailed { addr, error, next }, Lang::Fr) => write!(
                f,
                "Échec vers {addr} ({error}) ; essai de l'adresse suivante, {next}."
            ),
            (Msg::EndOfInput, Lang::En) => write!(
                f,
                "end of input: shutdown(SHUT_WR) sends FIN, then the last replies are read."
            ),
            (Msg::EndOfInput, Lang::Fr) => write!(
                f,
                "Fin de l'entrée : shutdown(SHUT_WR) envoie un FIN, puis on lit les dernières réponses."
            ),
            (Msg::Disconnecting, Lang::En) => write!(f, "disconnecting."),
            (Msg::Disconnecting, Lang::Fr) => write!(f, "Déconnexion."),
            (Msg::ConnectionFor { addr, service }, Lang::En) => {
                write!(f, "connection from {addr} for {service}")
            }
            (Msg::ConnectionFor { addr, service }, Lang::Fr) => {
                write!(f, "Connexion de {addr} pour {service}")
            }
            (Msg::ShortSendWait { sent, len }, Lang::En) => write!(
                f,
                "short send: the kernel took {sent} of {len} bytes; the other {} wait until the socket is writable",
                len - sent
            ),
            (Msg::ShortSendWait { sent, len }, Lang::Fr) => write!(
                f,
                "Envoi partiel : le noyau a pris {sent} octets sur {len} ; les {} autres attendent que la socket soit prête en écriture",
                len - sent
            ),
            (Msg::ReadingPaused { pending, bound }, Lang::En) => write!(
                f,
                "{pending} bytes of replies unsent (bound {bound}): the client does not read, so the server stops reading from it"
            ),
            (Msg::ReadingPaused { pending, bound }, Lang::Fr) => write!(
                f,
                "{pending} octets de réponses non envoyés (limite {bound}) : le client ne lit pas, le serveur cesse de le lire"
            ),
            (Msg::ReadingResumed, Lang::En) => {
                write!(f, "the replies drained: reading from the client again")
            }
            (Msg::ReadingResumed, Lang::Fr) => {
                write!(f, "Les réponses sont parties : on lit de nouveau le client")
            }
            (Msg::PastFdSetSize { fd, limit }, Lang::En) => write!(
                f,
                "refused: select() watches descriptors below FD_SETSIZE ({limit}) only, in fixed bit sets of {limit} bits, and this connection got descriptor {fd}; closing it (use --model poll or mio for more clients); the server goes on"
            ),
            (Msg::PastFdSetSize { fd, limit }, Lang::Fr) => write!(
                f,
                "Refusée : select() ne surveille que les descripteurs sous FD_SETSIZE ({limit}), dans des ensembles fixes de {limit} bits, et cette connexion a reçu le descripteur {fd} ; on la ferme (--model poll ou mio pour plus de clients) ; le serveur continue"
            ),
            (Msg::NoFileRaised { from, to }, Lang::En) => write!(
                f,
                "open descriptors limit (RLIMIT_NOFILE) raised from {from} to the hard limit, {to}: one per client"
            ),
            (Msg::NoFileRaised { from, to }, Lang::Fr) => write!(
                f,
                "Limite de descripteurs ouverts (RLIMIT_NOFILE) montée de {from} à la limite stricte, {to} : un par client"
            ),
            (Msg::NoFileAtHard { limit }, Lang::En) => write!(
                f,
                "open descriptors limit (RLIMIT_NOFILE): {limit}, already the hard limit"
            ),
            (Msg::NoFileAtHard { limit }, Lang::Fr) => write!(
                f,
                "Limite de descripteurs ouverts (RLIMIT_NOFILE) : {limit}, déjà la limite stricte"
            ),
            (Msg::NoFileFailed { error }, Lang::En) => write!(
                f,
                "cannot raise the open descriptors limit (RLIMIT_NOFILE): {error}; serving with the current one"
            ),
            (Msg::NoFileFailed { error }, Lang::Fr) => write!(
                f,
                "Impossible de monter la limite de descripteurs ouverts (RLIMIT_NOFILE) : {error} ; on sert avec l'actuelle"
            ),
            (Msg::AcceptStarved { error, clients: 0 }, Lang::En) => write!(
                f,
                "{error}; the connection waits in the queue; accept() again after a pause (growing to 1 s), not at once: it would fail at once, again and again"
            ),
            (Msg::AcceptStarved { error, clients: 0 }, Lang::Fr) => write!(
                f,
                "{error} ; la connexion attend dans la file ; on rappellera accept() après une pause (jusqu'à 1 s), pas tout de suite : il échouerait aussitôt, encore et encore"
            ),
            (Msg::AcceptStarved { error, clients }, Lang::En) => write!(
                f,
                "{error}; the connection waits in the queue; accept() again when one of the {clients} clients leaves, not at once: it would fail at once, again and again"
            ),
            (Msg::AcceptStarved { error, clients }, Lang::Fr) => write!(
                f,
                "{error} ; la connexion attend dans la file ; on rappellera accept() quand l'un des {clients} clients partira, pas tout de suite : il échouerait aussitôt, encore et encore"
            ),
            (Msg::ListenerSetAside { error }, Lang::En) => write!(
                f,
                "{error}; the connections wait in the queue; the listening socket is not watched until a connection closes and frees a descriptor, or a pause (growing to 1 s) is over: accepting at once would fail at once, again and again (one line for the whole episode)"
            ),
            (Msg::ListenerSetAside { error }, Lang::Fr) => write!(
                f,
                "{error} ; les connexions attendent dans la file ; la socket d'écoute n'est plus surveillée jusqu'à ce qu'une connexion se ferme et libère un descripteur, ou qu'une pause (jusqu'à 1 s) finisse : accepter tout de suite échouerait tout de suite, encore et encore (une ligne pour tout l'épisode)"
            ),
            (Msg::AcceptWorksAgain { tries: 1 }, Lang::En) => write!(
                f,
                "accept() works again after 1 refused try: nobody waits in the queue any more"
            ),
            (Msg::AcceptWorksAgain { tries: 1 }, Lang::Fr) => write!(
                f,
                "accept() fonctionne à nouveau après 1 essai refusé : plus personne n'attend dans la file"
            ),
            (Msg::AcceptWorksAgain { tries }, Lang::En) => write!(
                f,
                "accept() works again after {tries} refused tries: nobody waits in the queue any more"
            ),
            (Msg::AcceptWorksAgain { tries }, Lang::Fr) => write!(
                f,
                "accept() fonctionne à nouveau après {tries} essais refusés : plus personne n'attend dans la file"
            ),
            (Msg::AcceptResumed, Lang::En) => {
                write!(f, "accept() works again: the server serves the queue")
            }
            (Msg::AcceptResumed, Lang::Fr) => {
                write!(f, "accept() fonctionne à nouveau : le serveur sert la file")
            }
            (Msg::Retried { call, signal }, Lang::En) => write!(
                f,
                "{call}() returned EINTR: the {signal} handler ran before anything moved; {call}() again"
            ),
            (Msg::Retried { call, signal }, Lang::Fr) => write!(
                f,
                "{call}() a renvoyé EINTR : le gestionnaire de {signal} s'est exécuté avant que rien ne soit passé ; on rappelle {call}()"
            ),
            (Msg::AcceptInterrupted { signal }, Lang::En) => {
                write!(f, "accept() returned EINTR: the {signal} handler ran")?;
                if *signal == Signal::SIGCHLD {
                    write!(f, " (a child left); collecting it, then accept() again")
                } else {
                    write!(f, "; no more accept()")
                }
            }
            (Msg::AcceptInterrupted { signal }, Lang::Fr) => {
                write!(
                    f,
                    "accept() a renvoyé EINTR : le gestionnaire de {signal} s'est exécuté"
                )?;
                if *signal == Signal::SIGCHLD {
                    write!(
                        f,
                        " (un fils est parti) ; on le recueille, puis on rappelle accept()"
                    )
                } else {
                    write!(f, " ; plus d'accept()")
                }
            }
            (
                Msg::ShuttingDown {
                    signal,
                    clients,
                    grace,
                },
                Lang::En,
            ) => {
                write!(f, "{signal}: shutting down. No new clients; ")?;
                match clients {
                    0 => write!(f, "nobody is connected."),
                    _ => write!(
                        f,
                        "{} still connected: {} s to leave.",
                        count(*clients, "client", "clients"),
                        grace.as_secs_f64()
                    ),
                }
            }
            (
                Msg::ShuttingDown {
                    signal,
                    clients,
                    grace,
                },
                Lang::Fr,
            ) => {
                write!(
                    f,
                    "{signal} : arrêt du serveur. Plus de nouveaux clients ; "
                )?;
                match clients {
                    0 => write!(f, "personne n'est connecté."),
                    _ => write!(
                        f,
                        "{} : {} s pour partir.",
                        count(
                            *clients,
                            "client encore connecté",
                            "clients encore connectés"
                        ),
                        super::decimal(grace.as_secs_f64(), None)
                    ),
                }
            }
            (Msg::ClientGrace { left }, Lang::En) => write!(
                f,
                "the server is shutting down: this client has {:.1} s to leave; replies go on until then",
                left.as_secs_f64()
            ),
            (Msg::ClientGrace { left }, Lang::Fr) => write!(
                f,
                "le serveur s'arrête : ce client a {} s pour partir ; les réponses continuent d'ici là",
                super::decimal(left.as_secs_f64(), Some(1))
            ),
            (Msg::GraceOver, Lang::En) => {
                write!(f, "the grace period is over: closing this connection.")
            }
            (Msg::GraceOver, Lang::Fr) => write!(f, "Le délai de grâce est passé : on ferme."),
            (Msg::AtCap { max }, Lang::En) => write!(
                f,
                "{max} clients at once (--max-clients): no accept() until one leaves; the next wait in the listening queue"
            ),
            (Msg::AtCap { max }, Lang::Fr) => write!(
                f,
                "{max} clients à la fois (--max-clients) : plus d'accept() avant qu'un client ne parte ; les suivants attendent dans la file d'écoute"
            ),
            (Msg::ClientNotServed { error }, Lang::En) => {
                write!(f, "{error}: this client is not served; the server goes on")
            }
            (Msg::ClientNotServed { error }, Lang::Fr) => {
                write!(
                    f,
                    "{error} : ce client n'est pas servi ; le serveur continue"
                )
            }
            (Msg::Forked { child }, Lang::En) => write!(
                f,
                "fork() = {child}: child {child} serves this client; the parent closes its copy of the descriptor"
            ),
            (Msg::Forked { child }, Lang::Fr) => write!(
                f,
                "fork() = {child} : le fils {child} sert ce client ; le père ferme sa copie du descripteur"
            ),
            (Msg::ChildStarts, Lang::En) => write!(
                f,
                "fork() returned 0: this is the child. It closes its copy of the listening socket, serves its client, and exits."
            ),
            (Msg::ChildStarts, Lang::Fr) => write!(
                f,
                "fork() a renvoyé 0 : ici le fils. Il ferme sa copie de la socket d'écoute, sert son client et se termine."
            ),
            (Msg::ChildLeft { status }, lang) => match (status, lang) {
                (WaitStatus::Exited(pid, code), Lang::En) => {
                    write!(
                        f,
                        "child {pid} exited with status {code}, collected: no zombie"
                    )
                }
                (WaitStatus::Exited(pid, code), Lang::Fr) => write!(
                    f,
                    "le fils {pid} s'est terminé avec le code {code}, recueilli : pas de zombie"
                ),
                (WaitStatus::Signaled(pid, signal, _), Lang::En) => {
                    write!(
                        f,
                        "child {pid} was killed by {signal}, collected: no zombie"
                    )
                }
                (WaitStatus::Signaled(pid, signal, _), Lang::Fr) => write!(
                    f,
                    "le fils {pid} a été tué par {signal}, recueilli : pas de zombie"
                ),
                (other, _) => write!(f, "{other:?}"),
            },
            (Msg::Forwarding { signal, children }, Lang::En) => {
                let children = count(*children, "child", "children");
                write!(f, "passing {signal} on to {children}")
            }
            (Msg::Forwarding { signal, children }, Lang::Fr) => {
                write!(f, "on transmet {signal} à {children} fils")
            }
            (Msg::Killing { children }, Lang::En) => write!(
                f,
                "the grace period is over: SIGKILL to {} still running",
                count(*children, "child", "children")
            ),
            (Msg::Killing { children }, Lang::Fr) => write!(
                f,
                "le délai de grâce est passé : SIGKILL à {children} fils encore en vie"
            ),
            (Msg::ClosingRest { clients }, Lang::En) => write!(
                f,
                "the grace period is over: shutdown(SHUT_RDWR) on {} still open",
                count(*clients, "connection", "connections")
            ),
            (Msg::ClosingRest { clients }, Lang::Fr) => write!(
                f,
                "le délai de grâce est passé : shutdown(SHUT_RDWR) sur {}",
                count(
                    *clients,
                    "connexion encore ouverte",
                    "connexions encore ouvertes"
                )
            ),
            (Msg::ThreadPanicked, Lang::En) => {
                write!(f, "this client's thread panicked; the server goes on")
            }
            (Msg::ThreadPanicked, Lang::Fr) => {
                write!(f, "le thread de ce client a paniqué ; le serveur continue")
            }
            (
                Msg::Summary {
                    clients,
                    bytes_in,
                    bytes_out,
                },
                Lang::En,
            ) => write!(
                f,
                "summary: {}, {}, {}",
                count(*clients, "client served", "clients served"),
                count(*bytes_in, "byte in", "bytes in"),
                count(*bytes_out, "byte out", "bytes out")
            ),
            (
                Msg::Summary {
                    clients,
                    bytes_in,
                    bytes_out,
                },
                Lang::Fr,
            ) => write!(
                f,
                "bilan : {}, {}, {}",
                count(*clients, "client servi", "clients servis"),
                count(*bytes_in, "octet reçu", "octets reçus"),
                count(*bytes_out, "octet envoyé", "octets envoyés")
            ),
            (Msg::DatagramIn { from, data }, Lang::En) => write!(
                f,
                "datagram of {} from {from}: {}",
                Bytes(data.len()),
                Quoted(data)
            ),
            (Msg::DatagramIn { from, data }, Lang::Fr) => {
                write!(f, "Réception d'un datagramme de {from} : {}", Quoted(data))
            }
            (Msg::DatagramOut { to, data }, Lang::En) => write!(
                f,
                "sending a datagram of {} to {to}: {}",
                Bytes(data.len()),
                Quoted(data)
            ),
            (Msg::DatagramOut { to, data }, Lang::Fr) => {
                write!(f, "Envoi d'un datagramme vers {to} : {}", Quoted(data))
            }
            (Msg::DatagramCut { from, len, kept }, Lang::En) => write!(
                f,
                "the datagram from {from} had {}, more than the buffer: recvfrom() kept {} (MSG_TRUNC), the other {} are lost; the reply answers what was kept",
                Bytes(*len),
                Bytes(*kept),
                len - kept
            ),
            (Msg::DatagramCut { from, len, kept }, Lang::Fr) => write!(
                f,
                "le datagramme venu de {from} avait {}, plus que le tampon : recvfrom() en a gardé {} (MSG_TRUNC), les {} autres sont perdus ; la réponse porte sur ce qui a été gardé",
                Bytes(*len),
                Bytes(*kept),
                len - kept
            ),
            (Msg::LowPortRefused { from }, Lang::En) => write!(
                f,
                "not answered: {from} has a source port below 1024, a system service's port (a forged datagram could make two such services answer each other for ever, CERT CA-1996-01); its datagrams get no reply, and this is said once"
            ),
            (Msg::LowPortRefused { from }, Lang::Fr) => write!(
                f,
                "pas de réponse : {from} a un port source inférieur à 1024, le port d'un service système (un datagramme forgé pourrait faire se répondre sans fin deux services de ce genre, CERT CA-1996-01) ; ses datagrammes n'auront pas de réponse, et cela n'est dit qu'une fois"
            ),
            (Msg::RefusedUnlogged { cap }, Lang::En) => write!(
                f,
                "{cap} sources refused already: further refusals are no longer logged"
            ),
            (Msg::RefusedUnlogged { cap }, Lang::Fr) => write!(
                f,
                "{cap} sources déjà refusées : les refus suivants ne sont plus notés"
            ),
            (Msg::ReplyCapped { len, cap }, Lang::En) => write!(
                f,
                "the reply of {} is cut to {cap} bytes: never more than 3 times the datagram received",
                Bytes(*len)
            ),
            (Msg::ReplyCapped { len, cap }, Lang::Fr) => write!(
                f,
                "la réponse de {} est coupée à {cap} octets : jamais plus de 3 fois le datagramme reçu",
                Bytes(*len)
            ),
            (Msg::InUseWithoutReuseAddr, Lang::En) => write!(
                f,
                "SO_REUSEADDR is off (--no-reuseaddr): any socket on this port holds it, a connection still in TIME-WAIT included (the side that closed first keeps it 60 s; `ss -tan state time-wait`): wait, or start without --no-reuseaddr"
            ),
            (Msg::InUseWithoutReuseAddr, Lang::Fr) => write!(
                f,
                "SO_REUSEADDR coupé (--no-reuseaddr) : toute socket sur ce port le tient, y compris une connexion encore en TIME-WAIT (le côté qui a fermé le premier la garde 60 s ; `ss -tan state time-wait`) : attendre, ou démarrer sans --no-reuseaddr"
            ),
            (
                Msg::DatagramsTo {
                    addr,
                    connected: false,
                },
                Lang::En,
            ) => write!(
                f,
                "UDP to {addr}: no connection, each line goes in one datagram addressed by sendto()"
            ),
            (
                Msg::DatagramsTo {
                    addr,
                    connected: false,
                },
                Lang::Fr,
            ) => write!(
                f,
                "UDP vers {addr} : pas de connexion, chaque ligne part dans un datagramme adressé par sendto()"
            ),
            (
                Msg::DatagramsTo {
                    addr,
                    connected: true,
                },
                Lang::En,
            ) => write!(
                f,
                "UDP connected to {addr}: nothing was sent, the kernel only remembers the address (and will report ICMP errors)"
            ),
            (
                Msg::DatagramsTo {
                    addr,
                    connected: true,
                },
                Lang::Fr,
            ) => write!(
                f,
                "UDP connecté à {addr} : rien n'a été envoyé, le noyau retient seulement l'adresse (et signalera les erreurs ICMP)"
            ),
            (Msg::NoReply { after }, Lang::En) => write!(
                f,
                "no reply within {after:?}: the datagram or its reply was lost, or nobody answers on that port; UDP never sends a datagram again, so this line goes unanswered"
            ),
            (Msg::NoReply { after }, Lang::Fr) => write!(
                f,
                "pas de réponse en {} s : le datagramme ou sa réponse s'est perdu, ou personne ne répond sur ce port ; UDP ne retransmet jamais un datagramme, cette ligne reste donc sans réponse",
                super::decimal(after.as_secs_f64(), None)
            ),
            (Msg::ForeignDatagram { from }, Lang::En) => {
                write!(f, "ignored a datagram from {from}: it is not the server")
            }
            (Msg::ForeignDatagram { from }, Lang::Fr) => {
                write!(f, "datagramme de {from} ignoré : ce n'est pas le serveur")
            }
        }
    }
}
