//! Signals: the one place sockstep handles them.
//!
//! - SIGINT (Ctrl-C) and SIGTERM (`kill`, a service manager) ask a server to shut down: stop
//!   accepting, give the clients still connected `--grace` seconds to leave, print a summary.
//! - SIGCHLD tells the fork model's parent that a child has exited and waits to be collected.
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
