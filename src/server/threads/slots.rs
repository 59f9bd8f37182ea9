//! The thread model's client threads, as the acceptor sees them: one slot per thread, taken
//! before it starts and given back when it ends.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::dialogue::Tally;
use crate::narrate::{self, Log};
use crate::server::accept_loop::Clients;
use crate::signals;
use crate::sys::{self, Shutter};
use crate::text::Msg;

/// How long after the deadline the acceptor waits for the threads it has shut down to finish.
const BACKSTOP: Duration = Duration::from_secs(1);

/// How often a waiting acceptor looks at the shutdown flag (see [`Slots::wait_for_room`]).
const TICK: Duration = Duration::from_millis(100);

/// The client threads, as the acceptor sees them: a counting semaphore (a mutex and a
/// condition variable) for the cap, the descriptors to shut down at the deadline, and the
/// summary's counters.
#[derive(Default)]
pub struct Slots {
    state: Mutex<State>,
    /// Notified each time a client thread leaves.
    left: Condvar,
}

#[derive(Default)]
struct State {
    /// The connections being served, by slot number: the acceptor shuts down those still
    /// open at the deadline.
    conns: HashMap<u64, Shutter>,
    next_slot: u64,
    /// What the threads that have left served.
    tally: Tally,
    /// The slots given back whose threads the acceptor has not joined yet.
    gone: Vec<u64>,
}

/// The client threads as the acceptor holds them: the shared [`Slots`], and a handle on each
/// thread still alive, by slot number.
///
/// A thread gives its slot back at the very end of its closure, but it is still alive for a
/// moment after (its stack, its exit). Counting slots would let a new thread start while the
/// old one lives: N + 1 threads under `--max-clients N`. So the cap counts the threads not yet
/// joined, and the acceptor joins (`pthread_join`, a futex wait) each thread whose slot came
/// back: then it has truly ended.
#[derive(Default)]
pub struct Threads {
    pub slots: Arc<Slots>,
    handles: HashMap<u64, JoinHandle<()>>,
}

impl Threads {
    /// A thread just started for `slot`.
    pub fn started(&mut self, slot: u64, handle: JoinHandle<()>) {
        self.handles.insert(slot, handle);
    }

    /// Joins every thread whose slot came back (each is ending, or has ended).
    fn join_gone(&mut self) {
        let gone = std::mem::take(&mut self.slots.lock().gone);
        for number in gone {
            if let Some(handle) = self.handles.remove(&number) {
                // A panic was logged by its slot; the thread is over either way.
                let _ = handle.join();
            }
        }
    }

    /// After the listening socket is closed: [`Slots::wait_all`], then joins the threads that
    /// have left.
    pub fn wait_all(&mut self) -> Tally {
        let tally = self.slots.wait_all();
        self.join_gone();
        tally
    }
}

/// What the accept loop asks of the acceptor at the top of each turn.
impl Clients for Threads {
    fn reap(&mut self) {
        self.join_gone();
    }

    /// The threads alive, not the connections: see [`Threads`].
    fn connected(&self) -> usize {
        self.handles.len()
    }

    /// At most `--max-clients` threads at once: a flood of connections must not exhaust
    /// memory or the process's thread limit.
    fn at_cap(&self, max: usize) -> bool {
        self.connected() >= max
    }

    /// Waits while `max` threads live, or until the server is shutting down.
    ///
    /// std's condition variable retries a wait that a signal interrupts (the EINTR never
    /// reaches us), so a SIGTERM would go unnoticed while the acceptor waits here for a
    /// client to leave: the wait wakes every TICK to look at the shutdown flag. It happens at
    /// the cap only.
    fn wait_for_room(&mut self, max: usize) -> sys::Result<()> {
        loop {
            self.join_gone();
            if self.handles.len() < max || signals::shutdown_signal().is_some() {
                return Ok(());
            }
            let state = self.slots.lock();
            if state.gone.is_empty() {
                drop(
                    self.slots
                        .left
                        .wait_timeout(state, TICK)
                        .unwrap_or_else(PoisonError::into_inner),
                );
            }
        }
    }
}

impl Slots {
    /// Locks the state. A thread that panicked while holding the lock would leave it
    /// "poisoned"; the state is still whole (no code here panics with the lock held), so the
    /// server goes on with it rather than stopping.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After the listening socket is closed: waits until every client thread has left, or,
    /// on a shutdown, until the deadline; then shuts down the connections still open, waits
    /// a moment for their threads to finish, and returns what all the threads served.
    pub fn wait_all(&self) -> Tally {
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
                        // A thread that has started to close its connection is left to it
                        // (shutdown_both makes no call then), and its close() says whether
                        // this shutdown sent our FIN before it.
                        for conn in state.conns.values() {
                            let _ = sys::shutdown_both(conn);
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

/// A client thread's place among the [`Slots`], taken before the thread starts and given
/// back when it ends, whether its dialogue returned or panicked.
pub struct Slot {
    slots: Arc<Slots>,
    number: u64,
    /// What the thread's dialogue served, added to the summary when the slot is given back.
    pub tally: Tally,
}

impl Slot {
    /// This slot's number, which [`Threads::started`] files the thread's handle under.
    pub fn number(&self) -> u64 {
        self.number
    }

    pub fn enter(slots: &Arc<Slots>, conn: Shutter) -> Slot {
        let mut state = slots.lock();
        let number = state.next_slot;
        state.next_slot += 1;
        state.conns.insert(number, conn);
        Slot {
            slots: Arc::clone(slots),
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
        let mut state = self.slots.lock();
        state.conns.remove(&self.number);
        state.gone.push(self.number);
        state.tally += self.tally;
        self.slots.left.notify_all();
    }
}
