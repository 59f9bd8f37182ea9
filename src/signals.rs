//! Signals: the one place sockstep handles them.
//!
//! - SIGINT (Ctrl-C) and SIGTERM (`kill`, a service manager) ask a server to shut down: stop
//!   accepting, give the clients still connected `--grace` seconds to leave, print a summary.
//! - SIGCHLD tells the fork model's parent that a child has exited and waits to be collected.
//! - SIGALRM, with `--interrupt MS` only, comes every MS milliseconds from an interval timer,
//!   for no other purpose than to interrupt: it proves that every blocking call the program
//!   makes is retried after EINTR, and that nothing is lost. It never stops the server.
//!
//! A handler runs at any moment, between any two instructions, even inside `malloc` or with
//! stderr's lock held; it may only do what is async-signal-safe (man 7 signal-safety). So each
//! handler here does one thing, a store to a lock-free atomic, and the program looks at the
//! atomics in its own time, between system calls.
//!
//! The handlers are installed without `SA_RESTART`, on purpose: when a signal arrives while
//! the server is blocked in `accept()` (or `recv()`), the kernel runs the handler and then
//! makes the call return EINTR instead of resuming it, and that is the server's chance to look
//! at the atomics. With `SA_RESTART` the kernel would resume the `accept()`, and the server
//! would only notice the shutdown when the next client came.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigSet, Signal};

use crate::sys::{self, MaskHow};

/// The signal that asked for the shutdown, 0 while none has.
static SHUTDOWN: AtomicI32 = AtomicI32::new(0);
/// Set by SIGCHLD, cleared by whoever collects the children.
static CHILD_LEFT: AtomicBool = AtomicBool::new(false);
/// `--grace`, in milliseconds.
static GRACE_MS: AtomicU64 = AtomicU64::new(5000);
/// When the clients still connected must have left: the moment the shutdown was first noticed,
/// plus the grace period. Set once, outside any handler.
static DEADLINE: OnceLock<Instant> = OnceLock::new();

/// `--interrupt`'s period in microseconds, 0 without the flag.
static INTERRUPT_US: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set by SIGALRM's handler in the thread it interrupted, cleared by [`retrying`]. A
    /// `const` thread-local of a `Cell<bool>` is plain memory at a fixed offset from the
    /// thread's pointer, with no lazy setup and no destructor: a handler may touch it.
    static ALARM_HERE: Cell<bool> = const { Cell::new(false) };
}

/// SIGALRM's handler (`--interrupt`): note, in the thread it interrupted, that it rang.
extern "C" fn on_alarm(_signal: libc::c_int) {
    ALARM_HERE.with(|here| here.set(true));
}

/// SIGINT's and SIGTERM's handler: note which signal asked.
extern "C" fn on_shutdown(signal: libc::c_int) {
    SHUTDOWN.store(signal, Ordering::Relaxed);
}

/// SIGCHLD's handler: note that a child has left. One SIGCHLD may stand for several children
/// (see [`take_child_left`]).
extern "C" fn on_child(_signal: libc::c_int) {
    CHILD_LEFT.store(true, Ordering::Relaxed);
}

/// Installs the SIGINT and SIGTERM handlers, and sets the grace period the shutdown gives.
pub fn handle_shutdown(grace: Duration) -> sys::Result<()> {
    GRACE_MS.store(grace.as_millis() as u64, Ordering::Relaxed);
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // No SA_RESTART: see the module's header. A blocked accept() returns EINTR.
        // SAFETY: on_shutdown only stores to an atomic.
        unsafe { sys::sigaction(signal, on_shutdown, "on_shutdown", SaFlags::empty())? };
    }
    Ok(())
}

/// Installs the SIGCHLD handler (the fork model's parent).
pub fn handle_children() -> sys::Result<()> {
    // SA_NOCLDSTOP: a child stopped by Ctrl-Z has not left; only an exit is news. No
    // SA_RESTART: the parent's blocked accept() returns EINTR when a child exits, and the
    // parent collects it at once rather than when the next client comes.
    // SAFETY: on_child only stores to an atomic.
    unsafe { sys::sigaction(Signal::SIGCHLD, on_child, "on_child", SaFlags::SA_NOCLDSTOP) }
}

/// `--interrupt MS`: installs SIGALRM's handler, without SA_RESTART, then arms an interval
/// timer that raises SIGALRM every `every`. From then on a blocking `accept`, `recv`, `send`,
/// `select`, `poll` or `epoll_wait` the signal lands in returns EINTR (strace shows
/// `ERESTARTSYS` and `--- SIGALRM ---`), and the program must retry it.
pub fn interrupt_every(every: Duration) -> sys::Result<()> {
    let every = every.max(Duration::from_micros(1));
    INTERRUPT_US.store(every.as_micros() as u64, Ordering::Relaxed);
    // The handler first: SIGALRM's default action ends the process.
    // SAFETY: on_alarm only stores to a const thread-local Cell.
    unsafe { sys::sigaction(Signal::SIGALRM, on_alarm, "on_alarm", SaFlags::empty())? };
    sys::setitimer(every)
}

/// Is `--interrupt` on?
pub fn interrupting() -> bool {
    INTERRUPT_US.load(Ordering::Relaxed) > 0
}

/// In a child just forked: interval timers are not inherited by `fork()` (setitimer(2)), so a
/// child that must be interrupted too arms its own; the handler, inherited, is already there.
pub fn rearm_after_fork() -> sys::Result<()> {
    match INTERRUPT_US.load(Ordering::Relaxed) {
        0 => Ok(()),
        us => sys::setitimer(Duration::from_micros(us)),
    }
}

/// The thread model's choice (`--interrupt` only). SIGALRM from `setitimer` is sent to the
/// process, and the kernel hands it to one thread that does not block it; Linux tries the
/// main thread first, so the acceptor would get nearly all of them and the client threads,
/// where the bytes move, almost none. So the acceptor blocks SIGALRM ([`keep_alarms_away`])
/// and each client thread unblocks it ([`take_alarms_here`]): every alarm interrupts a
/// `recv()` or `send()` of some client thread (the acceptor's `accept()` is interrupted by
/// SIGINT and SIGTERM as before). While no client thread runs, the alarm waits, pending, and
/// the next one merges into it.
pub fn keep_alarms_away() -> sys::Result<Option<Blocked>> {
    if !interrupting() {
        return Ok(None);
    }
    block(&[Signal::SIGALRM]).map(Some)
}

/// A client thread of the thread model takes SIGALRM (see [`keep_alarms_away`]).
pub fn take_alarms_here() -> sys::Result<()> {
    if interrupting() {
        let set: SigSet = [Signal::SIGALRM].into_iter().collect();
        sys::pthread_sigmask(MaskHow::Unblock, &set)?;
    }
    Ok(())
}

/// A blocking `call` on `fd` returned EINTR and the caller is about to make it again: says so
/// when `--interrupt`'s SIGALRM is what interrupted this thread. (A shutdown signal says so
/// where it is looked at; SIGCHLD where the children are collected.) Returns whether it did.
pub fn retrying(fd: Option<i32>, call: &'static str) -> bool {
    let rang = ALARM_HERE.with(|here| here.replace(false));
    if rang {
        crate::narrate::log(
            crate::narrate::Log::Data,
            fd,
            crate::text::Msg::Retried {
                call,
                signal: Signal::SIGALRM,
            },
        );
    }
    rang
}

/// The signal that asked for the shutdown, if one has.
pub fn shutdown_signal() -> Option<Signal> {
    match SHUTDOWN.load(Ordering::Relaxed) {
        0 => None,
        number => Signal::try_from(number).ok(),
    }
}

/// Records a shutdown signal taken by [`wait`] rather than by its handler.
pub fn request_shutdown(signal: Signal) {
    SHUTDOWN.store(signal as i32, Ordering::Relaxed);
}

/// The grace period of `--grace`.
pub fn grace() -> Duration {
    Duration::from_millis(GRACE_MS.load(Ordering::Relaxed))
}

/// When the clients still connected must have left, once the shutdown has begun; `None`
/// before. The first caller to notice the shutdown starts the clock.
pub fn deadline() -> Option<Instant> {
    shutdown_signal()?;
    Some(*DEADLINE.get_or_init(|| Instant::now() + grace()))
}

/// Has a child exited since the last call? Clears the flag.
///
/// Signals do not queue: while a SIGCHLD is pending, a second one is merged into it. Ten
/// children that exit together may raise the flag once, so whoever sees it must collect
/// children in a loop until none is left (`waitpid` with WNOHANG), never just one.
pub fn take_child_left() -> bool {
    CHILD_LEFT.swap(false, Ordering::Relaxed)
}

/// Blocks `signals` in the calling thread until the returned guard is dropped.
///
/// A blocked signal is not lost: it waits, pending, until it is unblocked (its handler then
/// runs) or taken by [`wait`].
pub fn block(signals: &[Signal]) -> sys::Result<Blocked> {
    let set: SigSet = signals.iter().copied().collect();
    let previous = sys::pthread_sigmask(MaskHow::Block, &set)?;
    Ok(Blocked { previous })
}

/// Signals blocked by [`block`]; the previous mask comes back when this is dropped.
pub struct Blocked {
    previous: SigSet,
}

impl Drop for Blocked {
    fn drop(&mut self) {
        // Setting back a mask that was valid a moment ago cannot fail; the narration shows it.
        let _ = sys::pthread_sigmask(MaskHow::SetMask, &self.previous);
    }
}

/// Waits, at most `timeout` (`None`: no limit), for one of `signals`, which the caller has
/// [`block`]ed. Returns the signal, or `None` when the time is up.
///
/// A shutdown signal taken here has not run its handler: it is recorded as if it had.
pub fn wait(signals: &[Signal], timeout: Option<Duration>) -> sys::Result<Option<Signal>> {
    let set: SigSet = signals.iter().copied().collect();
    match sys::sigtimedwait(&set, timeout) {
        Ok(signal) => {
            if matches!(signal, Signal::SIGINT | Signal::SIGTERM) {
                request_shutdown(signal);
            }
            Ok(Some(signal))
        }
        Err(error) if error.errno == Errno::EAGAIN => Ok(None),
        // Another signal, not in the set, ran its handler: the caller looks again.
        Err(error) if error.errno == Errno::EINTR => Ok(None),
        Err(error) => Err(error),
    }
}
