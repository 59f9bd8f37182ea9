//! The narration's notes: what a call did, said in the bracket after its layer.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

use super::{Bytes, Lang, TcpState, errno_hint};

/// The other process that holds a copy of a descriptor after `fork()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// The parent closes its copy of the connected socket: the child serves the client.
    Child,
    /// The child closes its copy of the listening socket: the parent goes on listening.
    Parent,
}

/// What a call did, said in the narration's bracket after the layer.
#[derive(Clone, Copy, Debug)]
pub enum Note {
    Socket,
    /// socket() of a UDP socket.
    SocketDatagram,
    /// connect() of a UDP socket.
    ConnectDatagram {
        addr: SocketAddr,
    },
    /// bind() of a UDP socket.
    BindDatagram {
        addr: SocketAddr,
    },
    /// recvfrom() took one datagram: `kept` bytes of its `len`.
    ReceivedFrom {
        kept: usize,
        len: usize,
        from: SocketAddr,
    },
    /// sendto() sent one datagram.
    SentTo {
        n: usize,
        to: SocketAddr,
    },
    /// getaddrinfo returned `count` addresses.
    Resolved {
        count: usize,
    },
    /// getaddrinfo found no address.
    NotResolved,
    /// IPV6_V6ONLY set to `on`.
    V6Only {
        on: bool,
    },
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
    /// `--max-io` handed the kernel `given` bytes of a buffer of `asked`.
    Clamped {
        asked: usize,
        given: usize,
    },
    ShutdownWrite,
    /// close() of a TCP stream socket.
    Close,
    /// close() of a TCP stream socket another process still holds (the fork model's parent).
    CloseShared,
    /// close() of a TCP stream socket after shutdown(SHUT_WR): our FIN has gone already.
    CloseAfterShutdown,
    /// close() of a listening socket: no connection, so no FIN.
    CloseListener,
    /// close() of the fork child's copy of the listening socket: the parent still listens.
    CloseListenerCopy,
    /// close() of a UDP socket.
    CloseDatagram,
    /// close() of an epoll instance.
    CloseEpoll,
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
    /// The state just before the `close()` of a copy another process still holds.
    StateBeforeSharedClose {
        state: TcpState,
        holder: Holder,
    },
    Timeout {
        after: Duration,
    },
    ShutdownBoth,
    Fork {
        child: Pid,
    },
    /// pthread_create, through std's thread::spawn: glibc's calls, which made a thread.
    ThreadCreated,
    Pid,
    Tid,
    Waited {
        status: WaitStatus,
    },
    Kill {
        pid: Pid,
        signal: Signal,
    },
    /// `setitimer`: SIGALRM every `every`.
    Timer {
        every: std::time::Duration,
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
        // `::` with IPV6_V6ONLY at 0 (sockstep's default) takes the IPv4 side of the port too.
        (true, false, Lang::En) => {
            "every local IPv6 address (and IPv4 ones, unless IPV6_V6ONLY is 1)".into()
        }
        (true, true, Lang::Fr) => "toutes les adresses IPv4 locales".into(),
        (true, false, Lang::Fr) => {
            "toutes les adresses IPv6 locales (et IPv4, sauf si IPV6_V6ONLY vaut 1)".into()
        }
        (false, _, _) => addr.ip().to_string(),
    }
}

/// How many completed connections Linux keeps waiting for `accept()` after `listen(fd,
/// backlog)`: one more than the backlog, because the kernel refuses a new one only when the
/// queue is already longer than the backlog (`sk_acceptq_is_full()` compares with `>`, in
/// include/net/sock.h). Measured with `listen(fd, 1)`: `ss -ltn` shows Recv-Q 2, and further
/// clients stay in SYN-SENT (tests/backlog.rs). A backlog above net.core.somaxconn (4096 by
/// default) is cut down to it, which the program does not read: then `None`.
fn accept_queue(backlog: i32) -> Option<i64> {
    (0..=libc::SOMAXCONN)
        .contains(&backlog)
        .then(|| i64::from(backlog) + 1)
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lang = Lang::current();
        match (self, lang) {
            (Note::Socket, Lang::En) => write!(f, "a new TCP endpoint, state CLOSED"),
            (Note::Socket, Lang::Fr) => write!(f, "une nouvelle extrémité TCP, état CLOSED"),
            (Note::SocketDatagram, Lang::En) => {
                write!(f, "a new UDP endpoint: no connection, no state")
            }
            (Note::SocketDatagram, Lang::Fr) => {
                write!(f, "une nouvelle extrémité UDP : ni connexion, ni état")
            }
            (Note::ReceivedFrom { kept, len, from }, Lang::En) if len > kept => write!(
                f,
                "one datagram of {} from {from}, cut to {}: MSG_TRUNC, the rest is lost",
                Bytes(*len),
                Bytes(*kept)
            ),
            (Note::ReceivedFrom { kept, len, from }, Lang::Fr) if len > kept => write!(
                f,
                "un datagramme de {} venu de {from}, coupé à {} : MSG_TRUNC, le reste est perdu",
                Bytes(*len),
                Bytes(*kept)
            ),
            (Note::ReceivedFrom { len, from, .. }, Lang::En) => {
                write!(f, "one whole datagram of {} from {from}", Bytes(*len))
            }
            (Note::ReceivedFrom { len, from, .. }, Lang::Fr) => {
                write!(f, "un datagramme entier de {} venu de {from}", Bytes(*len))
            }
            (Note::SentTo { n, to }, Lang::En) => {
                write!(f, "one datagram of {} to {to}, UDP header added", Bytes(*n))
            }
            (Note::SentTo { n, to }, Lang::Fr) => write!(
                f,
                "un datagramme de {} vers {to}, en-tête UDP ajouté",
                Bytes(*n)
            ),
            (Note::Resolved { count }, Lang::En) => write!(
                f,
                "a library call, not a system call: the resolver's own calls (openat of /etc/hosts...) are what strace shows; {}, to be tried in this order",
                super::count(*count, "address", "addresses")
            ),
            (Note::Resolved { count }, Lang::Fr) => write!(
                f,
                "un appel de bibliothèque, pas un appel système : strace montre les appels du résolveur (openat de /etc/hosts...) ; {}, à essayer dans cet ordre",
                super::count(*count, "adresse", "adresses")
            ),
            (Note::NotResolved, Lang::En) => write!(
                f,
                "a library call, not a system call: no address for this name"
            ),
            (Note::NotResolved, Lang::Fr) => write!(
                f,
                "un appel de bibliothèque, pas un appel système : aucune adresse pour ce nom"
            ),
            (Note::V6Only { on: false }, Lang::En) => write!(
                f,
                "dual stack: this IPv6 socket also takes IPv4 clients, seen as ::ffff:a.b.c.d"
            ),
            (Note::V6Only { on: false }, Lang::Fr) => write!(
                f,
                "double pile : cette socket IPv6 accepte aussi les clients IPv4, vus comme ::ffff:a.b.c.d"
            ),
            (Note::V6Only { on: true }, Lang::En) => {
                write!(f, "IPv6 only: the IPv4 port stays free for another socket")
            }
            (Note::V6Only { on: true }, Lang::Fr) => write!(
                f,
                "IPv6 seulement : le port IPv4 reste libre pour une autre socket"
            ),
            (Note::ReuseAddr { on: true }, Lang::En) => {
                write!(
                    f,
                    "the port may be bound again while old connections sit in TIME_WAIT"
                )
            }
            (Note::ReuseAddr { on: true }, Lang::Fr) => {
                write!(
                    f,
                    "le port pourra être réutilisé même si d'anciennes connexions sont en TIME_WAIT"
                )
            }
            (Note::ReuseAddr { on: false }, Lang::En) => {
                write!(f, "SO_REUSEADDR off: a restart fails while TIME_WAIT lasts")
            }
            (Note::ReuseAddr { on: false }, Lang::Fr) => {
                write!(
                    f,
                    "SO_REUSEADDR désactivé : un redémarrage échoue tant que dure TIME_WAIT"
                )
            }
            (Note::NoDelay, Lang::En) => write!(f, "Nagle off: small segments leave at once"),
            (Note::NoDelay, Lang::Fr) => {
                write!(
                    f,
                    "algorithme de Nagle désactivé : les petits segments partent aussitôt"
                )
            }
            // Port 0: the kernel chooses a free port at bind(); getsockname() tells which.
            (Note::Bind { addr }, Lang::En) if addr.port() == 0 => write!(
                f,
                "reserves a free TCP port, chosen by the kernel (port 0 asked), on {}",
                where_bound(addr, lang)
            ),
            (Note::Bind { addr }, Lang::Fr) if addr.port() == 0 => write!(
                f,
                "réserve un port TCP libre, choisi par le noyau (port 0 demandé), sur {}",
                where_bound(addr, lang)
            ),
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
            (Note::BindDatagram { addr }, Lang::En) => write!(
                f,
                "reserves UDP port {} on {}: datagrams for it come to this socket",
                addr.port(),
                where_bound(addr, lang)
            ),
            (Note::BindDatagram { addr }, Lang::Fr) => write!(
                f,
                "réserve le port UDP {} sur {} : les datagrammes qui lui sont adressés arrivent à cette socket",
                addr.port(),
                where_bound(addr, lang)
            ),
            (Note::Listen { backlog }, Lang::En) => match accept_queue(*backlog) {
                Some(n) => write!(
                    f,
                    "state LISTEN: a SYN now gets SYN-ACK; up to {n} completed connections (backlog + 1 on Linux) wait for accept()"
                ),
                None => write!(
                    f,
                    "state LISTEN: a SYN now gets SYN-ACK; up to net.core.somaxconn + 1 completed connections wait for accept()"
                ),
            },
            (Note::Listen { backlog }, Lang::Fr) => match accept_queue(*backlog) {
                Some(n) => write!(
                    f,
                    "état LISTEN : un SYN reçoit désormais un SYN-ACK ; jusqu'à {n} connexions établies (backlog + 1 sous Linux) attendent accept()"
                ),
                None => write!(
                    f,
                    "état LISTEN : un SYN reçoit désormais un SYN-ACK ; jusqu'à net.core.somaxconn + 1 connexions établies attendent accept()"
                ),
            },
            (Note::Accept, Lang::En) => write!(
                f,
                "a connection the kernel already set up (SYN, SYN-ACK, ACK), state ESTABLISHED"
            ),
            (Note::Accept, Lang::Fr) => write!(
                f,
                "une connexion déjà établie par le noyau (SYN, SYN-ACK, ACK), état ESTABLISHED"
            ),
            (Note::ConnectDatagram { addr }, Lang::En) => write!(
                f,
                "nothing on the wire: the kernel remembers {addr} as the one peer (send() needs no address, recv() takes its datagrams only, ICMP errors are reported)"
            ),
            (Note::ConnectDatagram { addr }, Lang::Fr) => write!(
                f,
                "rien sur le fil : le noyau retient {addr} comme seul pair (send() sans adresse, recv() ne prend que ses datagrammes, les erreurs ICMP sont signalées)"
            ),
            (Note::Connect { addr }, Lang::En) => {
                write!(f, "SYN →, ← SYN-ACK, ACK →: connected to {addr}")
            }
            (Note::Connect { addr }, Lang::Fr) => {
                write!(f, "SYN →, ← SYN-ACK, ACK → : connecté à {addr}")
            }
            (Note::Received { n: 0 }, Lang::En) => write!(f, "0: the peer closed (its FIN came)"),
            (Note::Received { n: 0 }, Lang::Fr) => {
                write!(f, "0 : le pair a fermé (son FIN est arrivé)")
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
                    "envoi partiel : {n} octets pris sur {len} ; le reste suit"
                )
            }
            (Note::Sent { n, .. }, Lang::En) => write!(f, "{} into the send buffer", Bytes(*n)),
            (Note::Sent { n, .. }, Lang::Fr) => write!(
                f,
                "{} {} dans le tampon d'envoi",
                Bytes(*n),
                if *n > 1 { "copiés" } else { "copié" }
            ),
            (Note::Clamped { asked, given }, Lang::En) => write!(
                f,
                "--max-io {given}: {given} of the {asked} bytes handed to the kernel, on purpose"
            ),
            (Note::Clamped { asked, given }, Lang::Fr) => write!(
                f,
                "--max-io {given} : {given} des {asked} octets confiés au noyau, exprès"
            ),
            (Note::ShutdownWrite, Lang::En) => {
                write!(f, "FIN →: no more sending, replies can still come in")
            }
            (Note::ShutdownWrite, Lang::Fr) => {
                write!(
                    f,
                    "FIN → : plus d'envoi, les réponses peuvent encore arriver"
                )
            }
            (Note::Close, Lang::En) => write!(f, "descriptor released; FIN → if it was the last"),
            (Note::Close, Lang::Fr) => {
                write!(f, "descripteur libéré ; FIN → si c'était le dernier")
            }
            (Note::CloseShared, Lang::En) => write!(
                f,
                "this process drops its copy; no FIN while the child holds the socket (FIN goes with the last close)"
            ),
            (Note::CloseShared, Lang::Fr) => write!(
                f,
                "ce processus ferme sa copie ; pas de FIN tant que le fils tient la socket (le FIN part avec la dernière fermeture)"
            ),
            (Note::CloseAfterShutdown, Lang::En) => write!(
                f,
                "descriptor released; no FIN now: ours left at shutdown()"
            ),
            (Note::CloseAfterShutdown, Lang::Fr) => write!(
                f,
                "descripteur libéré ; pas de FIN maintenant : le nôtre est parti au shutdown()"
            ),
            (Note::CloseListener, Lang::En) => write!(
                f,
                "descriptor released; if it was the last, the port stops listening (no FIN: a listening socket has no connection)"
            ),
            (Note::CloseListener, Lang::Fr) => write!(
                f,
                "descripteur libéré ; si c'était le dernier, le port n'écoute plus (pas de FIN : une socket d'écoute n'a pas de connexion)"
            ),
            (Note::CloseListenerCopy, Lang::En) => write!(
                f,
                "this process drops its copy; the parent still listens on the port (no FIN, no RST)"
            ),
            (Note::CloseListenerCopy, Lang::Fr) => write!(
                f,
                "ce processus ferme sa copie ; le père écoute toujours sur le port (ni FIN ni RST)"
            ),
            (Note::CloseDatagram, Lang::En) => {
                write!(
                    f,
                    "descriptor released; UDP has no connection: nothing on the wire"
                )
            }
            (Note::CloseDatagram, Lang::Fr) => {
                write!(
                    f,
                    "descripteur libéré ; UDP n'a pas de connexion : rien sur le fil"
                )
            }
            (Note::CloseEpoll, Lang::En) => write!(
                f,
                "descriptor released; if it was the last, the kernel frees the epoll instance (nothing on the wire)"
            ),
            (Note::CloseEpoll, Lang::Fr) => write!(
                f,
                "descripteur libéré ; si c'était le dernier, le noyau libère l'instance epoll (rien sur le fil)"
            ),
            (Note::LocalAddr { addr }, Lang::En) => write!(f, "this end is {addr}"),
            (Note::LocalAddr { addr }, Lang::Fr) => write!(f, "cette extrémité est {addr}"),
            (Note::PeerAddr { addr }, Lang::En) => write!(f, "the other end is {addr}"),
            (Note::PeerAddr { addr }, Lang::Fr) => write!(f, "l'autre extrémité est {addr}"),
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
                "le noyau dit : {} ({})",
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
                "avant close(), le noyau dit : {} ; {}",
                state.name(),
                state.after_close(lang)
            ),
            (Note::StateBeforeSharedClose { state, holder }, Lang::En) => write!(
                f,
                "before close(), the kernel says: {}; {}",
                state.name(),
                match holder {
                    Holder::Child => "while the child holds a copy, this close() sends nothing",
                    Holder::Parent =>
                        "the parent holds a copy and still listens: this close() resets nothing",
                }
            ),
            (Note::StateBeforeSharedClose { state, holder }, Lang::Fr) => write!(
                f,
                "avant close(), le noyau dit : {} ; {}",
                state.name(),
                match holder {
                    Holder::Child =>
                        "tant que le fils en tient une copie, ce close() n'envoie rien",
                    Holder::Parent =>
                        "le père en tient une copie et écoute toujours : ce close() ne réinitialise rien",
                }
            ),
            (Note::Ready, Lang::En) => write!(f, "that many descriptors are ready"),
            (Note::Ready, Lang::Fr) => {
                write!(f, "la valeur renvoyée est le nombre de descripteurs prêts")
            }
            (Note::EpollCreate, Lang::En) => {
                write!(f, "an epoll instance: an interest list and a ready list")
            }
            (Note::EpollCreate, Lang::Fr) => {
                write!(
                    f,
                    "une instance epoll : une liste d'intérêt et une liste des prêts"
                )
            }
            (Note::EpollAdd, Lang::En) => write!(
                f,
                "watched from now on: the kernel reports each change (edge-triggered)"
            ),
            (Note::EpollAdd, Lang::Fr) => write!(
                f,
                "surveillée désormais : le noyau signale chaque changement (déclenchement sur front)"
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
                "un appel bloqué sur cette socket abandonne au bout de {} s (EAGAIN)",
                super::decimal(after.as_secs_f64(), Some(3))
            ),
            (Note::ShutdownBoth, Lang::En) => write!(
                f,
                "FIN →, no more receiving: a recv() blocked on it returns 0"
            ),
            (Note::ShutdownBoth, Lang::Fr) => write!(
                f,
                "FIN →, plus de réception : un recv() bloqué dessus renvoie 0"
            ),
            (Note::Fork { child }, Lang::En) => write!(
                f,
                "child {child} is a copy of this process, where fork() returns 0"
            ),
            (Note::Fork { child }, Lang::Fr) => write!(
                f,
                "le fils {child} est une copie de ce processus, où fork() renvoie 0"
            ),
            (Note::ThreadCreated, Lang::En) => write!(
                f,
                "a library call (std's thread::spawn): strace shows glibc's mmap and mprotect (the thread's stack, unless reused), rt_sigprocmask (every signal blocked), clone3 with CLONE_THREAD (the new thread, = its id) and rt_sigprocmask (mask back)"
            ),
            (Note::ThreadCreated, Lang::Fr) => write!(
                f,
                "un appel de bibliothèque (thread::spawn de std) : strace montre mmap et mprotect de la glibc (la pile du thread, sauf réemploi), rt_sigprocmask (tous les signaux bloqués), clone3 avec CLONE_THREAD (qui crée le thread et renvoie son numéro) et rt_sigprocmask (masque rétabli)"
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
            (Note::Timer { every }, Lang::En) => write!(
                f,
                "SIGALRM every {} ms from now on (--interrupt): blocked calls will return EINTR",
                every.as_millis()
            ),
            (Note::Timer { every }, Lang::Fr) => write!(
                f,
                "SIGALRM toutes les {} ms désormais (--interrupt) : les appels bloqués renverront EINTR",
                every.as_millis()
            ),
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
                write!(f, "{signal} déclenche désormais notre gestionnaire")?;
                if !restart {
                    write!(
                        f,
                        " ; sans SA_RESTART : un appel bloqué qu'il interrompt renvoie EINTR"
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
                write!(f, "le processus se termine ; son père reçoit SIGCHLD")
            }
        }
    }
}
