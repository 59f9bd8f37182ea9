//! The thread server: a thread per client.
//!
//! What it demonstrates: after `accept()`, a new thread (`std::thread`, a `clone()` with
//! CLONE_THREAD underneath) runs the very same dialogue as the iterative server, and the
//! first thread goes back to `accept()` at once. Threads share the process's memory and its
//! descriptors: no copy to close as in the fork model, and the summary's counters are a
//! variable behind a mutex. A thread costs less than a process (no page tables to copy, one
//! stack of its own), but a thread that crashes the process would take every client down;
//! here a panic ends only its own thread.
//!
//! At most `--max-clients` threads at once (default 1024): past it the acceptor stops
//! accepting until one leaves, so that a flood of connections cannot exhaust memory or the
//! process's thread limit. On SIGINT or SIGTERM the acceptor closes its listening socket and
//! gives the clients `--grace` seconds to leave; then it shuts the rest down (`shutdown()`
//! wakes a thread blocked in `recv()` on the socket).
//!
//! Run it:      `sockstep server --model threads --narrate`
//! Talk to it:  `sockstep client`, or several `nc 127.0.0.1 6789` at once
//! Watch it:    `strace -f -e trace=network,close,clone,clone3,rt_sigprocmask sockstep server --model threads`
//!              (`-f` follows the threads: their lines start with `[pid TID]`, as the logs
//!              do); `ps -L -p $(pgrep -o sockstep)` shows one line per thread
//! Compare:     `diff src/server/fork.rs src/server/threads.rs`: a process or a thread per
//!              client around the same dialogue.

use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::Signal;

use super::{
    AcceptError, Config, log_accept_error, log_shutting_down, open_listener, sort_accept_error,
    summary,
};
use crate::Error;
use crate::dialogue::{self, Tally};
use crate::narrate::{self, Log};
use crate::service::Service;
use crate::signals;
use crate::stream::Io;
use crate::sys::{self, Blocking, Socket};
use crate::text::{Msg, Problem};

/// How long after the deadline the acceptor waits for the threads it has shut down to finish.
const BACKSTOP: Duration = Duration::from_secs(1);

/// How often a waiting acceptor looks at the shutdown flag (see [`Clients::wait_for_room`]).
const TICK: Duration = Duration::from_millis(100);

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    let [listen] = config.listens[..] else {
        let model = config.model.to_string();
        return Err(Error::Problem(
            Problem::OneListenerOnly { model: &model }.to_string(),
        ));
    };
    narrate::set_tag(format!("threads tid {}", sys::gettid()));
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    // Before the first accept(): from here on, Ctrl-C interrupts it.
    signals::handle_shutdown(config.grace)?;
    let clients = Arc::new(Clients::default());
    loop {
        if signals::shutdown_signal().is_some() {
            break;
        }
        if !clients.wait_for_room(config.max_clients) {
            continue;
        }
        // Blocks until the kernel has a connection ready, or until a signal's handler runs.
        let conn_fd = match sys::accept(&listen_fd) {
            Ok(conn_fd) => conn_fd,
            // SIGINT or SIGTERM: its handler ran in this thread (the client threads block
            // both, see `spawn`), and without SA_RESTART accept() returns EINTR.
            Err(error) if error.errno == Errno::EINTR => {
                if let Some(signal) = signals::shutdown_signal() {
                    narrate::log(Log::Conn, None, Msg::AcceptInterrupted { signal });
                }
                continue;
            }
            Err(error) => match sort_accept_error(error) {
                AcceptError::Transient(error) => {
                    log_accept_error(&error);
                    continue;
                }
                AcceptError::Fatal(error) => return Err(error.into()),
            },
        };
        spawn(&clients, conn_fd, listen.service, config.io)?;
        if config.once {
            break;
        }
    }
    if let Some(signal) = signals::shutdown_signal() {
        log_shutting_down(signal, clients.lock().conns.len());
    }
    narrate::log(Log::Conn, None, Msg::Unplugging);
    sys::close(listen_fd)?;
    summary(clients.wait_all());
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: spawn
/// Starts a thread that serves `conn_fd`.
fn spawn(clients: &Arc<Clients>, conn_fd: Socket, service: Service, io: Io) -> sys::Result<()> {
    let fd = conn_fd.fd();
    let slot = Slot::enter(clients, fd);
    // A signal sent to the process (Ctrl-C, kill) goes to one thread that does not block it,
    // any one. It must reach this thread, whose accept() then returns EINTR, and not a client
    // thread, where nobody would notice it. A new thread inherits its creator's signal mask:
    // block SIGINT and SIGTERM just for the spawn, and the client thread is born with both
    // blocked for its whole life.
    let blocked = signals::block(&[Signal::SIGINT, Signal::SIGTERM])?;
    let spawned = thread::Builder::new().spawn(move || {
        // gettid() is a system call: once per thread, kept in the tag.
        narrate::set_tag("threads new thread");
        narrate::set_tag(format!("threads tid {}", sys::gettid()));
        let mut slot = slot;
        slot.tally = dialogue::serve(conn_fd, service, io);
    });
    drop(blocked);
    if let Err(error) = spawned {
        // EAGAIN: too many threads, or no memory for a stack. The closure, the socket in it
        // and the slot are dropped: the connection is closed, and the server goes on.
        narrate::error(Some(fd), Msg::ClientNotServed { error: &error });
    }
    Ok(())
}
// ANCHOR_END: spawn

/// The client threads, as the acceptor sees them: a counting semaphore (a mutex and a
/// condition variable) for the cap, the descriptors to shut down at the deadline, and the
/// summary's counters.
#[derive(Default)]
struct Clients {
    state: Mutex<State>,
    /// Notified each time a client thread leaves.
    left: Condvar,
}

#[derive(Default)]
struct State {
    /// The connections being served, by slot number: the acceptor shuts down those still
    /// open at the deadline.
    conns: HashMap<u64, RawFd>,
    next_slot: u64,
    /// What the threads that have left served.
    tally: Tally,
}

impl Clients {
    /// Locks the state. A thread that panicked while holding the lock would leave it
    /// "poisoned"; the state is still whole (no code here panics with the lock held), so the
    /// server goes on with it rather than stopping.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits while `max` clients are served. Returns false when it stopped waiting because
    /// the server is shutting down.
    ///
    /// std's condition variable retries a wait that a signal interrupts (the EINTR never
    /// reaches us), so a SIGTERM would go unnoticed while the acceptor waits here for a
    /// client to leave: the wait wakes every TICK to look at the shutdown flag. It happens at
    /// the cap only.
    fn wait_for_room(&self, max: usize) -> bool {
        let mut state = self.lock();
        if state.conns.len() >= max {
            narrate::log(Log::Conn, None, Msg::AtCap { max });
        }
        while state.conns.len() >= max {
            if signals::shutdown_signal().is_some() {
                return false;
            }
            state = self
                .left
                .wait_timeout(state, TICK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// After the listening socket is closed: waits until every client thread has left, or,
    /// on a shutdown, until the deadline; then shuts down the connections still open, waits
    /// a moment for their threads to finish, and returns what all the threads served.
    fn wait_all(&self) -> Tally {
        let mut state = self.lock();
        let mut shut = false;
        while !state.conns.is_empty() {
            let now = Instant::now();
            // None after --once, until a signal asks to stop (looked at every TICK).
            let wait = match signals::deadline() {
                None => TICK,
                Some(deadline) if now < deadline => deadline - now,
                Some(deadline) => {
                    if !shut {
                        narrate::log(
                            Log::Conn,
                            None,
                            Msg::ClosingRest {
                                clients: state.conns.len(),
                            },
                        );
                        // A thread blocked in recv() wakes with 0 (end of stream), one blocked
                        // in send() with EPIPE; both close their connection and leave.
                        //
                        // A thread may have closed its descriptor already and not yet left
                        // the table (shutdown then fails with EBADF, harmlessly), but the
                        // number cannot have been reused by another connection: the
                        // listening socket is closed, and nothing opens a descriptor any more.
                        for &fd in state.conns.values() {
                            let _ = sys::shutdown_both(fd);
                        }
                        shut = true;
                    }
                    let give_up = deadline + BACKSTOP;
                    if now >= give_up {
                        // Returning ends the process, and the kernel closes what is left.
                        break;
                    }
                    give_up - now
                }
            };
            state = self
                .left
                .wait_timeout(state, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.tally
    }
}

/// A client thread's place among the [`Clients`], taken before the thread starts and given
/// back when it ends, whether its dialogue returned or panicked.
struct Slot {
    clients: Arc<Clients>,
    number: u64,
    /// What the thread's dialogue served, added to the summary when the slot is given back.
    tally: Tally,
}

impl Slot {
    fn enter(clients: &Arc<Clients>, fd: RawFd) -> Slot {
        let mut state = clients.lock();
        let number = state.next_slot;
        state.next_slot += 1;
        state.conns.insert(number, fd);
        Slot {
            clients: Arc::clone(clients),
            number,
            tally: Tally::default(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if thread::panicking() {
            // The panic message is already on stderr; the server goes on.
            narrate::error(None, Msg::ThreadPanicked);
        }
        let mut state = self.clients.lock();
        state.conns.remove(&self.number);
        state.tally += self.tally;
        self.clients.left.notify_all();
    }
}
