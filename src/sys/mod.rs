//! One wrapper per system call the course names, each making exactly that call through nix.
//!
//! Every wrapper here:
//! - makes one system call, the one its name says (strace shows it, and nothing else);
//! - narrates it when `--narrate` is on, in strace's notation with the layer it acts on;
//! - returns a [`Result`] whose error names the call, its arguments and the errno, such as
//!   `bind(0.0.0.0:6789): EADDRINUSE: Address already in use`.
//!
//! No wrapper retries, logs or exits: what to do about `EINTR`, `EAGAIN` or a reset connection
//! is the caller's lesson to tell, and only `main` turns an error into an exit code.
//!
//! Sockets are [`Socket`]s, which own their descriptor. Closing one is explicit, with
//! [`close`], as the course does; a `Socket` dropped on an error path is closed by the same
//! narrated `close()`, so that no close ever happens behind the reader's back.
//!
//! The wrappers are grouped by family, one file each, named as the man pages' sections a C
//! programmer would look in:
//!
//! - [`socket`] makes, sets up, connects, accepts, shuts down and closes sockets (`socket`,
//!   `setsockopt`, `bind`, `listen`, `accept`, `accept4`, `connect`, `shutdown`, `close`,
//!   `getsockname`, `getpeername`), and holds the [`Socket`] type;
//! - [`tcp_info`] asks for the TCP state the narration shows (`getsockopt(TCP_INFO)`);
//! - [`io`] moves bytes (`recv`, `send`, `read`, `write`);
//! - [`wait`] waits for readiness (`select`, `poll`, `epoll_create1`, `epoll_ctl`,
//!   `epoll_wait`);
//! - [`process`] makes and ends processes (`fork`, `getpid`, `gettid`, `waitpid`, `_exit`);
//! - [`signal`] handles signals (`sigaction`, `pthread_sigmask`, `sigtimedwait`, `kill`);
//! - [`memory`] maps memory (`mmap`);
//! - [`limits`] reads and sets resource limits (`getrlimit`, `setrlimit`).

pub mod io;
pub mod limits;
pub mod memory;
pub mod process;
pub mod signal;
pub mod socket;
pub mod tcp_info;
pub mod wait;

use std::fmt;

use nix::errno::Errno;

use crate::text;

pub use io::{read, recv, send, write};
pub use limits::{getrlimit_nofile, setrlimit_nofile};
pub use memory::mmap_shared;
pub use process::{exit, fork, getpid, gettid, waitpid_any_nohang};
pub use signal::{MaskHow, kill, pthread_sigmask, sigaction, sigtimedwait};
pub use socket::{
    Blocking, SockOpt, Socket, accept, accept4, bind, close, close_epoll, connect, getpeername,
    getsockname, listen, setsockopt, shutdown_both, shutdown_write, socket,
};
pub use tcp_info::{StateCheck, tcp_state};
pub use wait::{epoll_create1, epoll_ctl_add, epoll_wait, poll, select};

/// A failed system call: which one, on what, and the errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysError {
    /// The course's name of the call: `bind`, `recv`...
    pub call: &'static str,
    /// Its arguments, in short: `0.0.0.0:6789`, or the descriptor.
    pub args: String,
    /// What the kernel answered.
    pub errno: Errno,
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // nix prints an Errno as `EADDRINUSE: Address already in use`.
        write!(f, "{}({}): {}", self.call, self.args, self.errno)?;
        let hint = text::errno_hint(self.errno);
        if !hint.is_empty() {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SysError {}

pub type Result<T> = std::result::Result<T, SysError>;

/// Turns nix's `Result` into ours, naming the call and its arguments.
pub(crate) fn named<T>(
    result: nix::Result<T>,
    call: &'static str,
    args: impl FnOnce() -> String,
) -> Result<T> {
    result.map_err(|errno| SysError {
        call,
        args: args(),
        errno,
    })
}
