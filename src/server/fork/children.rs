//! The fork model's children, as the parent sees them: who is still running, collecting
//! those that have left (`waitpid`), waiting at the cap, and the shutdown's end.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

use crate::narrate::{self, Log};
use crate::server::accept_loop::Clients;
use crate::signals;
use crate::sys;
use crate::text::Msg;

/// The signals the parent waits for when it has nothing else to do: a child leaving, or the
/// order to stop.
const WAKERS: [Signal; 3] = [Signal::SIGCHLD, Signal::SIGINT, Signal::SIGTERM];

/// How long after the deadline the parent kills a child still running. A child closes its
/// connection itself at the deadline; SIGKILL is the backstop for one that missed its SIGTERM.
const BACKSTOP: Duration = Duration::from_secs(1);

/// The children still running.
#[derive(Default)]
pub struct Children {
    pids: HashSet<Pid>,
}

/// What the accept loop asks of the parent at the top of each turn.
impl Clients for Children {
    /// SIGCHLD: a child exited while the parent was blocked in `accept()`.
    const ALSO_INTERRUPTED_BY: Option<Signal> = Some(Signal::SIGCHLD);

    fn reap(&mut self) {
        if signals::take_child_left() {
            self.collect();
        }
    }

    fn connected(&self) -> usize {
        self.len()
    }

    /// At most `--max-clients` children at once: a flood of connections must not fork-bomb
    /// the machine.
    fn at_cap(&self, max: usize) -> bool {
        self.len() >= max
    }

    /// At the cap: waits until a child leaves, or until SIGINT or SIGTERM.
    ///
    /// The signals are blocked first, then the children collected, then the wait: a SIGCHLD
    /// that comes in between stays pending and ends the wait at once. Testing first and then
    /// waiting with the signals unblocked (`pause()`) could sleep through it.
    fn wait_for_room(&mut self, max: usize) -> sys::Result<()> {
        let _blocked = signals::block(&WAKERS)?;
        loop {
            signals::take_child_left();
            self.collect();
            if self.len() < max || signals::shutdown_signal().is_some() {
                return Ok(());
            }
            signals::wait(&WAKERS, None)?;
        }
    }
}

impl Children {
    /// A child forked to serve a client.
    pub fn insert(&mut self, pid: Pid) {
        self.pids.insert(pid);
    }

    fn len(&self) -> usize {
        self.pids.len()
    }

    /// Collects every child that has exited, so that none stays a zombie.
    ///
    /// A loop, not one `waitpid()`: signals do not queue, and the one SIGCHLD that woke us may
    /// stand for several children. WNOHANG makes the last call return at once ("none has
    /// exited") instead of waiting for a child still serving its client.
    fn collect(&mut self) {
        while !self.pids.is_empty() {
            match sys::waitpid_any_nohang() {
                Ok(WaitStatus::StillAlive) => break,
                Ok(status) => {
                    if let Some(pid) = status.pid() {
                        self.pids.remove(&pid);
                    }
                    narrate::log(Log::Conn, None, Msg::ChildLeft { status });
                }
                Err(error) if error.errno == Errno::EINTR => continue,
                // ECHILD: no child at all; nothing else can fail here.
                Err(_) => {
                    self.pids.clear();
                    break;
                }
            }
        }
    }

    /// After the listening socket is closed: waits until every child has left. On a shutdown,
    /// passes SIGTERM on to each child first (each gives its client until the deadline), and
    /// kills any child still running a moment after the deadline.
    pub fn wait_all(&mut self) -> sys::Result<()> {
        let _blocked = signals::block(&WAKERS)?;
        let mut forwarded = false;
        let mut killed = false;
        loop {
            signals::take_child_left();
            self.collect();
            if self.pids.is_empty() {
                return Ok(());
            }
            let mut timeout = None;
            // None after --once, until a signal asks to stop.
            if let Some(deadline) = signals::deadline() {
                if !forwarded {
                    // An exited child keeps its pid until it is collected (that is what a
                    // zombie is for), so kill() cannot reach a stranger that reused it.
                    let children = self.len();
                    let signal = Signal::SIGTERM;
                    narrate::log(Log::Conn, None, Msg::Forwarding { signal, children });
                    self.signal_all(signal);
                    forwarded = true;
                }
                let kill_at = deadline + BACKSTOP;
                let now = Instant::now();
                if now >= kill_at && !killed {
                    narrate::log(
                        Log::Conn,
                        None,
                        Msg::Killing {
                            children: self.len(),
                        },
                    );
                    self.signal_all(Signal::SIGKILL);
                    killed = true;
                }
                if !killed {
                    timeout = Some(kill_at - now);
                }
            }
            signals::wait(&WAKERS, timeout)?;
        }
    }

    fn signal_all(&self, signal: Signal) {
        for &pid in &self.pids {
            // ESRCH cannot happen (see above); any failure is narrated, and the wait goes on.
            let _ = sys::kill(pid, signal);
        }
    }
}
