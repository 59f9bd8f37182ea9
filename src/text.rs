//! Every sentence sockstep says to a person, in English and in French.
//!
//! The server's French log uses the course's own words (« Connexion de », « Réception de »,
//! « Envoi de », « Envoi ok. », « Fermeture de la connexion avec le client. », « On se
//! débranche »). Nothing else in the crate holds user-facing prose: other modules build a
//! [`Msg`] or a [`Note`] and this module words it. The one exception is the layer table, whose
//! rows carry their own two languages (see `layers`).
//!
//! Machine-read lines are not translated: `listening on IP:PORT` on stdout is a contract with
//! scripts and tests, and strace's notation in the narration is strace's.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

/// The language of logs, narration and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    En,
    Fr,
}

static LANG: AtomicU8 = AtomicU8::new(0);

impl Lang {
    /// The language the environment asks for: `LC_ALL`, then `LC_MESSAGES`, then `LANG`, as
    /// `setlocale` reads them; `fr*` gives French, anything else English.
    pub fn from_env() -> Lang {
        let wanted = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|value| !value.is_empty())
            .unwrap_or_default();
        if wanted.starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// Sets the language of the whole program (once, in `main`).
    pub fn set(self) {
        LANG.store(self as u8, Ordering::Relaxed);
    }

    /// The language of the whole program.
    pub fn current() -> Lang {
        match LANG.load(Ordering::Relaxed) {
            1 => Lang::Fr,
            _ => Lang::En,
        }
    }
}

/// A fixed text in both languages.
#[derive(Clone, Copy, Debug)]
pub struct Text {
    pub en: &'static str,
    pub fr: &'static str,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Fr => self.fr,
        }
    }
}

/// Shows received or sent bytes as the course's `print` shows a decoded message: as text,
/// quoted, with control characters escaped, cut after 60 characters. Bytes that are not UTF-8
/// show as U+FFFD (the bytes themselves are passed on unchanged; this is only the log).
pub struct Quoted<'a>(pub &'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 60;
        let text = String::from_utf8_lossy(self.0);
        let mut chars = text.chars();
        let shown: String = chars.by_ref().take(SHOWN).collect();
        write!(f, "\"{}\"", shown.escape_debug())?;
        if chars.next().is_some() {
            write!(f, "...")?;
        }
        Ok(())
    }
}

/// A number of bytes, worded: `1 byte`, `8 bytes`; in French `1 octet`, `8 octets` (French
/// keeps 0 and 1 singular).
pub struct Bytes(pub usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        match (Lang::current(), n) {
            (Lang::En, 1) => write!(f, "1 byte"),
            (Lang::En, _) => write!(f, "{n} bytes"),
            (Lang::Fr, 0 | 1) => write!(f, "{n} octet"),
            (Lang::Fr, _) => write!(f, "{n} octets"),
        }
    }
}

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
    /// The server closes its side of a connection.
    Closing,
    /// The server closes its listening socket and stops.
    Unplugging,
    /// An accept() failed in a way that does not stop the server.
    AcceptFailed { error: &'a dyn fmt::Display },
    /// The client is connected.
    ConnectedTo { addr: SocketAddr },
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
            (Msg::Received { data }, Lang::Fr) => write!(f, "Réception de : {}", Quoted(data)),
            (Msg::Sending { data }, Lang::En) => {
                write!(f, "sending {}: {}", Bytes(data.len()), Quoted(data))
            }
            (Msg::Sending { data }, Lang::Fr) => write!(f, "Envoi de : {}", Quoted(data)),
            (Msg::SendOk, Lang::En) => write!(f, "send ok."),
            (Msg::SendOk, Lang::Fr) => write!(f, "Envoi ok."),
            (Msg::ShortSend { sent, len }, Lang::En) => write!(
                f,
                "short send: the kernel took {sent} of {len} bytes; sending the other {}",
                len - sent
            ),
            (Msg::ShortSend { sent, len }, Lang::Fr) => write!(
                f,
                "Envoi partiel : le noyau a pris {sent} octets sur {len} ; on envoie les {} autres",
                len - sent
            ),
            (Msg::PeerClosed, Lang::En) => {
                write!(f, "recv() returned 0: the client closed the connection.")
            }
            (Msg::PeerClosed, Lang::Fr) => {
                write!(f, "recv() a rendu 0 : le client a fermé la connexion.")
            }
            (Msg::ConnectionLost { error }, Lang::En) => write!(f, "connection lost: {error}"),
            (Msg::ConnectionLost { error }, Lang::Fr) => write!(f, "Connexion perdue : {error}"),
            (Msg::Closing, Lang::En) => write!(f, "closing the connection with the client."),
            (Msg::Closing, Lang::Fr) => write!(f, "Fermeture de la connexion avec le client."),
            (Msg::Unplugging, Lang::En) => write!(f, "unplugging: closing the listening socket."),
            (Msg::Unplugging, Lang::Fr) => write!(f, "On se débranche"),
            (Msg::AcceptFailed { error }, Lang::En) => {
                write!(f, "{error}; the server goes on")
            }
            (Msg::AcceptFailed { error }, Lang::Fr) => {
                write!(f, "{error} ; le serveur continue")
            }
            (Msg::ConnectedTo { addr }, Lang::En) => write!(f, "connected to {addr}."),
            (Msg::ConnectedTo { addr }, Lang::Fr) => write!(f, "Connexion vers {addr} réussie."),
            (Msg::EndOfInput, Lang::En) => write!(
                f,
                "end of input: shutdown(SHUT_WR) sends FIN, then the last replies are read."
            ),
            (Msg::EndOfInput, Lang::Fr) => write!(
                f,
                "Fin de l'entrée : shutdown(SHUT_WR) envoie FIN, puis on lit les dernières réponses."
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
                "Envoi partiel : le noyau a pris {sent} octets sur {len} ; les {} autres attendent que la socket soit prête en écriture",
                len - sent
            ),
            (Msg::ReadingPaused { pending, bound }, Lang::En) => write!(
                f,
                "{pending} bytes of replies unsent (bound {bound}): the client does not read, so the server stops reading from it"
            ),
            (Msg::ReadingPaused { pending, bound }, Lang::Fr) => write!(
                f,
                "{pending} octets de réponses non envoyés (limite {bound}) : le client ne lit pas, le serveur cesse de le lire"
            ),
            (Msg::ReadingResumed, Lang::En) => {
                write!(f, "the replies drained: reading from the client again")
            }
            (Msg::ReadingResumed, Lang::Fr) => {
                write!(f, "Les réponses sont parties : on lit de nouveau le client")
            }
            (Msg::PastFdSetSize { fd, limit }, Lang::En) => write!(
                f,
                "refused: select() watches descriptors below FD_SETSIZE ({limit}) only, in fixed bit sets of {limit} bits, and this connection got descriptor {fd}; closing it (use --model poll or mio for more clients); the server goes on"
            ),
            (Msg::PastFdSetSize { fd, limit }, Lang::Fr) => write!(
                f,
                "Refusée : select() ne surveille que les descripteurs sous FD_SETSIZE ({limit}), dans des ensembles fixes de {limit} bits, et cette connexion a reçu le descripteur {fd} ; on la ferme (--model poll ou mio pour plus de clients) ; le serveur continue"
            ),
            (Msg::NoFileRaised { from, to }, Lang::En) => write!(
                f,
                "open descriptors limit (RLIMIT_NOFILE) raised from {from} to the hard limit, {to}: one per client"
            ),
            (Msg::NoFileRaised { from, to }, Lang::Fr) => write!(
                f,
                "Limite de descripteurs ouverts (RLIMIT_NOFILE) montée de {from} à la limite stricte, {to} : un par client"
            ),
            (Msg::NoFileAtHard { limit }, Lang::En) => write!(
                f,
                "open descriptors limit (RLIMIT_NOFILE): {limit}, already the hard limit"
            ),
            (Msg::NoFileAtHard { limit }, Lang::Fr) => write!(
                f,
                "Limite de descripteurs ouverts (RLIMIT_NOFILE) : {limit}, déjà la limite stricte"
            ),
            (Msg::NoFileFailed { error }, Lang::En) => write!(
                f,
                "cannot raise the open descriptors limit (RLIMIT_NOFILE): {error}; serving with the current one"
            ),
            (Msg::NoFileFailed { error }, Lang::Fr) => write!(
                f,
                "Impossible de monter la limite de descripteurs ouverts (RLIMIT_NOFILE) : {error} ; on sert avec l'actuelle"
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
                    "accept() a rendu EINTR : le gestionnaire de {signal} s'est exécuté"
                )?;
                if *signal == Signal::SIGCHLD {
                    write!(
                        f,
                        " (un fils est parti) ; on le recueille, puis accept() à nouveau"
                    )
                } else {
                    write!(f, " ; plus d'accept()")
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
                    "{signal} : arrêt du serveur. Plus de nouveaux clients ; "
                )?;
                match clients {
                    0 => write!(f, "personne n'est connecté."),
                    _ => write!(
                        f,
                        "{} : {} s pour partir.",
                        count(
                            *clients,
                            "client encore connecté",
                            "clients encore connectés"
                        ),
                        grace.as_secs_f64()
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
                "le serveur s'arrête : ce client a {:.1} s pour partir ; les réponses continuent d'ici là",
                left.as_secs_f64()
            ),
            (Msg::GraceOver, Lang::En) => {
                write!(f, "the grace period is over: closing this connection.")
            }
            (Msg::GraceOver, Lang::Fr) => write!(f, "Le délai de grâce est passé : on ferme."),
            (Msg::AtCap { max }, Lang::En) => write!(
                f,
                "{max} clients at once (--max-clients): no accept() until one leaves; the next wait in the listening queue"
            ),
            (Msg::AtCap { max }, Lang::Fr) => write!(
                f,
                "{max} clients à la fois (--max-clients) : plus d'accept() avant qu'un parte ; les suivants attendent dans la file d'écoute"
            ),
            (Msg::ClientNotServed { error }, Lang::En) => {
                write!(f, "{error}: this client is not served; the server goes on")
            }
            (Msg::ClientNotServed { error }, Lang::Fr) => {
                write!(
                    f,
                    "{error} : ce client n'est pas servi ; le serveur continue"
                )
            }
            (Msg::Forked { child }, Lang::En) => write!(
                f,
                "fork() = {child}: child {child} serves this client; the parent closes its copy of the descriptor"
            ),
            (Msg::Forked { child }, Lang::Fr) => write!(
                f,
                "fork() = {child} : le fils {child} sert ce client ; le père ferme sa copie du descripteur"
            ),
            (Msg::ChildStarts, Lang::En) => write!(
                f,
                "fork() returned 0: this is the child. It closes its copy of the listening socket, serves its client, and exits."
            ),
            (Msg::ChildStarts, Lang::Fr) => write!(
                f,
                "fork() a rendu 0 : ici le fils. Il ferme sa copie de la socket d'écoute, sert son client et se termine."
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
                    "le fils {pid} s'est terminé avec le code {code}, recueilli : pas de zombie"
                ),
                (WaitStatus::Signaled(pid, signal, _), Lang::En) => {
                    write!(
                        f,
                        "child {pid} was killed by {signal}, collected: no zombie"
                    )
                }
                (WaitStatus::Signaled(pid, signal, _), Lang::Fr) => write!(
                    f,
                    "le fils {pid} a été tué par {signal}, recueilli : pas de zombie"
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
                "le délai de grâce est passé : SIGKILL à {children} fils encore en vie"
            ),
            (Msg::ClosingRest { clients }, Lang::En) => write!(
                f,
                "the grace period is over: shutdown(SHUT_RDWR) on {} still open",
                count(*clients, "connection", "connections")
            ),
            (Msg::ClosingRest { clients }, Lang::Fr) => write!(
                f,
                "le délai de grâce est passé : shutdown(SHUT_RDWR) sur {}",
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
                write!(f, "le thread de ce client a paniqué ; le serveur continue")
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
                "bilan : {}, {}, {}",
                count(*clients, "client servi", "clients servis"),
                count(*bytes_in, "octet reçu", "octets reçus"),
                count(*bytes_out, "octet envoyé", "octets envoyés")
            ),
        }
    }
}

/// `1 client`, `3 clients`: the number and the word that agrees with it. English makes
/// every number but 1 plural; French only numbers from 2 (`0 client servi`).
fn count(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n = n.try_into().unwrap_or(u64::MAX);
    let plural = match Lang::current() {
        Lang::En => n != 1,
        Lang::Fr => n > 1,
    };
    format!("{n} {}", if plural { many } else { one })
}

/// What a call did, said in the narration's bracket after the layer.
pub enum Note {
    Socket,
    ReuseAddr {
        on: bool,
    },
    NoDelay,
    Bind {
        addr: SocketAddr,
    },
    Listen {
        backlog: i32,
    },
    Accept,
    Connect {
        addr: SocketAddr,
    },
    Received {
        n: usize,
    },
    Sent {
        n: usize,
        len: usize,
    },
    ShutdownWrite,
    Close,
    LocalAddr {
        addr: SocketAddr,
    },
    PeerAddr {
        addr: SocketAddr,
    },
    Failed {
        errno: Errno,
    },
    /// What `getsockopt(TCP_INFO)` said the connection's state is, just after a call.
    TcpState {
        state: TcpState,
    },
    /// The state just before `close()`, and what `close()` will do from there.
    StateBeforeClose {
        state: TcpState,
    },
    Timeout {
        after: Duration,
    },
    ShutdownBoth,
    Fork {
        child: Pid,
    },
    Pid,
    Tid,
    Waited {
        status: WaitStatus,
    },
    Kill {
        pid: Pid,
        signal: Signal,
    },
    SigAction {
        signal: Signal,
        restart: bool,
    },
    SigMask {
        block: bool,
    },
    SignalTaken {
        signal: Signal,
    },
    SharedMemory,
    Exit,
    /// select, poll, epoll_wait returned.
    Ready,
    EpollCreate,
    EpollAdd,
    /// getrlimit, setrlimit.
    Limit,
}

/// `every local IPv4 address` for 0.0.0.0, `127.0.0.1` otherwise.
fn where_bound(addr: &SocketAddr, lang: Lang) -> String {
    match (addr.ip().is_unspecified(), addr.is_ipv4(), lang) {
        (true, true, Lang::En) => "every local IPv4 address".into(),
        (true, false, Lang::En) => "every local IPv6 address".into(),
        (true, true, Lang::Fr) => "toutes les adresses IPv4 locales".into(),
        (true, false, Lang::Fr) => "toutes les adresses IPv6 locales".into(),
        (false, _, _) => addr.ip().to_string(),
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lang = Lang::current();
        match (self, lang) {
            (Note::Socket, Lang::En) => write!(f, "a new TCP endpoint, state CLOSED"),
            (Note::Socket, Lang::Fr) => write!(f, "une nouvelle extrémité TCP, état CLOSED"),
            (Note::ReuseAddr { on: true }, Lang::En) => {
                write!(
                    f,
                    "the port may be bound again while old connections sit in TIME_WAIT"
                )
            }
            (Note::ReuseAddr { on: true }, Lang::Fr) => {
                write!(
                    f,
                    "le port pourra resservir même avec d'anciennes connexions en TIME_WAIT"
                )
            }
            (Note::ReuseAddr { on: false }, Lang::En) => {
                write!(f, "SO_REUSEADDR off: a restart fails while TIME_WAIT lasts")
            }
            (Note::ReuseAddr { on: false }, Lang::Fr) => {
                write!(
                    f,
                    "SO_REUSEADDR coupé : un redémarrage échoue tant que dure TIME_WAIT"
                )
            }
            (Note::NoDelay, Lang::En) => write!(f, "Nagle off: small segments leave at once"),
            (Note::NoDelay, Lang::Fr) => {
                write!(f, "Nagle coupé : les petits segments partent tout de suite")
            }
            (Note::Bind { addr }, Lang::En) => write!(
                f,
                "reserves TCP port {} on {}",
                addr.port(),
                where_bound(addr, lang)
            ),
            (Note::Bind { addr }, Lang::Fr) => write!(
                f,
                "réserve le port TCP {} sur {}",
                addr.port(),
                where_bound(addr, lang)
            ),
            (Note::Listen { backlog }, Lang::En) => write!(
                f,
                "state LISTEN, queue of {backlog}: the kernel now answers SYN with SYN-ACK"
            ),
            (Note::Listen { backlog }, Lang::Fr) => write!(
                f,
                "état LISTEN, file de {backlog} : le noyau répond désormais SYN-ACK aux SYN"
            ),
            (Note::Accept, Lang::En) => write!(
                f,
                "a connection the kernel already set up (SYN, SYN-ACK, ACK), state ESTABLISHED"
            ),
            (Note::Accept, Lang::Fr) => write!(
                f,
                "une connexion déjà établie par le noyau (SYN, SYN-ACK, ACK), état ESTABLISHED"
            ),
            (Note::Connect { addr }, Lang::En) => {
                write!(f, "SYN →, ← SYN-ACK, ACK →: connected to {addr}")
            }
            (Note::Connect { addr }, Lang::Fr) => {
                write!(f, "SYN →, ← SYN-ACK, ACK → : connecté à {addr}")
            }
            (Note::Received { n: 0 }, Lang::En) => write!(f, "0: the peer closed (its FIN came)"),
            (Note::Received { n: 0 }, Lang::Fr) => {
                write!(f, "0 : le pair a fermé (son FIN est arrivé)")
            }
            (Note::Received { n }, Lang::En) => {
                write!(f, "{} taken from the receive buffer", Bytes(*n))
            }
            (Note::Received { n }, Lang::Fr) => {
                write!(f, "{} pris dans le tampon de réception", Bytes(*n))
            }
            (Note::Sent { n, len }, Lang::En) if n < len => {
                write!(f, "short send: {n} of {len} bytes taken; the rest follows")
            }
            (Note::Sent { n, len }, Lang::Fr) if n < len => {
                write!(
                    f,
                    "envoi partiel : {n} octets pris sur {len} ; le reste suit"
                )
            }
            (Note::Sent { n, .. }, Lang::En) => write!(f, "{} into the send buffer", Bytes(*n)),
            (Note::Sent { n, .. }, Lang::Fr) => write!(f, "{} dans le tampon d'envoi", Bytes(*n)),
            (Note::ShutdownWrite, Lang::En) => {
                write!(f, "FIN →: no more sending, replies can still come in")
            }
            (Note::ShutdownWrite, Lang::Fr) => {
                write!(
                    f,
                    "FIN → : plus d'envoi, les réponses peuvent encore arriver"
                )
            }
            (Note::Close, Lang::En) => write!(f, "descriptor released; FIN → if it was the last"),
            (Note::Close, Lang::Fr) => {
                write!(f, "descripteur libéré ; FIN → si c'était le dernier")
            }
            (Note::LocalAddr { addr }, Lang::En) => write!(f, "this end is {addr}"),
            (Note::LocalAddr { addr }, Lang::Fr) => write!(f, "ce bout-ci est {addr}"),
            (Note::PeerAddr { addr }, Lang::En) => write!(f, "the other end is {addr}"),
            (Note::PeerAddr { addr }, Lang::Fr) => write!(f, "l'autre bout est {addr}"),
            (Note::Failed { errno }, _) => match errno_hint(*errno) {
                "" if lang == Lang::En => write!(f, "failed"),
                "" => write!(f, "échec"),
                hint => f.write_str(hint),
            },
            (Note::TcpState { state }, Lang::En) => write!(
                f,
                "the kernel says: {} ({})",
                state.name(),
                state.meaning(lang)
            ),
            (Note::TcpState { state }, Lang::Fr) => write!(
                f,
                "le noyau dit : {} ({})",
                state.name(),
                state.meaning(lang)
            ),
            (Note::StateBeforeClose { state }, Lang::En) => write!(
                f,
                "before close(), the kernel says: {}; {}",
                state.name(),
                state.after_close(lang)
            ),
            (Note::StateBeforeClose { state }, Lang::Fr) => write!(
                f,
                "avant close(), le noyau dit : {} ; {}",
                state.name(),
                state.after_close(lang)
            ),
            (Note::Ready, Lang::En) => write!(f, "that many descriptors are ready"),
            (Note::Ready, Lang::Fr) => write!(f, "autant de descripteurs sont prêts"),
            (Note::EpollCreate, Lang::En) => {
                write!(f, "an epoll instance: an interest list and a ready list")
            }
            (Note::EpollCreate, Lang::Fr) => {
                write!(
                    f,
                    "une instance epoll : une liste d'intérêt et une liste des prêts"
                )
            }
            (Note::EpollAdd, Lang::En) => write!(
                f,
                "watched from now on: the kernel reports each change (edge-triggered)"
            ),
            (Note::EpollAdd, Lang::Fr) => write!(
                f,
                "surveillée désormais : le noyau signale chaque changement (sur front)"
            ),
            (Note::Limit, Lang::En) => write!(f, "the limit of open descriptors"),
            (Note::Limit, Lang::Fr) => write!(f, "la limite de descripteurs ouverts"),
            (Note::Timeout { after }, Lang::En) => write!(
                f,
                "a blocked call on this socket gives up after {:.3} s (EAGAIN)",
                after.as_secs_f64()
            ),
            (Note::Timeout { after }, Lang::Fr) => write!(
                f,
                "un appel bloqué sur cette socket abandonne au bout de {:.3} s (EAGAIN)",
                after.as_secs_f64()
            ),
            (Note::ShutdownBoth, Lang::En) => write!(
                f,
                "FIN →, no more receiving: a recv() blocked on it returns 0"
            ),
            (Note::ShutdownBoth, Lang::Fr) => write!(
                f,
                "FIN →, plus de réception : un recv() bloqué dessus rend 0"
            ),
            (Note::Fork { child }, Lang::En) => write!(
                f,
                "child {child} is a copy of this process, where fork() returns 0"
            ),
            (Note::Fork { child }, Lang::Fr) => write!(
                f,
                "le fils {child} est une copie de ce processus, où fork() rend 0"
            ),
            (Note::Pid, Lang::En) => write!(f, "this process's id, [pid N] in strace -f"),
            (Note::Pid, Lang::Fr) => write!(f, "le numéro de ce processus, [pid N] dans strace -f"),
            (Note::Tid, Lang::En) => write!(f, "this thread's id, [pid N] in strace -f"),
            (Note::Tid, Lang::Fr) => write!(f, "le numéro de ce thread, [pid N] dans strace -f"),
            (Note::Waited { status }, lang) => match (status, lang) {
                (WaitStatus::StillAlive, Lang::En) => write!(f, "no other child has exited"),
                (WaitStatus::StillAlive, Lang::Fr) => {
                    write!(f, "aucun autre fils ne s'est terminé")
                }
                (_, Lang::En) => write!(f, "a zombie collected"),
                (_, Lang::Fr) => {
                    write!(f, "un zombie recueilli")
                }
            },
            (Note::Kill { pid, signal }, Lang::En) => write!(f, "{signal} for process {pid}"),
            (Note::Kill { pid, signal }, Lang::Fr) => {
                write!(f, "{signal} pour le processus {pid}")
            }
            (Note::SigAction { signal, restart }, Lang::En) => {
                write!(f, "{signal} now runs our handler")?;
                if !restart {
                    write!(
                        f,
                        "; no SA_RESTART: a blocked call it interrupts returns EINTR"
                    )?;
                }
                Ok(())
            }
            (Note::SigAction { signal, restart }, Lang::Fr) => {
                write!(f, "{signal} exécute désormais notre gestionnaire")?;
                if !restart {
                    write!(
                        f,
                        " ; sans SA_RESTART : un appel bloqué qu'il interrompt rend EINTR"
                    )?;
                }
                Ok(())
            }
            (Note::SigMask { block: true }, Lang::En) => {
                write!(f, "these signals wait, pending, while blocked")
            }
            (Note::SigMask { block: true }, Lang::Fr) => {
                write!(
                    f,
                    "ces signaux attendent, en suspens, tant qu'ils sont bloqués"
                )
            }
            (Note::SigMask { block: false }, Lang::En) => write!(f, "the signal mask is restored"),
            (Note::SigMask { block: false }, Lang::Fr) => {
                write!(f, "le masque de signaux est rétabli")
            }
            (Note::SignalTaken { signal }, Lang::En) => {
                write!(f, "{signal} taken, without running its handler")
            }
            (Note::SignalTaken { signal }, Lang::Fr) => {
                write!(f, "{signal} pris, sans exécuter son gestionnaire")
            }
            (Note::SharedMemory, Lang::En) => {
                write!(
                    f,
                    "memory the children forked from now on share with this process"
                )
            }
            (Note::SharedMemory, Lang::Fr) => write!(
                f,
                "mémoire que les fils créés désormais partagent avec ce processus"
            ),
            (Note::Exit, Lang::En) => write!(f, "the process ends; its parent gets SIGCHLD"),
            (Note::Exit, Lang::Fr) => {
                write!(f, "le processus se termine ; son père reçoit SIGCHLD")
            }
        }
    }
}

/// What an errno means in the course's terms.
pub fn errno_hint(errno: Errno) -> &'static str {
    let text = match errno {
        Errno::EADDRINUSE => Text {
            en: "another socket already holds this port: another server, or a previous run's connections in TIME_WAIT (see --no-reuseaddr)",
            fr: "une autre socket tient déjà ce port : un autre serveur, ou des connexions d'une exécution précédente en TIME_WAIT (voir --no-reuseaddr)",
        },
        Errno::EADDRNOTAVAIL => Text {
            en: "this address is not one of this machine's",
            fr: "cette adresse n'est pas une adresse de cette machine",
        },
        Errno::EACCES => Text {
            en: "ports below 1024 are reserved to root (the course picks a port above 1000)",
            fr: "les ports sous 1024 sont réservés à root (le cours choisit un port supérieur à 1000)",
        },
        Errno::ECONNREFUSED => Text {
            en: "the machine answered with RST: no server listens on that port",
            fr: "la machine a répondu RST : aucun serveur n'écoute sur ce port",
        },
        Errno::ECONNRESET => Text {
            en: "the peer reset the connection (RST): it closed with unread data or vanished",
            fr: "le pair a réinitialisé la connexion (RST) : il a fermé sans tout lire ou a disparu",
        },
        Errno::EPIPE => Text {
            en: "the peer has closed its side: nothing more can be sent (Rust ignores SIGPIPE, so send() reports EPIPE instead of killing the program)",
            fr: "le pair a fermé son côté : plus rien ne peut être envoyé (Rust ignore SIGPIPE, send() rend donc EPIPE au lieu de tuer le programme)",
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
            fr: "la table des descripteurs ouverts est pleine : chaque socket est un descripteur",
        },
        Errno::EINTR => Text {
            en: "a signal arrived while the call was waiting",
            fr: "un signal est arrivé pendant que l'appel attendait",
        },
        Errno::EAGAIN => Text {
            en: "nothing to do now on this non-blocking socket: wait for readiness",
            fr: "rien à faire pour l'instant sur cette socket non bloquante : attendre qu'elle soit prête",
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
    /// Reading the client's input failed.
    Input { why: &'a dyn fmt::Display },
    /// Writing the replies to stdout failed.
    Output { why: &'a dyn fmt::Display },
    /// A blocking `accept()` waits on one socket: the blocking models serve one port.
    OneListenerOnly { model: &'a str },
    /// A `--listen` argument that is not `SERVICE:PORT`.
    BadListen { arg: &'a str },
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
                "getaddrinfo({host}) : hôte inconnu : {why} (résolution de nom, avant toute socket)"
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
                    "getaddrinfo({host}) : aucune adresse IPv4 ni IPv6 pour ce nom"
                )
            }
            (Problem::ServerVanished, Lang::En) => write!(
                f,
                "recv() returned 0: the server closed the connection before its reply was complete"
            ),
            (Problem::ServerVanished, Lang::Fr) => write!(
                f,
                "recv() a rendu 0 : le serveur a fermé la connexion avant la fin de sa réponse"
            ),
            (Problem::NoTerminal { why }, Lang::En) => write!(
                f,
                "--step waits for Enter on the terminal, and there is none: open(/dev/tty): {why}"
            ),
            (Problem::NoTerminal { why }, Lang::Fr) => write!(
                f,
                "--step attend Entrée sur le terminal, et il n'y en a pas : open(/dev/tty) : {why}"
            ),
            (Problem::Input { why }, Lang::En) => write!(f, "reading standard input: {why}"),
            (Problem::Input { why }, Lang::Fr) => {
                write!(f, "lecture de l'entrée standard : {why}")
            }
            (Problem::Output { why }, Lang::En) => write!(f, "writing standard output: {why}"),
            (Problem::Output { why }, Lang::Fr) => {
                write!(f, "écriture sur la sortie standard : {why}")
            }
            (Problem::OneListenerOnly { model }, Lang::En) => write!(
                f,
                "the {model} model serves one port: its blocking accept() waits on one listening socket only, so a second --listen would never be served (use --model select, poll or mio)"
            ),
            (Problem::OneListenerOnly { model }, Lang::Fr) => write!(
                f,
                "le modèle {model} sert un seul port : son accept() bloquant n'attend que sur une socket d'écoute, un second --listen ne serait jamais servi (utiliser --model select, poll ou mio)"
            ),
            (Problem::BadListen { arg }, Lang::En) => write!(
                f,
                "{arg:?} is not SERVICE:PORT, with SERVICE one of upper, echo, discard, daytime and PORT a number up to 65535 (0: any free port), as in echo:7007"
            ),
            (Problem::BadListen { arg }, Lang::Fr) => write!(
                f,
                "{arg:?} n'est pas SERVICE:PORT, avec SERVICE parmi upper, echo, discard, daytime et PORT un nombre jusqu'à 65535 (0 : un port libre), comme echo:7007"
            ),
        }
    }
}

/// What comes before a fatal error on stderr, after `sockstep: `: `error: `, or in French,
/// with French typography's space before the colon (as in the log), `erreur : `.
pub fn error_prefix() -> &'static str {
    match Lang::current() {
        Lang::En => "error: ",
        Lang::Fr => "erreur : ",
    }
}

/// A TCP connection's state, as the kernel numbers it in `tcpi_state`
/// (`include/net/tcp_states.h`) and as `ss` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    /// A number this table does not know (a newer kernel).
    Other(u8),
}

impl TcpState {
    /// The state of `tcpi_state`'s number.
    pub fn from_kernel(number: u8) -> TcpState {
        use TcpState::*;
        match number {
            1 => Established,
            2 => SynSent,
            3 => SynRecv,
            4 => FinWait1,
            5 => FinWait2,
            6 => TimeWait,
            7 => Close,
            8 => CloseWait,
            9 => LastAck,
            10 => Listen,
            11 => Closing,
            n => Other(n),
        }
    }

    /// The name `ss -tan` prints.
    pub fn name(self) -> String {
        use TcpState::*;
        match self {
            Established => "ESTABLISHED".into(),
            SynSent => "SYN-SENT".into(),
            SynRecv => "SYN-RECV".into(),
            FinWait1 => "FIN-WAIT-1".into(),
            FinWait2 => "FIN-WAIT-2".into(),
            TimeWait => "TIME-WAIT".into(),
            Close => "CLOSED".into(),
            CloseWait => "CLOSE-WAIT".into(),
            LastAck => "LAST-ACK".into(),
            Listen => "LISTEN".into(),
            Closing => "CLOSING".into(),
            Other(n) => format!("state {n}"),
        }
    }

    /// What the state means, in a few words.
    fn meaning(self, lang: Lang) -> &'static str {
        use TcpState::*;
        let text = match self {
            Established => Text {
                en: "the connection is open both ways",
                fr: "la connexion est ouverte dans les deux sens",
            },
            SynSent => Text {
                en: "SYN sent, waiting for the SYN-ACK",
                fr: "SYN envoyé, on attend le SYN-ACK",
            },
            SynRecv => Text {
                en: "SYN received and answered, waiting for the last ACK",
                fr: "SYN reçu et répondu, on attend le dernier ACK",
            },
            FinWait1 => Text {
                en: "our FIN is sent, not yet acknowledged",
                fr: "notre FIN est parti, pas encore acquitté",
            },
            FinWait2 => Text {
                en: "our FIN is acknowledged; the peer may still send until its own FIN",
                fr: "notre FIN est acquitté ; le pair peut encore envoyer jusqu'à son propre FIN",
            },
            TimeWait => Text {
                en: "both FINs exchanged; the kernel keeps the connection 60 s (2 MSL) so that a late segment is not taken for a new connection's",
                fr: "les deux FIN sont échangés ; le noyau garde la connexion 60 s (2 MSL) pour qu'un segment en retard ne soit pas pris pour celui d'une nouvelle connexion",
            },
            Close => Text {
                en: "this socket has no connection any more; once both FINs are exchanged, Linux keeps the TIME-WAIT of the side that closed first as a separate record, without a socket: `ss -tan state time-wait`",
                fr: "cette socket n'a plus de connexion ; une fois les deux FIN échangés, Linux garde le TIME-WAIT du côté qui a fermé le premier à part, sans socket : `ss -tan state time-wait`",
            },
            CloseWait => Text {
                en: "the peer has closed its side (its FIN came); ours stays open until we close",
                fr: "le pair a fermé son côté (son FIN est arrivé) ; le nôtre reste ouvert jusqu'à notre close",
            },
            LastAck => Text {
                en: "our FIN answers the peer's; waiting for its ACK",
                fr: "notre FIN répond à celui du pair ; on attend son ACK",
            },
            Listen => Text {
                en: "waiting for SYNs; the kernel completes handshakes by itself",
                fr: "en attente de SYN ; le noyau termine seul les poignées de main",
            },
            Closing => Text {
                en: "both sides sent FIN at the same time",
                fr: "les deux côtés ont envoyé FIN en même temps",
            },
            Other(_) => Text {
                en: "a state this program does not know",
                fr: "un état que ce programme ne connaît pas",
            },
        };
        text.get(lang)
    }

    /// What `close()` will do to a connection in this state.
    fn after_close(self, lang: Lang) -> &'static str {
        use TcpState::*;
        let text = match self {
            Listen => Text {
                en: "close() stops listening; connections still waiting in the queue are reset (RST)",
                fr: "close() arrête l'écoute ; les connexions encore en file sont réinitialisées (RST)",
            },
            Established => Text {
                en: "close() sends FIN (RST if received bytes are left unread); the connection lives on without a descriptor in FIN-WAIT-1, FIN-WAIT-2, then TIME-WAIT: `ss -tan` shows it",
                fr: "close() envoie FIN (RST s'il reste des octets reçus non lus) ; la connexion survit sans descripteur en FIN-WAIT-1, FIN-WAIT-2, puis TIME-WAIT : `ss -tan` la montre",
            },
            CloseWait => Text {
                en: "close() sends our FIN; the connection lives on without a descriptor in LAST-ACK until the peer's ACK, then is gone",
                fr: "close() envoie notre FIN ; la connexion survit sans descripteur en LAST-ACK jusqu'à l'ACK du pair, puis disparaît",
            },
            TimeWait => Text {
                en: "close() only releases the descriptor: the connection stays in TIME-WAIT for 60 s (`ss -tan state time-wait`)",
                fr: "close() ne fait que libérer le descripteur : la connexion reste en TIME-WAIT 60 s (`ss -tan state time-wait`)",
            },
            FinWait1 | FinWait2 | Closing => Text {
                en: "close() releases the descriptor; the kernel finishes the closing handshake by itself",
                fr: "close() libère le descripteur ; le noyau termine seul la fermeture",
            },
            Close => Text {
                en: "close() only releases the descriptor: the connection is already over (its TIME-WAIT, if any, lives on apart)",
                fr: "close() ne fait que libérer le descripteur : la connexion est déjà finie (son éventuel TIME-WAIT vit à part)",
            },
            _ => Text {
                en: "close() releases the descriptor",
                fr: "close() libère le descripteur",
            },
        };
        text.get(lang)
    }
}

/// The stop `--step` makes before a call: the call, its layer, what to look at now, and the
/// invitation to press Enter. `pid` is the process's, for `/proc/PID/fd`.
pub fn step_prompt(tag: &str, call: &str, layer: &str, name: &str, pid: u32) -> String {
    let lang = Lang::current();
    let look = step_look(name, lang).replace("PID", &pid.to_string());
    let (next, layer_word, look_word, enter) = match lang {
        Lang::En => ("next", "layer", "look", "press Enter to make the call"),
        Lang::Fr => ("ensuite", "couche", "à voir", "Entrée pour faire l'appel"),
    };
    format!(
        "{tag}{next}: {call}\n{tag}  {layer_word}: {layer}\n{tag}  {look_word}: {look}\n{tag}  {enter}\n"
    )
}

/// What to look at, in another terminal, just before each call.
fn step_look(call: &str, lang: Lang) -> &'static str {
    let text = match call {
        "socket" => Text {
            en: "`ls -l /proc/PID/fd`: no socket yet; after this call, one more descriptor, `socket:[inode]`",
            fr: "`ls -l /proc/PID/fd` : pas encore de socket ; après cet appel, un descripteur de plus, `socket:[inode]`",
        },
        "setsockopt" => Text {
            en: "nothing on the wire and nothing in `ss -tan`: an option only changes how the kernel will treat the socket",
            fr: "rien sur le fil ni dans `ss -tan` : une option change seulement la façon dont le noyau traitera la socket",
        },
        "bind" => Text {
            en: "`ss -tln` shows no LISTEN line for the port yet, and a client connecting now gets RST (ECONNREFUSED): bound is not listening",
            fr: "`ss -tln` ne montre pas encore de ligne LISTEN pour ce port, et un client qui se connecte maintenant reçoit RST (ECONNREFUSED) : lié n'est pas à l'écoute",
        },
        "listen" => Text {
            en: "`ss -tln`: after this call the port appears in state LISTEN, and clients can connect",
            fr: "`ss -tln` : après cet appel le port apparaît en état LISTEN, et les clients peuvent se connecter",
        },
        "accept" | "accept4" => Text {
            en: "run `ss -tn`: a client that connected is already ESTABLISHED although nobody has called accept(); accept() only takes it off the queue",
            fr: "lancer `ss -tn` : un client qui s'est connecté est déjà ESTABLISHED alors que personne n'a appelé accept() ; accept() ne fait que le retirer de la file",
        },
        "connect" => Text {
            en: "`sudo tcpdump -ni lo tcp` in another terminal: this call sends SYN, gets SYN-ACK and answers ACK; `ss -tn` then shows the connection ESTABLISHED",
            fr: "`sudo tcpdump -ni lo tcp` dans un autre terminal : cet appel envoie SYN, reçoit SYN-ACK et répond ACK ; `ss -tn` montre ensuite la connexion ESTABLISHED",
        },
        "recv" | "read" => Text {
            en: "`ss -tn`: bytes that arrived wait in Recv-Q; this call takes them, or blocks until some come",
            fr: "`ss -tn` : les octets arrivés attendent dans Recv-Q ; cet appel les prend, ou bloque jusqu'à ce qu'il en vienne",
        },
        "send" | "write" => Text {
            en: "the bytes go into the send buffer and leave at once (Send-Q in `ss -tn` stays 0 on loopback); the peer's Recv-Q grows until it reads",
            fr: "les octets vont dans le tampon d'envoi et partent aussitôt (Send-Q de `ss -tn` reste à 0 en local) ; le Recv-Q du pair grandit jusqu'à sa lecture",
        },
        "shutdown" => Text {
            en: "this sends FIN: `ss -tn` then shows this end in FIN-WAIT-2 and the other in CLOSE-WAIT, and the peer's recv() returns 0",
            fr: "cet appel envoie FIN : `ss -tn` montre ensuite ce bout en FIN-WAIT-2 et l'autre en CLOSE-WAIT, et le recv() du pair rend 0",
        },
        "close" => Text {
            en: "after this call the descriptor is gone from `ls -l /proc/PID/fd`, but `ss -tan` may still show the connection (TIME-WAIT, LAST-ACK...): the kernel keeps it",
            fr: "après cet appel le descripteur a disparu de `ls -l /proc/PID/fd`, mais `ss -tan` peut encore montrer la connexion (TIME-WAIT, LAST-ACK...) : le noyau la garde",
        },
        "getsockname" | "getpeername" => Text {
            en: "`ss -tn` shows the same addresses and ports; this call asks the kernel, nothing goes on the wire",
            fr: "`ss -tn` montre les mêmes adresses et ports ; cet appel interroge le noyau, rien ne passe sur le fil",
        },
        "select" | "poll" | "epoll_wait" => Text {
            en: "this call sleeps until one of the descriptors is ready; `cat /proc/PID/wchan` shows where it waits in the kernel",
            fr: "cet appel dort jusqu'à ce qu'un des descripteurs soit prêt ; `cat /proc/PID/wchan` montre où il attend dans le noyau",
        },
        "fork" => Text {
            en: "`ps -o pid,ppid,cmd --ppid PID`: after this call, one more process, sharing the same sockets",
            fr: "`ps -o pid,ppid,cmd --ppid PID` : après cet appel, un processus de plus, qui partage les mêmes sockets",
        },
        _ => Text {
            en: "`ls -l /proc/PID/fd` and `ss -tanp` show the process's descriptors and connections",
            fr: "`ls -l /proc/PID/fd` et `ss -tanp` montrent les descripteurs et les connexions du processus",
        },
    };
    text.get(lang)
}

/// What `sockstep bench` says: its header, its progress, its table's headings and notes, and
/// its problems. The CSV's header is machine-read and stays in English, as `listening on` does.
pub enum Bench<'a> {
    /// The machine the figures come from.
    Machine {
        cpus: usize,
        cpu_model: &'a str,
        kernel: &'a str,
        load: &'a str,
    },
    /// Where the server and the load generator run.
    Pinned {
        server: usize,
        loadgen: usize,
    },
    /// `--no-pin`.
    NotPinnedAsked,
    /// Only one CPU may be used: both share it.
    NotPinnedOneCpu,
    /// What each run does.
    Runs {
        size: usize,
        service: &'a str,
        until: &'a str,
        reps: usize,
    },
    /// `3 s per run`.
    Seconds {
        secs: f64,
    },
    /// `until 1000 replies (at most 3 s)`.
    Replies {
        count: u64,
        secs: f64,
    },
    /// How syscalls are counted, or why they are not.
    CountedBy {
        tool: &'a str,
    },
    NotCounted {
        why: &'a str,
    },
    /// fork and threads may serve every connection of the run.
    MaxClientsConns,
    /// fork and threads serve at most `max` clients at once.
    MaxClients {
        max: usize,
    },
    /// The honesty note.
    Illustrative,
    /// A plain progress line (when stderr is not a terminal).
    Progress {
        done: usize,
        total: usize,
        model: &'a str,
        conns: usize,
        rep: usize,
        reps: usize,
    },
    /// The outcome of one run, after its progress line.
    RunResult {
        msgs_per_s: f64,
        unserved: usize,
    },
    /// The hypervisor took this share of the CPUs during the bench.
    Steal {
        percent: f64,
    },
    /// The load average when the bench ended: how busy the machine was meanwhile.
    LoadAtEnd {
        load: &'a str,
    },
    /// A file was written.
    Wrote {
        path: &'a std::path::Path,
    },
    /// The notes under the table.
    Legend,
    /// Headings of the table's columns, in order.
    Headings,
    /// Chart captions and axis names.
    ChartThroughput,
    ChartLatency,
    AxisConnections,
    AxisMsgs,
    AxisP99,
    /// Under the plot: what a hollow ring means.
    PlotWaitingNote,
    /// Problems.
    BadOption {
        what: &'a str,
    },
    ServerDidNotStart {
        model: &'a str,
        why: &'a str,
        log: &'a std::path::Path,
    },
    LoadSetup {
        why: &'a dyn fmt::Display,
    },
    CannotWrite {
        path: &'a std::path::Path,
        why: &'a dyn fmt::Display,
    },
    Plot {
        why: &'a dyn fmt::Display,
    },
}

impl Bench<'_> {
    /// The table's column headings (one string per column).
    pub fn headings() -> [&'static str; 13] {
        match Lang::current() {
            Lang::En => [
                "model",
                "conns",
                "msgs/s",
                "p50 µs",
                "p99 µs",
                "max µs",
                "waiting",
                "errors",
                "CPU µs/msg",
                "RSS MiB",
                "procs",
                "threads",
                "syscalls/msg",
            ],
            Lang::Fr => [
                "modèle",
                "connex.",
                "msgs/s",
                "p50 µs",
                "p99 µs",
                "max µs",
                "en attente",
                "erreurs",
                "CPU µs/msg",
                "RSS Mio",
                "processus",
                "threads",
                "appels/msg",
            ],
        }
    }
}

impl fmt::Display for Bench<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, Lang::current()) {
            (
                Bench::Machine {
                    cpus,
                    cpu_model,
                    kernel,
                    load,
                },
                Lang::En,
            ) => write!(
                f,
                "machine: {cpus} CPUs ({cpu_model}), Linux {kernel}; load average at start: {load}"
            ),
            (
                Bench::Machine {
                    cpus,
                    cpu_model,
                    kernel,
                    load,
                },
                Lang::Fr,
            ) => write!(
                f,
                "machine : {cpus} processeurs ({cpu_model}), Linux {kernel} ; charge moyenne au départ : {load}"
            ),
            (Bench::Pinned { server, loadgen }, Lang::En) => write!(
                f,
                "pinning: the server runs on CPU {server}, the load generator on CPU {loadgen} (--no-pin to share them)"
            ),
            (Bench::Pinned { server, loadgen }, Lang::Fr) => write!(
                f,
                "épinglage : le serveur tourne sur le processeur {server}, le générateur de charge sur le {loadgen} (--no-pin pour les partager)"
            ),
            (Bench::NotPinnedAsked, Lang::En) => {
                write!(
                    f,
                    "pinning: off (--no-pin): the scheduler places server and load generator"
                )
            }
            (Bench::NotPinnedAsked, Lang::Fr) => write!(
                f,
                "épinglage : non (--no-pin) : l'ordonnanceur place serveur et générateur de charge"
            ),
            (Bench::NotPinnedOneCpu, Lang::En) => write!(
                f,
                "pinning: off: one CPU only, server and load generator share it"
            ),
            (Bench::NotPinnedOneCpu, Lang::Fr) => write!(
                f,
                "épinglage : non : un seul processeur, serveur et générateur de charge le partagent"
            ),
            (
                Bench::Runs {
                    size,
                    service,
                    until,
                    reps,
                },
                Lang::En,
            ) => write!(
                f,
                "each run: a fresh server, {size}-byte messages to the {service} service, {until}; median of {reps} run(s)"
            ),
            (
                Bench::Runs {
                    size,
                    service,
                    until,
                    reps,
                },
                Lang::Fr,
            ) => write!(
                f,
                "chaque mesure : un serveur neuf, des messages de {size} octets au service {service}, {until} ; médiane de {reps} mesure(s)"
            ),
            (Bench::Seconds { secs }, Lang::En) => write!(f, "{secs} s of ping-pong"),
            (Bench::Seconds { secs }, Lang::Fr) => write!(f, "{secs} s de ping-pong"),
            (Bench::Replies { count, secs }, Lang::En) => {
                write!(f, "until {count} replies (at most {secs} s)")
            }
            (Bench::Replies { count, secs }, Lang::Fr) => {
                write!(f, "jusqu'à {count} réponses (au plus {secs} s)")
            }
            (Bench::CountedBy { tool }, Lang::En) => {
                write!(f, "system calls: counted by {tool} during the load")
            }
            (Bench::CountedBy { tool }, Lang::Fr) => {
                write!(f, "appels système : comptés par {tool} pendant la charge")
            }
            (Bench::NotCounted { why }, Lang::En) => {
                write!(f, "system calls: not counted ({why})")
            }
            (Bench::NotCounted { why }, Lang::Fr) => {
                write!(f, "appels système : non comptés ({why})")
            }
            (Bench::MaxClientsConns, Lang::En) => write!(
                f,
                "fork and threads: --max-clients set to each run's number of connections, so that every connection can be served (--max-clients N to cap them)"
            ),
            (Bench::MaxClientsConns, Lang::Fr) => write!(
                f,
                "fork et threads : --max-clients réglé au nombre de connexions de chaque mesure, pour que toutes puissent être servies (--max-clients N pour les limiter)"
            ),
            (Bench::MaxClients { max }, Lang::En) => write!(
                f,
                "fork and threads: at most {max} clients served at once (--max-clients)"
            ),
            (Bench::MaxClients { max }, Lang::Fr) => write!(
                f,
                "fork et threads : au plus {max} clients servis à la fois (--max-clients)"
            ),
            (Bench::Illustrative, Lang::En) => write!(
                f,
                "Loopback figures are illustrative: client and server share one machine and no network is crossed. Compare the models within one run, not with figures from another machine."
            ),
            (Bench::Illustrative, Lang::Fr) => write!(
                f,
                "Les chiffres sur la boucle locale sont indicatifs : client et serveur partagent une machine et aucun réseau n'est traversé. Comparer les modèles au sein d'une même exécution, pas avec les chiffres d'une autre machine."
            ),
            (
                Bench::Progress {
                    done,
                    total,
                    model,
                    conns,
                    rep,
                    reps,
                },
                Lang::En,
            ) => write!(
                f,
                "bench [{done}/{total}] {model}, {conns} connection(s), run {rep}/{reps}"
            ),
            (
                Bench::Progress {
                    done,
                    total,
                    model,
                    conns,
                    rep,
                    reps,
                },
                Lang::Fr,
            ) => write!(
                f,
                "bench [{done}/{total}] {model}, {conns} connexion(s), mesure {rep}/{reps}"
            ),
            (
                Bench::RunResult {
                    msgs_per_s,
                    unserved,
                },
                Lang::En,
            ) => {
                write!(f, "{msgs_per_s:.0} msgs/s, {unserved} waiting")
            }
            (
                Bench::RunResult {
                    msgs_per_s,
                    unserved,
                },
                Lang::Fr,
            ) => {
                write!(f, "{msgs_per_s:.0} msgs/s, {unserved} en attente")
            }
            (Bench::Steal { percent }, Lang::En) => write!(
                f,
                "steal time during the bench: {percent:.1}% of the CPUs' time went to other virtual machines (noise)"
            ),
            (Bench::Steal { percent }, Lang::Fr) => write!(
                f,
                "temps volé pendant le bench : {percent:.1} % du temps des processeurs est allé à d'autres machines virtuelles (bruit)"
            ),
            (Bench::LoadAtEnd { load }, Lang::En) => write!(
                f,
                "load average at the end: {load} (other work on the machine makes the figures noisier)"
            ),
            (Bench::LoadAtEnd { load }, Lang::Fr) => write!(
                f,
                "charge moyenne à la fin : {load} (tout autre travail sur la machine rend les chiffres plus bruités)"
            ),
            (Bench::Wrote { path }, Lang::En) => write!(f, "wrote {}", path.display()),
            (Bench::Wrote { path }, Lang::Fr) => write!(f, "écrit : {}", path.display()),
            (Bench::Legend, Lang::En) => write!(
                f,
                "waiting: connections that got no reply before the end of the run (a model that serves one client at a time leaves the others waiting). \
errors: connections refused, reset or answered wrongly. \
Latencies are those of the replies received. \
CPU: the server's user+system time during the load, its child processes included. \
RSS: peak resident memory, summed over the server's processes (fork: pages shared copy-on-write are counted in each process). \
procs, threads: the server's processes and threads at the end of the load."
            ),
            (Bench::Legend, Lang::Fr) => write!(
                f,
                "en attente : connexions sans aucune réponse à la fin de la mesure (un modèle qui sert un client à la fois fait attendre les autres). \
erreurs : connexions refusées, réinitialisées ou mal servies. \
Les latences sont celles des réponses reçues. \
CPU : temps utilisateur+système du serveur pendant la charge, processus fils compris. \
RSS : mémoire résidente maximale, additionnée sur les processus du serveur (fork : les pages partagées en copie sur écriture comptent dans chaque processus). \
processus, threads : ceux du serveur à la fin de la charge."
            ),
            (Bench::Headings, _) => write!(f, "{}", Bench::headings().join(" | ")),
            (Bench::ChartThroughput, Lang::En) => write!(f, "throughput"),
            (Bench::ChartThroughput, Lang::Fr) => write!(f, "débit"),
            (Bench::ChartLatency, Lang::En) => write!(f, "p99 latency"),
            (Bench::ChartLatency, Lang::Fr) => write!(f, "latence p99"),
            (Bench::AxisConnections, Lang::En) => write!(f, "connections"),
            (Bench::AxisConnections, Lang::Fr) => write!(f, "connexions"),
            (Bench::PlotWaitingNote, Lang::En) => write!(
                f,
                "A hollow ring: some connections got no reply at all during that run (see the table's waiting column); its figures are those of the connections served."
            ),
            (Bench::PlotWaitingNote, Lang::Fr) => write!(
                f,
                "Un anneau vide : des connexions n'ont reçu aucune réponse pendant cette mesure (colonne en attente du tableau) ; ses chiffres sont ceux des connexions servies."
            ),
            (Bench::AxisMsgs, _) => write!(f, "msgs/s"),
            (Bench::AxisP99, _) => write!(f, "p99 µs"),
            (Bench::BadOption { what }, Lang::En) => write!(f, "bench: {what}"),
            (Bench::BadOption { what }, Lang::Fr) => write!(f, "bench : {what}"),
            (Bench::ServerDidNotStart { model, why, log }, Lang::En) => write!(
                f,
                "the {model} server did not start: {why} (its log: {})",
                log.display()
            ),
            (Bench::ServerDidNotStart { model, why, log }, Lang::Fr) => write!(
                f,
                "le serveur {model} n'a pas démarré : {why} (son journal : {})",
                log.display()
            ),
            (Bench::LoadSetup { why }, Lang::En) => {
                write!(f, "the load generator could not start: {why}")
            }
            (Bench::LoadSetup { why }, Lang::Fr) => {
                write!(f, "le générateur de charge n'a pas pu démarrer : {why}")
            }
            (Bench::CannotWrite { path, why }, Lang::En) => {
                write!(f, "cannot write {}: {why}", path.display())
            }
            (Bench::CannotWrite { path, why }, Lang::Fr) => {
                write!(f, "impossible d'écrire {} : {why}", path.display())
            }
            (Bench::Plot { why }, Lang::En) => write!(f, "drawing the plot: {why}"),
            (Bench::Plot { why }, Lang::Fr) => write!(f, "dessin du graphique : {why}"),
        }
    }
}
