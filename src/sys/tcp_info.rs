//! `getsockopt(TCP_INFO)`: the TCP state the narration shows after the calls that move it.

use std::os::fd::RawFd;

use nix::errno::Errno;

use super::{Entered, Result};
use crate::narrate::{self, Arg, Told};
use crate::text::{Holder, Note, TcpState};

/// Why the TCP state is asked: after a call that moves it, or just before `close()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateCheck {
    After,
    BeforeClose,
    /// Before the `close()` of a copy another process still holds: it will send nothing.
    BeforeSharedClose(Holder),
}

/// `getsockopt(2)` with `TCP_INFO`: ask the kernel for a connection's TCP state.
///
/// Layer: transport (OSI 4). The kernel copies out its `struct tcp_info` for the connection:
/// the state of the TCP state machine (`tcpi_state`, the first byte), and its timers, round-trip
/// time and windows. Nothing goes on the wire. `ss -ti` prints the same structure.
///
/// strace (6.1) prints the structure as raw bytes, of which the first one is the state: `\1` for
/// ESTABLISHED, `\n` (10) for LISTEN, `\10` (8) for CLOSE_WAIT...:
/// `getsockopt(4, SOL_TCP, TCP_INFO, "\1\0\0\0..."..., [232]) = 0`. The narration shows that
/// byte by the kernel's name for it and leaves the rest out:
/// `getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, ...}, [232]) = 0`
/// (<https://man7.org/linux/man-pages/man7/tcp.7.html>)
///
/// Only with `--tcp-states` (or `--step`): the program itself never needs the state.
pub fn tcp_state(fd: RawFd, check: StateCheck) -> Result<TcpState> {
    // SAFETY: tcp_info is plain integers, for which all zeroes is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let asked = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let mut len = asked;
    let entered = Entered::enter(CALL, Vec::new)?;
    // SAFETY: `info` is writable for `len` bytes, and the kernel writes at most that many.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    let result = Errno::result(rc).map(|_| TcpState::from_kernel(info.tcpi_state));
    let state_number = info.tcpi_state;
    let args = |result: &nix::Result<TcpState>| {
        let state = format!("{{tcpi_state={}, ...}}", kernel_name(state_number));
        let (optval, optlen) = match (result, len == asked) {
            (Ok(_), true) => (state, format!("[{len}]")),
            (Ok(_), false) => (state, format!("[{asked} => {len}]")),
            (Err(_), _) => (format!("{:p}", &raw const info), format!("[{asked}]")),
        };
        vec![
            Arg::fd(fd),
            Arg::shown("level", "SOL_TCP"),
            Arg::shown("optname", "TCP_INFO").blamed(),
            Arg::shown("optval", optval),
            Arg::shown("optlen", optlen),
        ]
    };
    entered.exit(result, args, |&state| {
        let note = match check {
            StateCheck::After => Note::TcpState { state },
            StateCheck::BeforeClose => Note::StateBeforeClose { state },
            StateCheck::BeforeSharedClose(holder) => Note::StateBeforeSharedClose { state, holder },
        };
        Told::new(0, note).tcp_state(state)
    })
}

/// The name of the call, as the layer table and strace know it.
pub const CALL: &str = "getsockopt";

/// The kernel's name of a `tcpi_state` number (`include/net/tcp_states.h`): `TCP_ESTABLISHED`.
fn kernel_name(number: u8) -> String {
    let name = match number {
        1 => "TCP_ESTABLISHED",
        2 => "TCP_SYN_SENT",
        3 => "TCP_SYN_RECV",
        4 => "TCP_FIN_WAIT1",
        5 => "TCP_FIN_WAIT2",
        6 => "TCP_TIME_WAIT",
        7 => "TCP_CLOSE",
        8 => "TCP_CLOSE_WAIT",
        9 => "TCP_LAST_ACK",
        10 => "TCP_LISTEN",
        11 => "TCP_CLOSING",
        12 => "TCP_NEW_SYN_RECV",
        n => return n.to_string(),
    };
    name.into()
}

/// With `--tcp-states` (on with `--step`), shows the TCP state the kernel reports, by a
/// narrated `getsockopt()`: one more call, made only then, and printed with its line, so that
/// strace and the narration still agree call for call. Without it nothing is asked, and
/// `--narrate` shows the program's own calls only.
pub(crate) fn show_state(fd: RawFd, check: StateCheck) {
    if narrate::tcp_states() {
        // What the state is matters to the student, not to the program: a failure is narrated
        // and otherwise ignored.
        let _ = tcp_state(fd, check);
    }
}
