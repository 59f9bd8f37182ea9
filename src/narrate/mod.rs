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
//!
//! A narration keeps within [`WIDTH`] columns, for a terminal beside strace's: the call as
//! strace prints it (cut after a `, ` when it is longer, the rest indented by 8), then the layer
//! and what happened on lines of their own, in brackets indented by 4:
//!
//! ```text
//! [iterative] recvfrom(4, "bonjour\n", 1024, 0, NULL, NULL) = 8
//!     [application ↔ transport · OSI 7 ↔ 4: recv() is the recvfrom syscall; 8 bytes taken
//!      from the receive buffer]
//! ```
//!
//! The lines of one call are still one `write(2, ...)`. A log line, and each line of a
//! `--step` stop, keep within [`WIDTH`] the same way: cut between words (a stop's call after a
//! `, `), the rest indented by 8 ([`CONTINUATION`]), still in one write.

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

/// Writes one log line to stderr in one system call, tagged, cut between words into lines of
/// at most [`WIDTH`] columns, the rest indented by [`CONTINUATION`].
fn emit(body: fmt::Arguments<'_>) {
    let mut line = String::new();
    let _ = line.write_fmt(body);
    let text = wrap_words(&tag_prefix(), CONTINUATION, &line);
    // Nothing sensible can be done if stderr itself is gone; the program goes on.
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Logs an event at `level`, about connection `fd` if there is one.
#[inline]
pub fn log(level: Log, fd: Option<i32>, msg: Msg<'_>) {
    if record::recording() {
        record::write_log(level, fd, &msg);
    }
    if !logging(level) {
        return;
    }
    let sep = match Lang::current() {
        Lang::En => ":",
        Lang::Fr => " :",
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
        let (strace, bracket) = narration(call, Lang::current());
        let text = wrapped(&tag_prefix(), &strace, &bracket);
        // Nothing sensible can be done if stderr itself is gone; the program goes on.
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    record::write_call(call);
}

/// The columns a narration keeps within.
pub const WIDTH: usize = 100;

/// Where the bracket's lines start.
const INDENT: &str = "    ";

/// Where the rest of a cut line starts: the rest of a long call, of a log line, of a `--step`
/// prompt's line. Further in than the bracket's first, `[`, which tells the bracket from the
/// rest of a long call (an argument may start with `[` too: `[128 => 16]`).
pub const CONTINUATION: &str = "        ";

/// A call's narration, in lines of at most [`WIDTH`] columns (characters, not bytes), ending
/// with a newline: `prefix` and the call (cut after a `, ` outside quotes when it is too long,
/// the rest indented), then the bracket on lines of its own, indented.
pub fn wrapped(prefix: &str, strace: &str, bracket: &str) -> String {
    let mut lines = fill(prefix, CONTINUATION, &args_pieces(strace), " ");
    let inside = format!("{INDENT} ");
    let words: Vec<&str> = bracket.split(' ').collect();
    lines.extend(fill(&format!("{INDENT}["), &inside, &words, " "));
    let mut text = lines.join("\n");
    text.push_str("]\n");
    text
}

/// `text` cut between words into lines of at most [`WIDTH`] columns, the first starting with
/// `first` and the others with `next`; a newline after each.
pub fn wrap_words(first: &str, next: &str, text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out = fill(first, next, &words, " ").join("\n");
    out.push('\n');
    out
}

/// A call in strace's notation on lines of at most [`WIDTH`] columns, cut after a `, `
/// outside quotes: the first line starts with `first`, the others with `next`; a newline after
/// each. The `--step` prompt shows the call about to be made this way.
pub fn wrap_call(first: &str, next: &str, strace: &str) -> String {
    let mut out = fill(first, next, &args_pieces(strace), " ").join("\n");
    out.push('\n');
    out
}

/// `pieces` joined by `sep` on lines of at most [`WIDTH`] columns (one piece too long for a
/// line has it to itself): the first line starts with `first`, the others with `next`.
fn fill(first: &str, next: &str, pieces: &[&str], sep: &str) -> Vec<String> {
    let width = |s: &str| s.chars().count();
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for piece in pieces {
        if !empty && width(&line) + width(sep) + width(piece) + 1 > WIDTH {
            lines.push(std::mem::replace(&mut line, next.to_string()));
            empty = true;
        }
        if !empty {
            line.push_str(sep);
        }
        line.push_str(piece);
        empty = false;
    }
    lines.push(line);
    lines
}

/// A call in strace's notation cut after each `, ` that is not inside a quoted string: the
/// places where a long call may go on to the next line. Joined again with spaces, the pieces
/// give the call back.
fn args_pieces(strace: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    let bytes = strace.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted && bytes.get(i + 1) == Some(&b' ') => {
                pieces.push(&strace[start..=i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    pieces.push(&strace[start..]);
    pieces
}

/// A call's narration: strace's line, and what the bracket says (the layer and what
/// happened).
fn narration(call: &Call, lang: Lang) -> (String, String) {
    let row = layers::row(call.name);
    // French typography: a no-break space before `:` and `;`.
    let (colon, semicolon) = match lang {
        Lang::En => (":", ";"),
        Lang::Fr => (" :", " ;"),
    };
    if row.is_library() {
        // Not a system call: no strace line to imitate. `→` rather than `=`, and the note says
        // what strace shows instead.
        return (
            format!(
                "{}({}) → {}",
                call.name,
                record::shown(&call.args),
                call.returned()
            ),
            format!("{}{colon} {}", layers::label(call.name, lang), call.note()),
        );
    }
    // glibc implements recv() with the recvfrom system call and send() with sendto: say so,
    // or a student looking for "recv" in strace's output finds nothing.
    let renamed = if row.syscall != row.call {
        match lang {
            Lang::En => format!("{}() is the {} syscall; ", row.call, row.syscall),
            Lang::Fr => format!("{}() est l'appel système {} ; ", row.call, row.syscall),
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
                "{semicolon} {}",
                crate::text::Note::Clamped {
                    asked: *asked,
                    given
                }
            )
        }
        _ => String::new(),
    };
    (
        format!(
            "{}({}) = {}",
            row.syscall,
            record::shown(&call.args),
            call.returned()
        ),
        format!(
            "{}{colon} {renamed}{}{clamped}",
            layers::label(call.name, lang),
            call.note()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long call goes on after a `, ` outside quotes, a long bracket after a space; every
    /// line keeps within the width, and joining the lines again gives the call and the bracket
    /// back.
    #[test]
    fn a_narration_keeps_within_the_width() {
        let call = r#"getsockname(3, {sa_family=AF_INET, sin_port=htons(40123), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 0"#;
        let bracket = "transport + internet · OSI 4 + 3: this end is 127.0.0.1:40123, and a few more words to need two lines, \"a, b\"";
        let text = wrapped("[fork pid 123456] ", call, bracket);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 4, "{text}");
        for line in &lines {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
        let bracket_at = lines.iter().position(|l| l.starts_with("    [")).unwrap();
        let joined = |ls: &[&str]| ls.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        assert_eq!(
            joined(&lines[..bracket_at]),
            format!("[fork pid 123456] {call}")
        );
        assert_eq!(joined(&lines[bracket_at..]), format!("[{bracket}]"));
        // A comma inside a quoted string is not a place to cut.
        assert_eq!(
            args_pieces(r#"sendto(3, "a, b", 4) = 4"#),
            ["sendto(3,", r#""a, b","#, "4) = 4"]
        );
    }
}
