//! The fork server: a process per client, as in UNP's `tcpserv01.c`.
//!
//! What it demonstrates: after `accept()`, `fork()`. The child, a copy of the server, closes
//! its copy of the listening socket, runs the very same dialogue as the iterative server, and
//! exits; the parent closes its copy of the connected socket and goes back to `accept()` at
//! once. Clients are served side by side, and a client that never sends holds up only its own
//! child. Three lessons come with it:
//! - a child that exits stays a zombie until its parent collects it with `waitpid()`; the
//!   parent hears of it by SIGCHLD, and collects in a loop because signals do not queue;
//! - SIGCHLD interrupts the parent's blocked `accept()`, which returns EINTR: it is retried;
//! - at most `--max-clients` children at once (default 64): past it the parent stops
//!   accepting until one leaves, so that a flood of connections cannot fork-bomb the machine.
//!
//! The children's byte counts reach the parent's summary through one page of shared memory.
//! On SIGINT or SIGTERM the parent closes its listening socket, passes SIGTERM on to its
//! children (each lets its client finish within `--grace` seconds) and collects them all.
//!
//! Run it:      `sockstep server --model fork --narrate`
//! Talk to it:  `sockstep client`, or several `nc 127.0.0.1 6789` at once
//! Watch it:    `strace -f -e trace=network,close,clone,wait4,kill,exit_group sockstep server --model fork`
//!              (`-f` follows the children: their lines start with `[pid N]`, as the logs do);
//!              `ps -o pid,ppid,stat,cmd --ppid $(pgrep -o sockstep)` shows one child per client
//! Compare:     `diff src/server/iterative.rs src/server/fork.rs`: the dialogue is the same,
//!              only the concurrency differs; `threads.rs` does it with threads.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::{ForkResult, Pid};

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

/// The signals the parent waits for when it has nothing else to do: a child leaving, or the
/// order to stop.
const WAKERS: [Signal; 3] = [Signal::SIGCHLD, Signal::SIGINT, Signal::SIGTERM];

/// How long after the deadline the parent kills a child still running. A child closes its
/// connection itself at the deadline; SIGKILL is the backstop for one that missed its SIGTERM.
const BACKSTOP: Duration = Duration::from_secs(1);

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    let [listen] = config.listens[..] else {
        let model = config.model.to_string();
        return Err(Error::Problem(
            Problem::OneListenerOnly { model: &model }.to_string(),
        ));
    };
    narrate::set_tag(format!("fork pid {}", sys::getpid()));
    // Before the first fork(), so that every child inherits the same shared page.
    let counters = Counters::map()?;
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    // Before the first accept(): from here on, Ctrl-C or a child's exit interrupts it.
    signals::handle_shutdown(config.grace)?;
    signals::handle_children()?;
    let mut children = Children::default();
    loop {
        if signals::take_child_left() {
            children.collect();
        }
        if signals::shutdown_signal().is_some() {
            break;
        }
        if children.len() >= config.max_clients {
            narrate::log(
                Log::Conn,
                None,
                Msg::AtCap {
                    max: config.max_clients,
                },
            );
            children.wait_for_room(config.max_clients)?;
            continue;
        }
        // Blocks until the kernel has a connection ready, or until a signal's handler runs.
        let conn_fd = match sys::accept(&listen_fd) {
            Ok(conn_fd) => conn_fd,
            // UNP's lesson: a child exited, SIGCHLD's handler ran, and since it was installed
            // without SA_RESTART the kernel made accept() return EINTR rather than resume it.
            // Nothing is wrong: collect the child at the top of the loop and accept again. The
            // same happens for SIGINT and SIGTERM, and the top of the loop stops.
            Err(error) if error.errno == Errno::EINTR => {
                let signal = signals::shutdown_signal().unwrap_or(Signal::SIGCHLD);
                narrate::log(Log::Conn, None, Msg::AcceptInterrupted { signal });
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
        let fd = conn_fd.fd();
        // SAFETY: this process has one thread (the fork model starts none), so the child may
        // run any code, not only async-signal-safe calls.
        match unsafe { sys::fork() } {
            Ok(ForkResult::Child) => child(listen_fd, conn_fd, listen.service, config.io, counters),
            Ok(ForkResult::Parent { child }) => {
                narrate::log(Log::Conn, Some(fd), Msg::Forked { child });
                children.pids.insert(child);
                // The child has its own copy of the descriptor. The parent's must go: a TCP
                // connection ends (FIN) only when its last descriptor is closed, so the client
                // would never see the child's close, and the parent would run out of
                // descriptors after a thousand clients.
                if let Err(error) = sys::close(conn_fd) {
                    narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
                }
            }
            // EAGAIN: too many processes for this user (RLIMIT_NPROC), or no memory. This
            // client is not served; dropping its socket closes it, and the server goes on.
            Err(error) => narrate::error(Some(fd), Msg::ClientNotServed { error: &error }),
        }
        if config.once {
            break;
        }
    }
    if let Some(signal) = signals::shutdown_signal() {
        log_shutting_down(signal, children.len());
    }
    narrate::log(Log::Conn, None, Msg::Unplugging);
    sys::close(listen_fd)?;
    children.wait_all()?;
    summary(counters.total());
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: child
/// The child's whole life: serve one client, then exit. Never returns into the parent's loop.
fn child(listen_fd: Socket, conn_fd: Socket, service: Service, io: Io, counters: &Counters) -> ! {
    // The tag is the parent's until the child knows its own pid.
    narrate::set_tag("fork child");
    narrate::set_tag(format!("fork pid {}", sys::getpid()));
    let fd = conn_fd.fd();
    narrate::log(Log::Conn, Some(fd), Msg::ChildStarts);
    // The listening socket is the parent's business. The child's copy would keep the port
    // open after the parent closed it, and waste a descriptor.
    if let Err(error) = sys::close(listen_fd) {
        narrate::error(None, Msg::ConnectionLost { error: &error });
    }
    // A panic must not unwind out of here: it would land in the parent's accept loop, in the
    // child, and the child would go on as a second server.
    let served = panic::catch_unwind(AssertUnwindSafe(|| dialogue::serve(conn_fd, service, io)));
    let status = match served {
        Ok(tally) => {
            counters.add(tally);
            0
        }
        Err(_) => 1,
    };
    // _exit, not std::process::exit (which is libc's exit): exit() would flush stdio buffers
    // and run atexit handlers, and the child's are copies of the parent's. Whatever the
    // parent had buffered when it forked would come out twice. The child has closed its
    // socket and has nothing of its own to flush.
    sys::exit(status)
}
// ANCHOR_END: child

/// The summary's counters, in one page of memory the parent shares with every child it forks.
///
/// After `fork()` a child's memory is a copy: a counter it adds to is its own, and the parent
/// never sees the change. A `MAP_SHARED` mapping made before the fork is the same memory in
/// every process, and lock-free atomics work across processes as they do across threads.
/// (A pipe from each child to the parent would do too, at the cost of a read in the parent's
/// loop.)
struct Counters {
    clients: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl Counters {
    /// Maps the shared counters, all zero.
    fn map() -> sys::Result<&'static Counters> {
        const SIZE: NonZeroUsize = match NonZeroUsize::new(std::mem::size_of::<Counters>()) {
            Some(size) => size,
            None => panic!("Counters has a size"),
        };
        let page = sys::mmap_shared(SIZE)?;
        // SAFETY: the mapping is zero-filled, and zero is a valid AtomicU64; it is page-aligned,
        // more than AtomicU64 needs; it is never unmapped, so it lives as long as the process;
        // and it is only ever used through atomics.
        Ok(unsafe { page.cast::<Counters>().as_ref() })
    }

    fn add(&self, tally: Tally) {
        self.clients.fetch_add(tally.clients, Ordering::Relaxed);
        self.bytes_in.fetch_add(tally.bytes_in, Ordering::Relaxed);
        self.bytes_out.fetch_add(tally.bytes_out, Ordering::Relaxed);
    }

    fn total(&self) -> Tally {
        Tally {
            clients: self.clients.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }
}

/// The children still running.
#[derive(Default)]
struct Children {
    pids: HashSet<Pid>,
}

impl Children {
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

    /// After the listening socket is closed: waits until every child has left. On a shutdown,
    /// passes SIGTERM on to each child first (each gives its client until the deadline), and
    /// kills any child still running a moment after the deadline.
    fn wait_all(&mut self) -> sys::Result<()> {
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
