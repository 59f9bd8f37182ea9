//! The event loops' turn, written once for the select, poll and mio models.
//!
//! ```text
//! open the listening sockets (non-blocking), install the SIGINT and SIGTERM handlers
//! each turn:
//!     the shutdown flag         (close the listening sockets, bound the wait by the grace)
//!     wait                      select(), poll() or epoll_wait(): the one place the loop sleeps
//!     the connections it names  read, answer, send as far as the kernel lets us (readiness.rs)
//!     the listeners it names    accept until EAGAIN, each new connection opened and watched;
//!                               a UDP socket: recvfrom/sendto until EAGAIN
//!     what closed               a free descriptor: the listeners EMFILE set aside accept again
//!                               (and after a pause, growing to 1 s, if nothing closes)
//! ```
//!
//! The three models differ only in how they wait and how they learn which descriptors are
//! ready: each is a [`Waiter`], and this module's [`run`] is their loop.

use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::accept_loop::{FIRST_BACKOFF, LONGEST_BACKOFF};
use super::datagram::{self, Parrot};
use super::readiness::{Conn, Conns, Opened, Readiness};
use super::{
    AcceptError, Config, Proto, log_accept_error, open_listener, set_nodelay, sort_accept_error,
    summary,
};
use crate::Error;
use crate::dialogue::Tally;
use crate::narrate::{self, Log};
use crate::service::Service;
use crate::signals;
use crate::stream::Io;
use crate::sys::{self, Blocking, Socket};
use crate::text::Msg;

/// How an event loop waits: what select, poll and mio each do their own way.
pub trait Waiter: Sized {
    /// Does the wait report a socket once, when it becomes ready (edge-triggered: epoll as
    /// mio asks for it), or at every wait while it stays ready (level-triggered: select, poll)?
    const EDGE_TRIGGERED: bool;

    /// Gets ready to wait, once the listening sockets are open: epoll creates its instance
    /// and registers them. select and poll keep nothing: they hand the kernel every socket at
    /// every wait.
    fn open(listeners: &[Listener]) -> sys::Result<Self>;

    /// Why a new connection cannot be watched at all, if it cannot: select's bit sets stop at
    /// `FD_SETSIZE`.
    fn refusal(&self, _fd: RawFd) -> Option<Msg<'static>> {
        None
    }

    /// A new connection, in `slot`, to watch from now on: epoll registers it, once.
    fn watch(&mut self, _slot: usize, _conn: &Conn) -> sys::Result<()> {
        Ok(())
    }

    /// Sleeps until one of the sockets of `watch` is ready, or until its timeout, then says
    /// in `ready` which are, and how. A signal's handler makes it fail with EINTR.
    fn wait(&mut self, watch: Watch<'_>, ready: &mut Ready) -> sys::Result<()>;

    /// Closes what [`Waiter::open`] opened (epoll's instance).
    fn close(self) -> sys::Result<()> {
        Ok(())
    }
}

/// What a wait is asked: which sockets to watch, and for how long at most.
#[derive(Clone, Copy)]
pub struct Watch<'a> {
    pub listeners: &'a [Listener],
    pub conns: &'a Conns,
    /// `None`: as long as it takes.
    pub timeout: Option<Duration>,
}

/// What one wait reported.
#[derive(Debug, Default)]
pub struct Ready {
    /// The listening sockets with connections in their queue, by index.
    pub listeners: Vec<usize>,
    /// The connections the wait named, by slot, with what it said about each.
    pub conns: Vec<(usize, Readiness)>,
}

// ANCHOR: run
/// Runs an event loop that waits with `W` until it is done (`--once`, SIGINT, SIGTERM) or
/// fails to set up.
pub fn run<W: Waiter>(config: &Config) -> Result<(), Error> {
    raise_nofile_limit();
    let mut listeners = open_listeners(config)?;
    // Before the first wait: from here on, Ctrl-C interrupts it (see `shutdown_turn`).
    signals::handle_shutdown(config.grace)?;
    let mut event_loop = EventLoop {
        waiter: W::open(&listeners)?,
        conns: Conns::default(),
        io: config.io,
        nagle: config.nagle,
        tally: Tally::default(),
        served: false,
        closed: false,
    };
    let mut buf = vec![0u8; config.stream_buf()];
    let mut reply = Vec::new();
    let mut ready = Ready::default();
    // Each turn: the shutdown flag, one wait, then the work it reported.
    while let Turn::Wait(timeout) = shutdown_turn(&mut listeners, event_loop.conns.len())? {
        ready.listeners.clear();
        ready.conns.clear();
        let watch = Watch {
            listeners: &listeners,
            conns: &event_loop.conns,
            timeout: until_retry(&listeners, timeout),
        };
        match event_loop.waiter.wait(watch, &mut ready) {
            Ok(()) => {}
            // A signal's handler ran: the top of the loop looks at the shutdown flag.
            Err(e) if e.errno == Errno::EINTR => {
                signals::retrying(None, e.call);
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        event_loop.closed = false;
        // Connections first, listeners last: a slot freed by a close is not reused by a new
        // connection before this turn's answers are all handled.
        for &(slot, readiness) in &ready.conns {
            event_loop.on_ready(slot, readiness, &mut buf, &mut reply);
        }
        for &index in &ready.listeners {
            let listener = &mut listeners[index];
            // A UDP socket is one more socket to watch: ready means datagrams wait.
            if let Some(parrot) = &mut listener.parrot {
                event_loop.served |= parrot.drain(&listener.sock)?;
                event_loop.tally += parrot.take_tally();
                continue;
            }
            accept_all(listener, |conn_fd, service| {
                event_loop.admit(conn_fd, service);
            })?;
        }
        // A descriptor is free again (a connection closed): the connections EMFILE left in a
        // listening socket's queue can be taken, so accept at once. An edge-triggered wait
        // would not report the socket again (no new event); a level-triggered one would, but
        // accepting now also learns whether the episode is over: EAGAIN, nobody waits and a
        // descriptor is free (see `accept_all`). With nothing closing (no client of ours,
        // or ENFILE, ENOMEM, ENOBUFS: the whole machine's shortage), accept again when the
        // pause is over: the shortage may have ended elsewhere.
        let closed = event_loop.closed;
        for listener in listeners
            .iter_mut()
            .filter(|l| l.retry_at.is_some_and(|at| closed || at <= Instant::now()))
        {
            accept_all(listener, |conn_fd, service| {
                event_loop.admit(conn_fd, service)
            })?;
        }
        // --once: one client served (a connection closed, or a datagram answered).
        if config.once && event_loop.served && event_loop.conns.is_empty() {
            break;
        }
    }
    finish(listeners, &mut event_loop.conns, event_loop.tally)?;
    event_loop.waiter.close()?;
    Ok(())
}
// ANCHOR_END: run

/// An event loop, but for its listening sockets: how it waits, its connections, and what they
/// moved.
struct EventLoop<W> {
    waiter: W,
    conns: Conns,
    io: Io,
    /// `--nagle`: leave Nagle's algorithm on (see [`set_nodelay`]).
    nagle: bool,
    tally: Tally,
    /// A connection was accepted (`--once` stops when the last one closes), or a datagram
    /// answered.
    served: bool,
    /// A connection closed during this turn.
    closed: bool,
}

impl<W: Waiter> EventLoop<W> {
    /// Lets the connection in `slot` do what the wait said it can; closes it when it is done.
    fn on_ready(&mut self, slot: usize, ready: Readiness, buf: &mut [u8], reply: &mut Vec<u8>) {
        if let Some(moved) = self.conns.on_ready(slot, ready, buf, reply) {
            self.tally += moved;
            self.closed = true;
        }
    }

    // ANCHOR: admit
    /// Takes in one accepted connection: refuses it at once if the wait cannot watch its
    /// descriptor; else opens it (the service may speak first, and daytime says all and is
    /// closed at once), and watches it from the next turn on.
    fn admit(&mut self, conn_fd: Socket, service: Service) {
        self.served = true;
        let fd = conn_fd.fd();
        if let Some(why) = self.waiter.refusal(fd) {
            narrate::error(Some(fd), why);
            if let Err(error) = sys::close(conn_fd) {
                narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
            }
            self.closed = true;
            return;
        }
        set_nodelay(&conn_fd, self.nagle);
        let conn = match Conn::open(conn_fd, service, self.io) {
            Opened::Watch(conn) => conn,
            Opened::Done(moved) => {
                self.tally += moved;
                self.closed = true;
                return;
            }
        };
        let (slot, conn) = self.conns.insert(conn);
        if let Err(error) = self.waiter.watch(slot, conn) {
            narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
            if let Some(conn) = self.conns.remove(slot) {
                self.tally += conn.close();
            }
            self.closed = true;
        }
    }
    // ANCHOR_END: admit
}

/// Opens every listening socket of `config`, non-blocking, for the event-loop models: a TCP
/// listening socket, or a bound UDP socket.
fn open_listeners(config: &Config) -> Result<Vec<Listener>, Error> {
    config
        .listens
        .iter()
        .map(|listen| {
            let (sock, parrot) = match listen.proto {
                Proto::Tcp => (open_listener(listen, config, Blocking::No)?, None),
                Proto::Udp => (
                    datagram::open(listen, config, Blocking::No)?,
                    Some(Parrot::new(listen.service, config.datagram_buf())),
                ),
            };
            Ok(Listener {
                sock,
                service: listen.service,
                refused: 0,
                retry_at: None,
                backoff: FIRST_BACKOFF,
                parrot,
            })
        })
        .collect()
}

/// Closes the listening sockets of an event loop that is done (`--once`).
fn close_listeners(listeners: Vec<Listener>) -> sys::Result<()> {
    let only_udp = listeners.iter().all(|l| l.parrot.is_some());
    let unplugging = if only_udp {
        Msg::UnpluggingDatagram
    } else {
        Msg::Unplugging {
            listeners: listeners.len(),
        }
    };
    narrate::log(Log::Conn, None, unplugging);
    for listener in listeners {
        sys::close(listener.sock)?;
    }
    Ok(())
}

/// A listening socket of an event loop, and the service its clients get.
#[derive(Debug)]
pub struct Listener {
    pub sock: Socket,
    pub service: Service,
    /// How many `accept()`s the kernel refused (EMFILE...) since the last time accepting
    /// worked: 0 while it works. The log says when an episode begins and when it ends, not
    /// each refusal: under a full descriptor table, every connection that closes lets one
    /// waiting connection in, and the next `accept()` is refused again.
    pub refused: u64,
    /// While [`starved`](Listener::starved): when to accept again if no connection has closed
    /// by then; the pause doubles with each refusal of the episode, from 10 ms up to a second.
    pub retry_at: Option<Instant>,
    /// The pause after the next refusal of the episode.
    pub backoff: Duration,
    /// A UDP socket's parrot; `None` for a TCP listening socket. A UDP socket is watched as
    /// a listening socket is (readable: something waits), but what waits is datagrams, read
    /// and answered in place, not connections to accept.
    pub parrot: Option<Parrot>,
}

impl Listener {
    /// `accept()` failed for want of descriptors or memory (EMFILE...): the connections wait
    /// in the kernel's queue until a connection closes and frees one, or the pause is over.
    /// Until then the listening socket is not watched, or a level-triggered wait would report
    /// it ready again at once and the loop would spin.
    pub fn starved(&self) -> bool {
        self.retry_at.is_some()
    }
}

// ANCHOR: accept_all
/// Accepts every connection waiting on `listener`, until EAGAIN, and hands each to `admit`.
///
/// An event (edge-triggered) says only that the queue became non-empty, and many connections
/// may be waiting: accepting until EAGAIN empties it. Each connected socket is made
/// non-blocking by `accept4(SOCK_NONBLOCK)` in the same call. Returns an error only when the
/// listening socket itself is broken.
fn accept_all(
    listener: &mut Listener,
    mut admit: impl FnMut(Socket, Service),
) -> Result<(), sys::SysError> {
    loop {
        match sys::accept4(&listener.sock, sys::Blocking::No) {
            Ok(conn_fd) => admit(conn_fd, listener.service),
            // The queue is empty. Linux takes a descriptor for the new socket before it
            // looks at the queue, so EAGAIN also says a descriptor was free: an episode of
            // refusals is over.
            Err(e) if e.errno == Errno::EAGAIN => {
                if listener.refused > 0 {
                    let tries = std::mem::take(&mut listener.refused);
                    listener.retry_at = None;
                    listener.backoff = FIRST_BACKOFF;
                    narrate::log(Log::Conn, None, Msg::AcceptWorksAgain { tries });
                }
                return Ok(());
            }
            Err(error)
                if matches!(
                    error.errno,
                    Errno::EMFILE | Errno::ENFILE | Errno::ENOBUFS | Errno::ENOMEM
                ) =>
            {
                if listener.refused == 0 {
                    narrate::error(None, Msg::ListenerSetAside { error: &error });
                }
                listener.refused += 1;
                listener.retry_at = Some(Instant::now() + listener.backoff);
                listener.backoff = (listener.backoff * 2).min(LONGEST_BACKOFF);
                return Ok(());
            }
            Err(error) => match sort_accept_error(error) {
                AcceptError::Transient(error) => log_accept_error(&error),
                AcceptError::Fatal(error) => return Err(error),
            },
        }
    }
}
// ANCHOR_END: accept_all

/// Raises the limit of open descriptors (`RLIMIT_NOFILE`) to its hard limit, and says so:
/// an event loop holds one descriptor per client, and the usual soft limit, 1024, would stop
/// it at about a thousand clients with EMFILE. When it cannot, it says so and goes on.
fn raise_nofile_limit() {
    match sys::getrlimit_nofile() {
        Ok((soft, hard)) if soft >= hard => {
            narrate::log(Log::Conn, None, Msg::NoFileAtHard { limit: soft })
        }
        Ok((soft, hard)) => match sys::setrlimit_nofile(hard, hard) {
            Ok(()) => narrate::log(
                Log::Conn,
                None,
                Msg::NoFileRaised {
                    from: soft,
                    to: hard,
                },
            ),
            Err(error) => narrate::error(None, Msg::NoFileFailed { error: &error }),
        },
        Err(error) => narrate::error(None, Msg::NoFileFailed { error: &error }),
    }
}

/// What an event loop does next, as [`shutdown_turn`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    /// Wait for readiness, at most this long (`None`: as long as it takes).
    Wait(Option<Duration>),
    /// Stop: the shutdown is complete, or its grace period is over.
    Stop,
}

/// The shutdown, checked at the top of each turn of an event loop, between two waits.
///
/// SIGINT and SIGTERM have handlers ([`signals::handle_shutdown`]) that only set a flag: the
/// wait then returns EINTR (`select`, `poll` and `epoll_wait` are never restarted after a
/// handler, whatever `SA_RESTART` says), and the loop comes here. Once the flag is up, the
/// listening sockets are closed (no new clients), and the loop goes on serving the clients
/// still connected, its waits bounded by the grace period's deadline. A signal that lands
/// after this check and before the wait is seen only when the wait returns: the race that
/// `pselect`, `ppoll` and `epoll_pwait` exist to close; a second Ctrl-C ends the wait.
fn shutdown_turn(listeners: &mut Vec<Listener>, clients: usize) -> sys::Result<Turn> {
    let Some(signal) = signals::shutdown_signal() else {
        return Ok(Turn::Wait(None));
    };
    if !listeners.is_empty() {
        super::log_shutting_down(signal, clients);
        close_listeners(std::mem::take(listeners))?;
    }
    let left = signals::deadline().map_or(Duration::ZERO, |deadline| {
        deadline.saturating_duration_since(Instant::now())
    });
    if clients == 0 || left.is_zero() {
        return Ok(Turn::Stop);
    }
    Ok(Turn::Wait(Some(left)))
}

/// How long the wait may last: `timeout` (the grace period's end, or `None`, as long as it
/// takes), or less when a starved listening socket is to accept again before.
fn until_retry(listeners: &[Listener], timeout: Option<Duration>) -> Option<Duration> {
    listeners
        .iter()
        .filter_map(|l| l.retry_at)
        .map(|at| at.saturating_duration_since(Instant::now()))
        .chain(timeout)
        .min()
}

/// How an event loop ends: the clients still connected after the grace period are closed,
/// the listening sockets too if they are still open (`--once`), and a shutdown prints the
/// summary.
fn finish(listeners: Vec<Listener>, conns: &mut Conns, mut tally: Tally) -> sys::Result<()> {
    if !conns.is_empty() {
        for (_, conn) in conns.iter() {
            narrate::log(Log::Conn, Some(conn.fd()), Msg::GraceOver);
        }
        tally += conns.close_all();
    }
    if !listeners.is_empty() {
        close_listeners(listeners)?;
    }
    summary(tally);
    Ok(())
}
