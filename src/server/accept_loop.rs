//! The blocking models' accept loop, written once: UNP's `for ( ; ; ) { connfd = accept(...); }`.
//!
//! The iterative, fork and thread models share everything around `accept()`: the shutdown flag
//! looked at between two calls, EINTR when a signal's handler ran, the failures that concern one
//! client only (ECONNABORTED, EMFILE...) logged and survived, the cap on clients served at
//! once, and `--once`. Each model keeps in its own file only what it does with a connection
//! once it has it: serve it in place, fork a child, or start a thread. It writes
//!
//! ```text
//! let mut accepts = AcceptLoop::new(&listen_fd, config);
//! while let Some(conn_fd) = accepts.next(&mut clients)? {
//!     ... serve conn_fd: the model's whole lesson ...
//! }
//! stop_accepting(listen_fd, clients.connected())?;
//! ```
//!
//! and tells the loop, through [`Clients`], what it must do at the top of each turn: the fork
//! model collects the children that have left, and the fork and thread models wait at the cap.

use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::Signal;

use super::{
    AcceptError, Config, Listen, log_accept_error, log_shutting_down, set_nodelay,
    sort_accept_error,
};
use crate::Error;
use crate::narrate::{self, Log};
use crate::signals;
use crate::sys::{self, Socket};
use crate::text::{Msg, Problem};

/// What the accept loop asks of a model about the clients it is serving, at the top of each
/// turn. Every method has a default that fits a model serving one client at a time.
pub trait Clients {
    /// A signal besides SIGINT and SIGTERM whose handler interrupts `accept()` (EINTR).
    const ALSO_INTERRUPTED_BY: Option<Signal> = None;

    /// Collects the clients that have left since the last turn (the fork model reaps its
    /// children, so that none stays a zombie).
    fn reap(&mut self) {}

    /// How many clients are being served while the loop accepts.
    fn connected(&self) -> usize {
        0
    }

    /// Are `max` clients being served, so that accepting one more must wait?
    fn at_cap(&self, _max: usize) -> bool {
        false
    }

    /// At the cap: waits until a client leaves, or until SIGINT or SIGTERM.
    fn wait_for_room(&mut self, _max: usize) -> sys::Result<()> {
        Ok(())
    }
}

/// The iterative model's clients: it serves each one before it accepts the next, so none is
/// being served while it accepts, and there is nothing to collect or to cap. (A client being
/// served when SIGINT or SIGTERM came has had its grace period inside the dialogue.)
pub struct OneAtATime;

impl Clients for OneAtATime {}

/// A blocking model's accept loop on its listening socket.
pub struct AcceptLoop<'l> {
    listen_fd: &'l Socket,
    once: bool,
    max_clients: usize,
    /// `--nagle`: leave Nagle's algorithm on (see [`set_nodelay`]).
    nagle: bool,
    accepted: bool,
    /// `accept()` is failing for want of descriptors or memory: how long the next back-off
    /// lasts when no client of ours can leave; `None` while accepting works.
    starved: Option<Duration>,
}

/// The first back-off of a starved accept loop, and the longest: each one doubles. (The event
/// loops pause as long before they accept again, when no connection of theirs closes.)
pub(super) const FIRST_BACKOFF: Duration = Duration::from_millis(10);
pub(super) const LONGEST_BACKOFF: Duration = Duration::from_secs(1);

/// The failures of `accept()` that say "no descriptor or no memory for the new connection":
/// the connection stays in the queue, so accepting again at once fails again at once.
fn starving(errno: Errno) -> bool {
    matches!(
        errno,
        Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM | Errno::ENOBUFS
    )
}

impl<'l> AcceptLoop<'l> {
    pub fn new(listen_fd: &'l Socket, config: &Config) -> AcceptLoop<'l> {
        AcceptLoop {
            listen_fd,
            once: config.once,
            max_clients: config.max_clients,
            nagle: config.nagle,
            accepted: false,
            starved: None,
        }
    }

    // ANCHOR: next
    /// The next connection to serve; `None` when the server stops accepting: SIGINT or
    /// SIGTERM came, or `--once` and one client was accepted already. Fails only when the
    /// listening socket itself is broken, or the cap's wait cannot block its signals.
    pub fn next<C: Clients>(&mut self, clients: &mut C) -> sys::Result<Option<Socket>> {
        if self.once && self.accepted {
            return Ok(None);
        }
        loop {
            clients.reap();
            if signals::shutdown_signal().is_some() {
                return Ok(None);
            }
            if clients.at_cap(self.max_clients) {
                let max = self.max_clients;
                narrate::log(Log::Conn, None, Msg::AtCap { max });
                clients.wait_for_room(max)?;
                continue;
            }
            // Blocks until the kernel has a connection ready in the queue, or a signal's
            // handler runs.
            match sys::accept(self.listen_fd) {
                Ok(conn_fd) => {
                    set_nodelay(&conn_fd, self.nagle);
                    self.accepted = true;
                    if self.starved.take().is_some() {
                        narrate::log(Log::Conn, None, Msg::AcceptResumed);
                    }
                    return Ok(Some(conn_fd));
                }
                // UNP's lesson: a handler ran (SIGINT, SIGTERM, or the fork model's SIGCHLD:
                // a child exited), and since it was installed without SA_RESTART the kernel
                // made accept() return EINTR rather than resume it. Nothing is wrong: the top
                // of the loop collects the child or sees the shutdown, and accepts again.
                //
                // `--interrupt`'s SIGALRM is the same lesson with nothing to look at: accept
                // again.
                Err(error) if error.errno == Errno::EINTR => {
                    let shutdown = signals::shutdown_signal();
                    if (shutdown.is_some() || !signals::retrying(None, "accept"))
                        && let Some(signal) = shutdown.or(C::ALSO_INTERRUPTED_BY)
                    {
                        narrate::log(Log::Conn, None, Msg::AcceptInterrupted { signal });
                    }
                }
                Err(error) if starving(error.errno) => self.back_off(clients, &error)?,
                Err(error) => match sort_accept_error(error) {
                    AcceptError::Transient(error) => log_accept_error(&error),
                    AcceptError::Fatal(error) => return Err(error),
                },
            }
        }
    }

    /// `accept()` failed with EMFILE, ENFILE, ENOMEM or ENOBUFS. The connection is still in
    /// the queue, so calling `accept()` again at once fails again at once: a loop that only
    /// logs and retries spins, one CPU at 100% and a log line per failure, thousands a second.
    /// Instead, one log line for the whole episode, and a wait: until one of our clients
    /// leaves (its descriptor comes back), or, with none to wait for (the iterative model,
    /// or descriptors held elsewhere), for a back-off that doubles up to a second, during
    /// which SIGINT and SIGTERM still end the wait.
    fn back_off<C: Clients>(&mut self, clients: &mut C, error: &sys::SysError) -> sys::Result<()> {
        let connected = clients.connected();
        let backoff = match self.starved {
            None => {
                narrate::error(
                    None,
                    Msg::AcceptStarved {
                        error,
                        clients: connected,
                    },
                );
                FIRST_BACKOFF
            }
            Some(backoff) => backoff,
        };
        self.starved = Some((backoff * 2).min(LONGEST_BACKOFF));
        if connected > 0 {
            return clients.wait_for_room(connected);
        }
        let shutdown = [Signal::SIGINT, Signal::SIGTERM];
        let _blocked = signals::block(&shutdown)?;
        signals::wait(&shutdown, Some(backoff))?;
        Ok(())
    }
    // ANCHOR_END: next
}

/// After the loop: says why it stopped if a signal asked, and closes the listening socket.
/// `clients` are those still being served, who get `--grace` seconds to leave.
pub fn stop_accepting(listen_fd: Socket, clients: usize) -> sys::Result<()> {
    if let Some(signal) = signals::shutdown_signal() {
        log_shutting_down(signal, clients);
    }
    narrate::log(Log::Conn, None, Msg::Unplugging { listeners: 1 });
    sys::close(listen_fd)
}

/// The one listening socket of a blocking model: a blocking `accept()` waits on one socket,
/// so these models serve one port (the event loops serve several).
pub fn one_listener(config: &Config) -> Result<Listen, Error> {
    match config.listens[..] {
        [listen] => Ok(listen),
        _ => {
            let model = config.model.to_string();
            Err(Error::Problem(
                Problem::OneListenerOnly { model: &model }.to_string(),
            ))
        }
    }
}
