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
//! - [`tcp_info`] asks for the TCP state `--tcp-states` shows (`getsockopt(TCP_INFO)`);
//! - [`io`] moves bytes (`recv`, `send`, `read`, `write`);
//! - [`datagram`] moves UDP datagrams with their addresses (`recvfrom`, `sendto`);
//! - [`wait`] waits for readiness (`select`, `poll`, `epoll_create1`, `epoll_ctl`,
//!   `epoll_wait`);
//! - [`process`] makes and ends processes and threads (`fork`, `pthread_create`, `getpid`,
//!   `gettid`, `waitpid`, `_exit`);
//! - [`signal`] handles signals (`sigaction`, `pthread_sigmask`, `sigtimedwait`, `kill`) and
//!   raises them with a timer (`setitimer`);
//! - [`memory`] maps memory (`mmap`);
//! - [`limits`] reads and sets resource limits (`getrlimit`, `setrlimit`);
//! - [`netdb`] turns a name into addresses (`getaddrinfo`): a library call, not a system call,
//!   and narrated as one, as `pthread_create` is.

pub mod datagram;
pub mod io;
pub mod limits;
pub mod memory;
pub mod netdb;
pub mod process;
pub mod signal;
pub mod socket;
pub mod tcp_info;
pub mod wait;

use std::fmt;

use nix::errno::Errno;

use crate::narrate::{self, Arg, Call, Told, record};
use crate::text;

pub use datagram::{Datagram, recvfrom, sendto};
pub use io::{read, recv, send, write};
pub use limits::{getrlimit_nofile, setrlimit_nofile};
pub use memory::mmap_shared;
pub use netdb::{Purpose, getaddrinfo, resolve};
pub use process::{exit, fork, getpid, gettid, pthread_create, waitpid_any_nohang};
pub use signal::{MaskHow, kill, pthread_sigmask, setitimer, sigaction, sigtimedwait};
pub use socket::{
    Blocking, Kind, Shutter, SockOpt, Socket, accept, accept4, bind, close, close_epoll, connect,
    getpeername, getsockname, listen, setsockopt, shutdown_both, shutdown_write, socket,
    socket_dgram,
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

/// The steps every wrapper shares, written once, around the one nix call the wrapper hands
/// over in `make`:
///
/// 1. `--step`'s stop before the call, showing `args` in strace's notation;
/// 2. the call itself: `make()`;
/// 3. when the narration or the record is on, one [`Call`] value (the arguments, what `tell`
///    says the call did, the times), from which the narration line and the record's line are
///    both rendered;
/// 4. on failure, a [`SysError`] that names the call, the arguments `args` marks as blamed,
///    and the errno.
///
/// `args` is called only when something shows it: when nobody watches, a call that succeeds
/// costs its system call and a few reads of the switches (relaxed atomic loads), with no
/// allocation and no formatting.
#[inline]
pub(crate) fn call<T>(
    name: &'static str,
    args: impl Fn() -> Vec<Arg>,
    make: impl FnOnce() -> nix::Result<T>,
    tell: impl FnOnce(&T) -> Told,
) -> Result<T> {
    let entered = Entered::enter(name, &args)?;
    let result = make();
    entered.exit(result, |_| args(), tell)
}

/// [`call`] in two halves, for the calls whose arguments read differently after the call:
/// `recv` fills the buffer strace shows, `select` rewrites its sets, `getsockname` learns the
/// address. The wrapper makes its nix call between [`Entered::enter`] and [`Entered::exit`].
pub(crate) struct Entered {
    name: &'static str,
    t_enter: u64,
}

impl Entered {
    /// Before the call: `--step`'s stop, and the time. Fails with EINTR, the call not made,
    /// when Ctrl-C ends the stop before a call that waits (see `narrate::step::before`).
    #[inline]
    pub(crate) fn enter(name: &'static str, args: impl Fn() -> Vec<Arg>) -> Result<Entered> {
        narrate::before(name, || record::shown(&args())).map_err(|errno| SysError {
            call: name,
            args: record::blamed(&args()),
            errno,
        })?;
        Ok(Entered {
            name,
            t_enter: record::now(),
        })
    }

    /// After the call: the narration and the record, from one [`Call`]; the error, named.
    /// `args` renders the arguments as they read after the call.
    #[inline]
    pub(crate) fn exit<T>(
        self,
        result: nix::Result<T>,
        args: impl FnOnce(&nix::Result<T>) -> Vec<Arg>,
        tell: impl FnOnce(&T) -> Told,
    ) -> Result<T> {
        let t_exit = record::now();
        let result = match result {
            Ok(value) if !narrate::active() => return Ok(value),
            other => other,
        };
        let args = args(&result);
        let outcome = match &result {
            Ok(value) => Ok(tell(value)),
            Err(errno) => Err(*errno),
        };
        let blamed = record::blamed(&args);
        let call = Call {
            name: self.name,
            args,
            outcome,
            t_enter: self.t_enter,
            t_exit,
        };
        if narrate::active() {
            narrate::happened(&call);
        }
        result.map_err(|errno| SysError {
            call: self.name,
            args: blamed,
            errno,
        })
    }
}
