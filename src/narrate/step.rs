//! `--step`: a stop before each call of the socket story. It says which call is about to be
//! made, in strace's notation, the layer it acts on and what to look at now, then waits for
//! Enter on the terminal (`/dev/tty`, so that a client fed by a pipe can be stepped too).

use std::io::{Read as _, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;

use crate::layers;
use crate::text::{self, Lang};

/// The calls `--step` stops before: the socket story and the waits of the event loops. The
/// bookkeeping around them (signals, process ids, limits, epoll's set-up) runs on.
const STOPS: &[&str] = &[
    "socket",
    "setsockopt",
    "bind",
    "listen",
    "accept",
    "accept4",
    "connect",
    "recv",
    "read",
    "send",
    "write",
    "recvfrom",
    "sendto",
    "shutdown",
    "close",
    "getsockname",
    "getpeername",
    "fork",
    "select",
    "poll",
    "epoll_wait",
];

static STEP: AtomicBool = AtomicBool::new(false);

/// The terminal `--step` talks to: `/dev/tty`, opened once, shared by every thread (a process
/// forked later shares the open file too).
static TTY: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// Turns `--step` on: opens the terminal it will wait on. The terminal, not stdin, so that a
/// client fed by a pipe can still be stepped through.
pub fn start_stepping() -> Result<(), Errno> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))?;
    // Move it out of the way, to descriptor 10 or above (the first one dropped here), so that
    // the sockets get the numbers they have without --step: the first one is still 3.
    let high = nix::fcntl::fcntl(&tty, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(10))?;
    // SAFETY: fcntl just returned this descriptor, and nothing else owns it.
    let tty = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(high) };
    *TTY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(tty);
    STEP.store(true, Ordering::Relaxed);
    Ok(())
}

/// Is `--step` on?
#[inline]
pub fn stepping() -> bool {
    STEP.load(Ordering::Relaxed)
}

/// With `--step`, says which call is about to be made (in strace's notation, as far as its
/// arguments are known before the call), the layer it acts on and what to look at now, then
/// waits for Enter on the terminal. Without `--step` it costs one relaxed load: `args` is not
/// even called.
#[inline]
pub fn before(call: &'static str, args: impl FnOnce() -> String) {
    if stepping() && STOPS.contains(&call) {
        step(call, args());
    }
}

fn step(call: &'static str, args: String) {
    let row = layers::row(call);
    let lang = Lang::current();
    let tag = super::tag_prefix();
    let mut guard = TTY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(tty) = guard.as_mut() else { return };
    let prompt = text::step_prompt(
        &tag,
        &format!("{}({args})", row.syscall),
        &layers::label(call, lang),
        call,
        std::process::id(),
    );
    let mut answer = [0u8; 1];
    let waited = tty.write_all(prompt.as_bytes()).and_then(|()| {
        loop {
            // Wait for the end of the line the user types; the terminal gives it at Enter.
            match tty.read(&mut answer)? {
                0 => break Ok(false),
                _ if answer[0] == b'\n' => break Ok(true),
                _ => {}
            }
        }
    });
    if !matches!(waited, Ok(true)) {
        // The terminal is gone or closed (Ctrl-D): stop stepping and run on.
        STEP.store(false, Ordering::Relaxed);
    }
}
