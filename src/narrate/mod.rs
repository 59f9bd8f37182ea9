//! What sockstep prints on stderr as it works: the narration of each system call, in strace's
//! notation with the layer it acts on, and the log of the course's events.
//!
//! Both are switches read with one relaxed atomic load. With `--narrate` off no narration line
//! is even formatted, so the narration costs no system call at all: `strace -c` counts the same
//! calls as a build without this module would make.
//!
//! `--step` adds a stop before each call of the socket story ([`before`], in [`step`]): what
//! is about to happen, the layer, what to look at now, and a wait for Enter on the terminal.
//!
//! `--events FILE` appends a JSON line per call and per logged event ([`record`]). A call's
//! narration line and its record's line are both rendered from one [`Call`], built once by
//! `sys::call` when the call returns, so that they cannot disagree. strace's notation for each
//! kind of argument is in [`strace`].
//!
//! Each line goes to stderr in one `write(2, ...)`: it is formatted into a `String` first,
//! because `eprintln!` may split one line into several writes, which would interleave between
//! threads and clutter the trace.

pub mod record;
pub mod step;
pub mod strace;

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crate::layers;
use crate::text::{Lang, Msg};

pub use record::{Arg, Call, Told};
pub use step::{before, start_stepping, stepping};
pub use strace::{
    errno_name, sockaddr_len, strace_bytes, strace_epoll_event, strace_epoll_events, strace_fd_set,
    strace_poll_flags, strace_pollfd, strace_sa_flags, strace_sigset, strace_sockaddr,
    strace_timeval, strace_wait_status, strerror,
};

static NARRATE: AtomicBool = AtomicBool::new(false);
static TCP_STATES: AtomicBool = AtomicBool::new(false);
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

/// Turns the TCP-state readings (`--tcp-states`) on or off for the whole program.
pub fn set_tcp_states(on: bool) {
    TCP_STATES.store(on, Ordering::Relaxed);
}

/// Are the TCP-state readings on? Each is one more system call, `getsockopt(TCP_INFO)`, that
/// the program itself does not need: made, and printed, only when asked for, so that
/// `--narrate` alone shows exactly the program's own calls.
#[inline]
pub fn tcp_states() -> bool {
    TCP_STATES.load(Ordering::Relaxed)
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

/// `[tag] `, or nothing when this thread has no tag.
fn tag_prefix() -> String {
    TAG.with(|t| {
        let tag = t.borrow();
        if tag.is_empty() {
            String::new()
        } else {
            format!("[{tag}] ")
        }
    })
}

/// Writes one line to stderr in one system call, tagged.
fn emit(body: fmt::Arguments<'_>) {
    let mut line = tag_prefix();
    let _ = line.write_fmt(body);
    line.push('\n');
    // Nothing sensible can be done if stderr itself is gone; the program goes on.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Logs an event at `level`, about connection `fd` if there is one.
pub fn log(level: Log, fd: Option<i32>, msg: Msg<'_>) {
    record::write_log(level, fd, &msg);
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

/// Is anything watching the calls: the narration, the TCP-state readings or the record? The
/// wrappers build a call's [`Call`] only then.
#[inline]
pub fn active() -> bool {
    narrating() || tcp_states() || record::recording()
}

/// One call has returned: narrates it if the narration is on (a TCP-state reading, also with
/// `--tcp-states` alone), and records it if the record is on, all from the same [`Call`].
pub fn happened(call: &Call) {
    if narrating() || (tcp_states() && call.name == crate::sys::tcp_info::CALL) {
        emit(format_args!("{}", narration(call, Lang::current())));
    }
    record::write_call(call);
}

/// The narration line of a call: strace's line, then the layer and what happened.
fn narration(call: &Call, lang: Lang) -> String {
    let row = layers::row(call.name);
    if row.is_library() {
        // Not a system call: no strace line to imitate. `→` rather than `=`, and the note says
        // what strace shows instead.
        return format!(
            "{}({}) → {}   [{}: {}]",
            call.name,
            record::shown(&call.args),
            call.returned(),
            layers::label(call.name, lang),
            call.note()
        );
    }
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
    // --max-io cut the buffer: say so, or a student wonders why the length is 1.
    let clamped = match &call.outcome {
        Ok(Told {
            clamped_from: Some(asked),
            ..
        }) => {
            let given = call.args.iter().find(|arg| arg.name == "len");
            let given = given.and_then(|arg| arg.value.as_u64()).unwrap_or(0) as usize;
            format!(
                "; {}",
                crate::text::Note::Clamped {
                    asked: *asked,
                    given
                }
            )
        }
        _ => String::new(),
    };
    format!(
        "{}({}) = {}   [{}: {renamed}{}{clamped}]",
        row.syscall,
        record::shown(&call.args),
        call.returned(),
        layers::label(call.name, lang),
        call.note()
    )
}
