//! strace's notation: how strace prints each kind of argument (an address, a buffer, a set of
//! descriptors, a signal mask, a wait status...), so that a narration line reads as strace's own
//! line for the same call. Every printer here is checked against strace by the tests under
//! `tests/` that run the program under strace (`narration_strace.rs`, `strace.rs`).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::select::FdSet;
use nix::sys::signal::{SaFlags, SigSet};
use nix::sys::wait::WaitStatus;

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

/// A `struct timeval` as strace prints it: `{tv_sec=4, tv_usec=500000}, 16`.
pub fn strace_timeval(d: Duration) -> String {
    format!(
        "{{tv_sec={}, tv_usec={}}}, {}",
        d.as_secs(),
        d.subsec_micros(),
        std::mem::size_of::<libc::timeval>()
    )
}

/// A set of descriptors as strace prints it: `[3 5]`.
pub fn strace_fd_set(set: &FdSet<'_>, nfds: RawFd) -> String {
    let fds: Vec<String> = set
        .fds(Some(nfds - 1))
        .map(|fd| fd.as_raw_fd().to_string())
        .collect();
    format!("[{}]", fds.join(" "))
}

/// One entry of poll's array as strace prints it: `{fd=5, events=POLLIN}` (asked) or
/// `{fd=5, revents=POLLIN|POLLHUP}` (answered).
pub fn strace_pollfd(fd: RawFd, field: &str, flags: PollFlags) -> String {
    format!("{{fd={fd}, {field}={}}}", strace_poll_flags(flags))
}

/// An epoll event as strace prints it: `{events=EPOLLIN, data={u32=0, u64=0}}`; mio puts its
/// token in the data.
pub fn strace_epoll_event(events: &str, token: usize) -> String {
    format!(
        "{{events={events}, data={{u32={}, u64={}}}}}",
        token as u32, token as u64
    )
}

/// Poll flags as strace prints them: `POLLIN|POLLOUT`.
pub fn strace_poll_flags(flags: PollFlags) -> String {
    let names: Vec<&str> = flags.iter_names().map(|(name, _)| name).collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

/// The `EPOLL*` flags of an event, as strace prints them.
pub fn strace_epoll_events(event: &mio::event::Event) -> String {
    let mut flags = Vec::new();
    if event.is_readable() {
        flags.push("EPOLLIN");
    }
    if event.is_writable() {
        flags.push("EPOLLOUT");
    }
    if event.is_error() {
        flags.push("EPOLLERR");
    }
    if event.is_read_closed() && event.is_write_closed() {
        flags.push("EPOLLHUP");
    } else if event.is_read_closed() {
        flags.push("EPOLLRDHUP");
    }
    flags.join("|")
}

/// How strace shows a wait status: `{WIFEXITED(s) && WEXITSTATUS(s) == 0}`.
pub fn strace_wait_status(status: &WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("{{WIFEXITED(s) && WEXITSTATUS(s) == {code}}}"),
        WaitStatus::Signaled(_, signal, _) => {
            format!("{{WIFSIGNALED(s) && WTERMSIG(s) == {signal}}}")
        }
        other => format!("{other:?}"),
    }
}

/// `SA_NOCLDSTOP` or `0`, as strace prints `sa_flags` (it adds glibc's `SA_RESTORER`).
pub fn strace_sa_flags(flags: SaFlags) -> String {
    let names: Vec<&str> = [
        (SaFlags::SA_NOCLDSTOP, "SA_NOCLDSTOP"),
        (SaFlags::SA_RESTART, "SA_RESTART"),
    ]
    .iter()
    .filter(|(flag, _)| flags.contains(*flag))
    .map(|(_, name)| *name)
    .collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

/// A signal set as strace prints it: `[INT TERM]`.
pub fn strace_sigset(set: &SigSet) -> String {
    let names: Vec<&str> = set
        .iter()
        .map(|signal| signal.as_str().trim_start_matches("SIG"))
        .collect();
    format!("[{}]", names.join(" "))
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
