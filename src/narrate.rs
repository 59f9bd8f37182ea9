//! What sockstep prints on stderr as it works: the narration of each system call, in strace's
//! notation with the layer it acts on, and the log of the course's events.
//!
//! Both are switches read with one relaxed atomic load. With `--narrate` off no narration line
//! is even formatted, so the narration costs no system call at all: `strace -c` counts the same
//! calls as a build without this module would make.
//!
//! `--step` adds a stop before each call of the socket story ([`before`]): what is about to
//! happen, the layer, what to look at now, and a wait for Enter on the terminal.
//!
//! Each line goes to stderr in one `write(2, ...)`: it is formatted into a `String` first,
//! because `eprintln!` may split one line into several writes, which would interleave between
//! threads and clutter the trace.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use nix::errno::Errno;

use crate::layers;
use crate::text::{self, Lang, Msg, Note};

static NARRATE: AtomicBool = AtomicBool::new(false);
static LOG: AtomicU8 = AtomicU8::new(Log::Data as u8);

/// How much the server and the client log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Log {
    /// Errors only.
    Quiet = 0,
    /// Connections opened and closed.
    Conn = 1,
    /// Also every message received and sent, as the course's parrot prints them.
    Data = 2,
}

/// Turns the narration on or off for the whole program.
pub fn set_narrate(on: bool) {
    NARRATE.store(on, Ordering::Relaxed);
}

/// Is the narration on?
#[inline]
pub fn narrating() -> bool {
    NARRATE.load(Ordering::Relaxed)
}

/// Sets the log level for the whole program.
pub fn set_log(level: Log) {
    LOG.store(level as u8, Ordering::Relaxed);
}

/// Does the log level include `level`?
#[inline]
pub fn logging(level: Log) -> bool {
    LOG.load(Ordering::Relaxed) >= level as u8
}

thread_local! {
    /// Who is speaking: `iterative`, `fork pid 4242`, `client`... Each line starts with it
    /// in brackets, so that logs line up with `strace -f`, which prefixes `[pid N]`.
    static TAG: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Sets the tag of this thread's lines.
pub fn set_tag(tag: impl Into<String>) {
    TAG.with(|t| *t.borrow_mut() = tag.into());
}

/// Writes one line to stderr in one system call, tagged.
fn emit(body: fmt::Arguments<'_>) {
    let mut line = String::with_capacity(128);
    TAG.with(|t| {
        let tag = t.borrow();
        if !tag.is_empty() {
            let _ = write!(line, "[{tag}] ");
        }
    });
    let _ = line.write_fmt(body);
    line.push('\n');
    // Nothing sensible can be done if stderr itself is gone; the program goes on.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Logs an event at `level`, about connection `fd` if there is one.
pub fn log(level: Log, fd: Option<i32>, msg: Msg<'_>) {
    if !logging(level) {
        return;
    }
    let sep = match Lang::current() {
        Lang::En => ":",
        Lang::Fr => " :",
    };
    match fd {
        Some(fd) => emit(format_args!("fd {fd}{sep} {msg}")),
        None => emit(format_args!("{msg}")),
    }
}

/// Logs an error that ends the program or a connection; shown at every log level.
pub fn error(fd: Option<i32>, msg: Msg<'_>) {
    log(Log::Quiet, fd, msg)
}

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
    if stepping() {
        step(call, args());
    }
}

fn step(call: &'static str, args: String) {
    let row = layers::row(call);
    let lang = Lang::current();
    let tag = TAG.with(|t| t.borrow().clone());
    let tag = if tag.is_empty() {
        String::new()
    } else {
        format!("[{tag}] ")
    };
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

/// Narrates one system call that has just returned, if the narration is on.
///
/// `call` is the course's name (`recv`), looked up in the layer table; `args` builds strace's
/// rendering of the arguments (only called when narrating); `result` is the return value or the
/// errno; `note` says what happened in the course's terms.
pub fn syscall<R: fmt::Display>(
    call: &'static str,
    args: impl FnOnce() -> String,
    result: &Result<R, Errno>,
    note: impl FnOnce() -> Note,
) {
    if !narrating() {
        return;
    }
    let row = layers::row(call);
    let lang = Lang::current();
    let returned = match result {
        Ok(value) => format!("{value}"),
        Err(errno) => format!("-1 {} ({})", errno_name(*errno), strerror(*errno)),
    };
    let note = match result {
        Err(errno) => Note::Failed { errno: *errno },
        Ok(_) => note(),
    };
    // glibc implements recv() with the recvfrom system call and send() with sendto: say so,
    // or a student looking for "recv" in strace's output finds nothing.
    let renamed = if row.syscall != row.call {
        match lang {
            Lang::En => format!("{}() is the {} syscall; ", row.call, row.syscall),
            Lang::Fr => format!("{}() est l'appel système {} ; ", row.call, row.syscall),
        }
    } else {
        String::new()
    };
    emit(format_args!(
        "{}({}) = {returned}   [{}: {renamed}{note}]",
        row.syscall,
        args(),
        layers::label(call, lang)
    ));
}

/// The C library's description of an errno, as strace prints it: `Resource temporarily
/// unavailable` for EAGAIN (nix's own table says `Try again`).
pub fn strerror(errno: Errno) -> String {
    let text = std::io::Error::from_raw_os_error(errno as i32).to_string();
    // std adds " (os error 11)" after glibc's strerror text.
    match text.rsplit_once(" (os error ") {
        Some((description, _)) => description.to_string(),
        None => text,
    }
}

/// `EADDRINUSE` for the errno (nix's Debug is the constant's name).
pub fn errno_name(errno: Errno) -> String {
    format!("{errno:?}")
}

/// A socket address as strace prints it:
/// `{sa_family=AF_INET, sin_port=htons(6789), sin_addr=inet_addr("0.0.0.0")}`.
pub fn strace_sockaddr(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!(
            "{{sa_family=AF_INET, sin_port=htons({}), sin_addr=inet_addr(\"{}\")}}",
            a.port(),
            a.ip()
        ),
        SocketAddr::V6(a) => format!(
            "{{sa_family=AF_INET6, sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"{}\", &sin6_addr), sin6_scope_id={}}}",
            a.port(),
            a.flowinfo(),
            a.ip(),
            a.scope_id()
        ),
    }
}

/// The size of the C `struct sockaddr_in` (16) or `sockaddr_in6` (28), as strace shows it.
pub fn sockaddr_len(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => std::mem::size_of::<libc::sockaddr_in>(),
        SocketAddr::V6(_) => std::mem::size_of::<libc::sockaddr_in6>(),
    }
}

/// Bytes as strace prints a buffer with its default `-s 32`: quoted, C escapes, octal for
/// other bytes that are not printable ASCII, `...` after the first 32. Like strace, an octal
/// escape takes all three digits only when the next byte shown is itself an octal digit
/// (`\0015` is byte 1 then `5`; `\15` would be byte 13).
pub fn strace_bytes(data: &[u8]) -> String {
    const SHOWN: usize = 32;
    let shown = &data[..data.len().min(SHOWN)];
    let mut out = String::from("\"");
    for (i, &byte) in shown.iter().enumerate() {
        match byte {
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(byte as char),
            _ if shown
                .get(i + 1)
                .is_some_and(|next| (b'0'..=b'7').contains(next)) =>
            {
                let _ = write!(out, "\\{byte:03o}");
            }
            _ => {
                let _ = write!(out, "\\{byte:o}");
            }
        }
    }
    out.push('"');
    if data.len() > SHOWN {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn sockaddr_reads_like_strace() {
        let addr: SocketAddr = "0.0.0.0:6789".parse().unwrap();
        assert_eq!(
            strace_sockaddr(&addr),
            r#"{sa_family=AF_INET, sin_port=htons(6789), sin_addr=inet_addr("0.0.0.0")}"#
        );
        assert_eq!(sockaddr_len(&addr), 16);
        let addr: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(sockaddr_len(&addr), 28);
    }

    #[test]
    fn bytes_read_like_strace() {
        assert_eq!(strace_bytes(b"bonjour\n"), r#""bonjour\n""#);
        assert_eq!(strace_bytes("é".as_bytes()), r#""\303\251""#);
        assert_eq!(strace_bytes(b"\x01\x005\x0b"), r#""\1\0005\v""#);
        assert_eq!(
            strace_bytes(&[b'a'; 33]),
            format!("\"{}\"...", "a".repeat(32))
        );
    }
}
