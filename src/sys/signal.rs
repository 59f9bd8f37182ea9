//! Signals: `kill`, `sigaction`, `pthread_sigmask`, `sigtimedwait`, and the timer that raises
//! one, `setitimer`.

use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};
use nix::unistd::Pid;

use super::{Entered, Result, call};
use crate::narrate::{Arg, Told, strace_sa_flags, strace_sigset};
use crate::text::Note;

/// `kill(2)`: send a signal to a process.
///
/// Layer: none (process management). The kernel marks the signal pending in the target, which
/// runs its handler (or dies, or ignores it) the next time it is scheduled; a system call the
/// target was blocked in returns EINTR when the handler was installed without SA_RESTART.
///
/// strace: `kill(4243, SIGTERM) = 0`
/// (<https://man7.org/linux/man-pages/man2/kill.2.html>)
pub fn kill(pid: Pid, signal: Signal) -> Result<()> {
    let args = || {
        vec![
            Arg::int("pid", pid.as_raw()).blamed(),
            Arg::shown("sig", signal.as_str()).blamed(),
        ]
    };
    call(
        "kill",
        args,
        || nix::sys::signal::kill(pid, signal),
        |()| Told::new(0, Note::Kill { pid, signal }),
    )
}

/// `sigaction(2)`: install a handler for a signal.
///
/// Layer: none (signals are the kernel's messages to a process). From now on, when `signal`
/// arrives, the kernel interrupts the process and runs `handler` in it. Without
/// `SA_RESTART` in the flags, a system call the process was blocked in when the signal came
/// (`accept`, `recv`, `waitpid`...) is not resumed after the handler: it returns EINTR.
///
/// strace: `rt_sigaction(SIGTERM, {sa_handler=0x55d1c0a3e2b0, sa_mask=[], sa_flags=SA_RESTORER}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0`
/// (<https://man7.org/linux/man-pages/man2/sigaction.2.html>)
///
/// # Safety
///
/// `handler` runs at any moment, between any two instructions of the program: it may only
/// make async-signal-safe calls and touch lock-free atomics (man 7 signal-safety).
pub unsafe fn sigaction(
    signal: Signal,
    handler: extern "C" fn(libc::c_int),
    handler_name: &'static str,
    flags: SaFlags,
) -> Result<()> {
    let action = SigAction::new(SigHandler::Handler(handler), flags, SigSet::empty());
    let entered = Entered::enter("sigaction", Vec::new)?;
    // SAFETY: the caller vouches for the handler.
    let result = unsafe { nix::sys::signal::sigaction(signal, &action) };
    let args = |result: &nix::Result<SigAction>| {
        let old = match result {
            Ok(old) => match old.handler() {
                SigHandler::SigDfl => "{sa_handler=SIG_DFL, ...}",
                SigHandler::SigIgn => "{sa_handler=SIG_IGN, ...}",
                _ => "{sa_handler=..., ...}",
            },
            Err(_) => "NULL",
        };
        let act = format!(
            "{{sa_handler={handler_name}, sa_mask=[], sa_flags={}}}",
            strace_sa_flags(flags)
        );
        vec![
            Arg::shown("signum", signal.as_str()).blamed(),
            Arg::shown("act", act),
            Arg::shown("oldact", old),
            Arg::int("sigsetsize", 8),
        ]
    };
    let restart = flags.contains(SaFlags::SA_RESTART);
    entered
        .exit(result, args, |_| {
            Told::new(0, Note::SigAction { signal, restart })
        })
        .map(|_| ())
}

/// Which change [`pthread_sigmask`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskHow {
    /// Add the signals to the blocked set.
    Block,
    /// Replace the blocked set.
    SetMask,
    /// Remove the signals from the blocked set.
    Unblock,
}

/// `pthread_sigmask(3)`: block or unblock signals in the calling thread.
///
/// Layer: none (signals). A blocked signal is not lost: it stays pending until it is unblocked
/// or taken by [`sigtimedwait`]. The mask belongs to each thread, and a new thread inherits its
/// creator's. A signal sent to the process (`kill`, Ctrl-C) goes to one thread that does not
/// block it, any one: blocking is how a program picks which thread gets it.
///
/// In a single-threaded process it is `sigprocmask(2)`; both are the `rt_sigprocmask` system
/// call, and strace shows `rt_sigprocmask(SIG_BLOCK, [INT TERM], [], 8) = 0`.
/// (<https://man7.org/linux/man-pages/man3/pthread_sigmask.3.html>)
pub fn pthread_sigmask(how: MaskHow, set: &SigSet) -> Result<SigSet> {
    let mut old = SigSet::empty();
    let (nix_how, how_name) = match how {
        MaskHow::Block => (SigmaskHow::SIG_BLOCK, "SIG_BLOCK"),
        MaskHow::SetMask => (SigmaskHow::SIG_SETMASK, "SIG_SETMASK"),
        MaskHow::Unblock => (SigmaskHow::SIG_UNBLOCK, "SIG_UNBLOCK"),
    };
    let entered = Entered::enter("pthread_sigmask", Vec::new)?;
    let result = nix::sys::signal::pthread_sigmask(nix_how, Some(set), Some(&mut old));
    let args = |_: &_| {
        vec![
            Arg::shown("how", how_name).blamed(),
            Arg::shown("set", strace_sigset(set)).blamed(),
            Arg::shown("oldset", strace_sigset(&old)),
            Arg::int("sigsetsize", 8),
        ]
    };
    let block = how == MaskHow::Block;
    entered
        .exit(result, args, |()| Told::new(0, Note::SigMask { block }))
        .map(|()| old)
}

/// `sigtimedwait(2)`: wait for one of the signals of `set`, for at most `timeout`.
///
/// Layer: none (signals). The signals of `set` must be blocked: the call then takes one that is
/// pending, or waits until one arrives, and returns its number instead of running its handler.
/// Because the signals are blocked, none can slip in between a test and the wait (the race that
/// `pause()` has): one that came earlier is still pending, and the call returns at once. After
/// `timeout` with no signal, EAGAIN. nix has no wrapper for it: this one calls libc.
///
/// strace: `rt_sigtimedwait([CHLD], {si_signo=SIGCHLD, si_code=CLD_EXITED, ...}, {tv_sec=4, tv_nsec=0}, 8) = 17 (SIGCHLD)`
/// (<https://man7.org/linux/man-pages/man2/sigtimedwait.2.html>)
pub fn sigtimedwait(set: &SigSet, timeout: Option<Duration>) -> Result<Signal> {
    let timespec = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as _,
    });
    let sigset: &libc::sigset_t = set.as_ref();
    let entered = Entered::enter("sigtimedwait", Vec::new)?;
    // SAFETY: every pointer is to a live local or to `set`; a NULL timeout means "no limit".
    let ret = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::sigtimedwait(
            sigset,
            &mut info,
            timespec
                .as_ref()
                .map_or(std::ptr::null(), |ts| ts as *const libc::timespec),
        )
    };
    let result = Errno::result(ret).and_then(Signal::try_from);
    let args = |_: &_| {
        let timeout = timeout.map_or("NULL".into(), |d| {
            format!("{{tv_sec={}, tv_nsec={}}}", d.as_secs(), d.subsec_nanos())
        });
        vec![
            Arg::shown("set", strace_sigset(set)).blamed(),
            Arg::shown("info", "{...}"),
            Arg::shown("timeout", timeout),
            Arg::int("sigsetsize", 8),
        ]
    };
    entered.exit(result, args, |&signal| {
        Told::new(signal as i32, Note::SignalTaken { signal })
            .shown(format!("{} ({signal})", signal as i32))
    })
}

/// `setitimer(2)`: arm the process's real-time interval timer (`ITIMER_REAL`).
///
/// Layer: none (a timer, not a network call). From now on the kernel sends the process
/// SIGALRM every `every`, the first one after `every`. The signal goes to the process, and so
/// to one of its threads that does not block it; a handler installed without `SA_RESTART` then
/// makes the blocking call that thread was in (`accept`, `recv`, `send`, `select`, `poll`,
/// `epoll_wait`) return EINTR. Interval timers are not inherited by `fork()`'s children: each
/// child that wants one arms its own. nix has no wrapper for it: this one calls libc.
///
/// strace: `setitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=2000}, it_value={tv_sec=0, tv_usec=2000}}, NULL) = 0`
/// (<https://man7.org/linux/man-pages/man2/setitimer.2.html>)
pub fn setitimer(every: Duration) -> Result<()> {
    let tv = libc::timeval {
        tv_sec: every.as_secs() as libc::time_t,
        tv_usec: every.subsec_micros() as libc::suseconds_t,
    };
    let value = libc::itimerval {
        it_interval: tv,
        it_value: tv,
    };
    let args = || {
        let tv = format!(
            "{{tv_sec={}, tv_usec={}}}",
            every.as_secs(),
            every.subsec_micros()
        );
        vec![
            Arg::shown("which", "ITIMER_REAL"),
            Arg::shown("new_value", format!("{{it_interval={tv}, it_value={tv}}}")).blamed(),
            Arg::shown("old_value", "NULL"),
        ]
    };
    call(
        "setitimer",
        args,
        // SAFETY: `value` is a live local; a NULL old value asks for nothing back.
        || {
            Errno::result(unsafe {
                libc::setitimer(libc::ITIMER_REAL, &value, std::ptr::null_mut())
            })
            .map(drop)
        },
        |()| Told::new(0, Note::Timer { every }),
    )
}
