//! `--step`: a stop before each call of the socket story. It says which call is about to be
//! made, in strace's notation, the layer it acts on and what to look at now, then waits for
//! Enter on the terminal (`/dev/tty`, so that a client fed by a pipe can be stepped too).

use std::io::{Read as _, Write as _};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};
use nix::poll::{PollFd, PollFlags, ppoll};
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
use nix::sys::termios::{FlushArg, tcflush};

use crate::layers;
use crate::signals;
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

/// The file whose lock is the terminal's turn (see [`Turn`]): made once, before any fork, so
/// that the processes of one run, and only they, share it.
static TURN: OnceLock<std::fs::File> = OnceLock::new();

/// Turns `--step` on: opens the terminal it will wait on. The terminal, not stdin, so that a
/// client fed by a pipe can still be stepped through.
pub fn start_stepping() -> Result<(), Errno> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))?;
    let turn = memfd_create("sockstep-step-turn", MFdFlags::MFD_CLOEXEC)?;
    *TTY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(out_of_the_way(&tty)?);
    let _ = TURN.set(out_of_the_way(&turn)?);
    STEP.store(true, Ordering::Relaxed);
    Ok(())
}

/// A copy of `fd` at descriptor 10 or above (`fd` itself is closed when dropped), so that the
/// sockets get the numbers they have without --step: the first one is still 3.
fn out_of_the_way(fd: &impl AsFd) -> Result<std::fs::File, Errno> {
    let high = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(10))?;
    // SAFETY: fcntl just returned this descriptor, and nothing else owns it.
    Ok(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(high) })
}

/// Is `--step` on?
#[inline]
pub fn stepping() -> bool {
    STEP.load(Ordering::Relaxed)
}

/// The calls that wait for a peer, for as long as it takes: a signal that comes while one of
/// them blocks makes it return EINTR, and every caller knows what to do then.
const WAITS: &[&str] = &[
    "accept",
    "accept4",
    "recv",
    "read",
    "recvfrom",
    "select",
    "poll",
    "epoll_wait",
];

/// With `--step`, says which call is about to be made (in strace's notation, as far as its
/// arguments are known before the call), the layer it acts on and what to look at now, then
/// waits for Enter on the terminal. Without `--step` it costs one relaxed load: `args` is not
/// even called.
///
/// `Err(EINTR)` means: do not make the call. Ctrl-C (or SIGTERM) came at the stop before a
/// call that waits for a peer; had it come a moment later, during the call, the call would
/// have returned EINTR, and the server would have shut down. So the wrapper returns EINTR
/// without making the call (strace shows none), and the server shuts down the same way.
#[inline]
pub fn before(call: &'static str, args: impl FnOnce() -> String) -> Result<(), Errno> {
    if stepping() && STOPS.contains(&call) {
        return step(call, args());
    }
    Ok(())
}

/// How a stop ended.
enum Answer {
    /// Enter: make the call.
    Enter,
    /// The terminal is gone or closed (Ctrl-D).
    Gone,
    /// SIGINT or SIGTERM asked the server to shut down.
    Shutdown(Signal),
}

fn step(call: &'static str, args: String) -> Result<(), Errno> {
    let row = layers::row(call);
    let lang = Lang::current();
    let tag = super::tag_prefix();
    let mut guard = TTY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(tty) = guard.as_mut() else {
        return Ok(());
    };
    let prompt = text::step_prompt(
        &tag,
        &format!("{}({args})", row.syscall),
        &layers::label(call, lang),
        call,
        std::process::id(),
    );
    match stop(tty, &tag, &prompt) {
        Answer::Enter => Ok(()),
        Answer::Gone => {
            // Stop stepping and run on.
            STEP.store(false, Ordering::Relaxed);
            Ok(())
        }
        Answer::Shutdown(signal) => {
            STEP.store(false, Ordering::Relaxed);
            let waits = WAITS.contains(&call);
            let said = text::step_interrupted(&tag, row.syscall, signal, waits);
            let _ = tty.write_all(said.as_bytes());
            if waits { Err(Errno::EINTR) } else { Ok(()) }
        }
    }
}

/// One stop: takes the terminal's turn, throws away what was typed ahead, shows the prompt and
/// waits for the end of a line.
///
/// Typed ahead: the terminal keeps the lines typed before a prompt, and the next stops would
/// read them and run on unseen. `tcflush(TCIFLUSH)` discards them before each prompt, so that
/// each call waits for an Enter typed after its prompt was shown. The flush, the turn's lock
/// and the terminal's reads and writes are `--step`'s own business, not the program's: they
/// are not narrated (strace shows them, on descriptor 10 or above).
fn stop(tty: &std::fs::File, tag: &str, prompt: &str) -> Answer {
    let mut io = tty;
    if let Some(signal) = signals::shutdown_signal() {
        return Answer::Shutdown(signal);
    }
    let _turn = match Turn::take(tty, TURN.get(), tag) {
        Ok(turn) => turn,
        Err(answer) => return answer,
    };
    let _ = tcflush(tty, FlushArg::TCIFLUSH);
    if io.write_all(prompt.as_bytes()).is_err() {
        return Answer::Gone;
    }
    wait_for_enter(tty)
}

/// Waits for the end of the line the user types (the terminal gives it at Enter), or for
/// SIGINT or SIGTERM.
///
/// The shutdown handler only sets a flag, and a read() that the signal interrupts returns
/// EINTR; but a Ctrl-C that comes just before the read(), after the flag was looked at, would
/// interrupt nothing, and the stop would wait on. So SIGINT and SIGTERM stay blocked while the
/// flag is looked at, and ppoll() unblocks them only for the time it waits, atomically (the
/// reason ppoll() and pselect() exist). Any other signal (a child's SIGCHLD, --interrupt's
/// SIGALRM) is no business of the stop's: it waits on. These calls, like the terminal's reads
/// and writes, are `--step`'s own and not narrated.
fn wait_for_enter(tty: &std::fs::File) -> Answer {
    let shutdown: SigSet = [Signal::SIGINT, Signal::SIGTERM].into_iter().collect();
    let mut unblocked = SigSet::empty();
    if pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&shutdown), Some(&mut unblocked)).is_err() {
        return Answer::Gone;
    }
    let answer = loop {
        if let Some(signal) = signals::shutdown_signal() {
            break Answer::Shutdown(signal);
        }
        let mut fds = [PollFd::new(tty.as_fd(), PollFlags::POLLIN)];
        match ppoll(&mut fds, None, Some(unblocked)) {
            Err(Errno::EINTR) => continue,
            Err(_) => break Answer::Gone,
            Ok(_) => {}
        }
        let mut byte = [0u8; 1];
        match (&*tty).read(&mut byte) {
            Ok(0) => break Answer::Gone,
            Ok(_) if byte[0] == b'\n' => break Answer::Enter,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break Answer::Gone,
        }
    };
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&unblocked), None);
    answer
}

/// The terminal's turn: one process at a time shows a stop and waits for Enter.
///
/// The fork model's parent and child both step, on the one terminal. Were both to wait at
/// once, an Enter would go to whichever read first, and the prompt on the screen might not be
/// the one answered. So a process takes a write lock (`fcntl(F_SETLKW)`, a POSIX record lock:
/// it belongs to the process, is not inherited by `fork()`, and goes when the process ends)
/// for the time of its stop; another process's stop waits until that Enter, after saying on
/// the terminal whom it waits for. Threads are kept in turn by [`TTY`]'s mutex.
///
/// The lock is on [`TURN`], an anonymous file (`memfd_create`) made before any fork, not on
/// `/dev/tty`: a lock belongs to a file's inode, and `/dev/tty` is one inode for every
/// terminal of the machine, so two runs on two terminals would wait for each other.
struct Turn<'a> {
    turn: Option<&'a std::fs::File>,
}

impl<'a> Turn<'a> {
    fn take(
        tty: &std::fs::File,
        turn: Option<&'a std::fs::File>,
        tag: &str,
    ) -> Result<Turn<'a>, Answer> {
        let Some(file) = turn else {
            return Ok(Turn { turn });
        };
        let mut lock = whole_file(libc::F_WRLCK);
        if fcntl(file, FcntlArg::F_SETLK(&lock)).is_err() {
            // Someone else's stop is on the screen: say whose, then wait for its Enter.
            if fcntl(file, FcntlArg::F_GETLK(&mut lock)).is_ok()
                && lock.l_type != libc::F_UNLCK as i16
            {
                let said = text::step_waiting(tag, lock.l_pid);
                let _ = (&*tty).write_all(said.as_bytes());
            }
            let lock = whole_file(libc::F_WRLCK);
            loop {
                match fcntl(file, FcntlArg::F_SETLKW(&lock)) {
                    Ok(_) => break,
                    Err(Errno::EINTR) => {
                        if let Some(signal) = signals::shutdown_signal() {
                            return Err(Answer::Shutdown(signal));
                        }
                    }
                    // No lock to be had (ENOLCK, say): the stop goes on without its turn, and
                    // says so.
                    Err(errno) => {
                        let said = text::step_no_turn(tag, errno);
                        let _ = (&*tty).write_all(said.as_bytes());
                        break;
                    }
                }
            }
        }
        Ok(Turn { turn })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Some(file) = self.turn {
            let _ = fcntl(file, FcntlArg::F_SETLK(&whole_file(libc::F_UNLCK)));
        }
    }
}

/// A `struct flock` over the whole file.
fn whole_file(kind: libc::c_int) -> libc::flock {
    // SAFETY: flock is a plain C struct, for which all zeroes is a valid value.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as i16;
    lock.l_whence = libc::SEEK_SET as i16;
    lock
}
