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

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::ptr::NonNull;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::mman::{MapFlags, ProtFlags};
use nix::sys::resource::Resource;
use nix::sys::select::FdSet;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::socket::{
    self as nix_socket, AddressFamily, Backlog, MsgFlags, SockFlag, SockType, SockaddrIn,
    SockaddrIn6, SockaddrLike, SockaddrStorage, sockopt,
};
use nix::sys::time::{TimeVal, TimeValLike};
use nix::sys::wait::{WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};

use crate::narrate::{self, sockaddr_len, strace_bytes, strace_sockaddr};
use crate::text::{self, Note, TcpState};

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
fn named<T>(
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

/// A socket: a file descriptor the kernel attached to a TCP endpoint. The `Socket` owns it.
#[derive(Debug)]
pub struct Socket {
    fd: RawFd,
}

impl Socket {
    /// Takes ownership of a descriptor a system call just returned.
    fn owning(fd: RawFd) -> Socket {
        Socket { fd }
    }

    /// The descriptor's number, as strace shows it.
    pub fn fd(&self) -> RawFd {
        self.fd
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the Socket owns `fd` and keeps it open for as long as it lives.
        unsafe { BorrowedFd::borrow_raw(self.fd) }
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl fmt::Display for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fd)
    }
}

impl Drop for Socket {
    /// A socket dropped without [`close`] (on an error path) is closed here, by the same
    /// narrated call, so that the narration still matches strace.
    fn drop(&mut self) {
        let _ = close_fd(self.fd);
    }
}

/// Whether a new socket blocks (the course's sockets) or not (the event-loop models').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocking {
    Yes,
    No,
}

/// `socket(2)`: create an endpoint for communication.
///
/// Layer: transport (OSI 4). The kernel makes a TCP endpoint in state CLOSED, with a send and a
/// receive buffer, and returns the lowest free file descriptor. Nothing goes on the wire.
/// The family comes from the address the socket is for: AF_INET for IPv4, AF_INET6 for IPv6.
///
/// strace: `socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3`
/// (<https://man7.org/linux/man-pages/man2/socket.2.html>)
pub fn socket(for_addr: &SocketAddr, blocking: Blocking) -> Result<Socket> {
    let (family, family_name) = match for_addr {
        SocketAddr::V4(_) => (AddressFamily::Inet, "AF_INET"),
        SocketAddr::V6(_) => (AddressFamily::Inet6, "AF_INET6"),
    };
    let (flags, type_name) = match blocking {
        Blocking::Yes => (SockFlag::empty(), "SOCK_STREAM"),
        Blocking::No => (SockFlag::SOCK_NONBLOCK, "SOCK_STREAM|SOCK_NONBLOCK"),
    };
    narrate::before("socket", || {
        format!("{family_name}, {type_name}, IPPROTO_IP")
    });
    // Protocol 0 lets the kernel pick TCP for a stream socket; strace names 0 IPPROTO_IP.
    let result = nix_socket::socket(family, SockType::Stream, flags, None);
    narrate::syscall(
        "socket",
        || format!("{family_name}, {type_name}, IPPROTO_IP"),
        &result.as_ref().map(|fd| fd.as_raw_fd()).map_err(|e| *e),
        || Note::Socket,
    );
    named(result, "socket", || format!("{family_name}, {type_name}"))
        .map(|fd| Socket::owning(fd.into_raw_fd()))
}

/// The socket options sockstep sets.
#[derive(Clone, Copy, Debug)]
pub enum SockOpt {
    /// `SO_REUSEADDR`: let `bind` take a port even while connections of a previous run linger
    /// in TIME_WAIT. Without it, a server restarted within a minute or two of serving a client
    /// fails with EADDRINUSE.
    ReuseAddr(bool),
    /// `TCP_NODELAY`: turn off Nagle's algorithm, so a small reply leaves at once instead of
    /// waiting for the previous segment's ACK.
    NoDelay(bool),
    /// `SO_RCVTIMEO`: a blocking `recv()` that has waited this long returns EAGAIN. The timeout
    /// counts from the start of each call, and zero means "wait for ever".
    RecvTimeout(Duration),
    /// `SO_SNDTIMEO`: the same for a blocking `send()` waiting for room in the send buffer.
    SendTimeout(Duration),
}

/// `setsockopt(2)`: set an option on a socket.
///
/// Layer: transport (OSI 4). The kernel records the option on the endpoint; nothing goes on
/// the wire.
///
/// strace: `setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`
/// (<https://man7.org/linux/man-pages/man2/setsockopt.2.html>)
pub fn setsockopt(sock: &Socket, opt: SockOpt) -> Result<()> {
    let timeval = |d: Duration| {
        TimeVal::new(
            d.as_secs() as libc::time_t,
            d.subsec_micros() as libc::suseconds_t,
        )
    };
    let (level, name, value) = match opt {
        SockOpt::ReuseAddr(on) => ("SOL_SOCKET", "SO_REUSEADDR", format!("[{}], 4", on as i32)),
        SockOpt::NoDelay(on) => ("SOL_TCP", "TCP_NODELAY", format!("[{}], 4", on as i32)),
        SockOpt::RecvTimeout(d) => ("SOL_SOCKET", "SO_RCVTIMEO", strace_timeval(d)),
        SockOpt::SendTimeout(d) => ("SOL_SOCKET", "SO_SNDTIMEO", strace_timeval(d)),
    };
    narrate::before("setsockopt", || format!("{sock}, {level}, {name}, {value}"));
    let result = match opt {
        SockOpt::ReuseAddr(on) => nix_socket::setsockopt(sock, sockopt::ReuseAddr, &on),
        SockOpt::NoDelay(on) => nix_socket::setsockopt(sock, sockopt::TcpNoDelay, &on),
        SockOpt::RecvTimeout(d) => {
            nix_socket::setsockopt(sock, sockopt::ReceiveTimeout, &timeval(d))
        }
        SockOpt::SendTimeout(d) => nix_socket::setsockopt(sock, sockopt::SendTimeout, &timeval(d)),
    };
    narrate::syscall(
        "setsockopt",
        || format!("{sock}, {level}, {name}, {value}"),
        &result.map(|()| 0),
        || match opt {
            SockOpt::ReuseAddr(on) => Note::ReuseAddr { on },
            SockOpt::NoDelay(_) => Note::NoDelay,
            SockOpt::RecvTimeout(d) | SockOpt::SendTimeout(d) => Note::Timeout { after: d },
        },
    );
    named(result, "setsockopt", || format!("{sock}, {name}, {value}"))
}

/// A `struct timeval` as strace prints it: `{tv_sec=4, tv_usec=500000}, 16`.
fn strace_timeval(d: Duration) -> String {
    format!(
        "{{tv_sec={}, tv_usec={}}}, {}",
        d.as_secs(),
        d.subsec_micros(),
        std::mem::size_of::<libc::timeval>()
    )
}

/// `bind(2)`: bind a name to a socket.
///
/// Layers: transport (OSI 4), which reserves the port, and internet (OSI 3), which ties it to
/// one local IP address or, for 0.0.0.0 (the course's `''`), to all of them. Nothing goes on
/// the wire. Port 0 asks the kernel to pick a free port; [`getsockname`] tells which.
///
/// strace: `bind(3, {sa_family=AF_INET, sin_port=htons(6789), sin_addr=inet_addr("0.0.0.0")}, 16) = 0`
/// (<https://man7.org/linux/man-pages/man2/bind.2.html>)
pub fn bind(sock: &Socket, addr: &SocketAddr) -> Result<()> {
    narrate::before("bind", || {
        format!("{sock}, {}, {}", strace_sockaddr(addr), sockaddr_len(addr))
    });
    let result = with_sockaddr(addr, |sockaddr| nix_socket::bind(sock.fd(), sockaddr));
    narrate::syscall(
        "bind",
        || format!("{sock}, {}, {}", strace_sockaddr(addr), sockaddr_len(addr)),
        &result.map(|()| 0),
        || Note::Bind { addr: *addr },
    );
    named(result, "bind", || addr.to_string())
}

/// `listen(2)`: listen for connections on a socket.
///
/// Layer: transport (OSI 4). The socket becomes passive (state LISTEN) with a queue of
/// `backlog` connections. From now on the kernel answers every SYN with a SYN-ACK and completes
/// the handshake by itself: clients are ESTABLISHED before anyone calls `accept()`.
///
/// strace: `listen(3, 1) = 0`
/// (<https://man7.org/linux/man-pages/man2/listen.2.html>)
pub fn listen(sock: &Socket, backlog: i32) -> Result<()> {
    narrate::before("listen", || format!("{sock}, {backlog}"));
    let result = Backlog::new(backlog).and_then(|backlog| nix_socket::listen(sock, backlog));
    narrate::syscall(
        "listen",
        || format!("{sock}, {backlog}"),
        &result.map(|()| 0),
        || Note::Listen { backlog },
    );
    if result.is_ok() {
        show_state(sock.fd(), StateCheck::After);
    }
    named(result, "listen", || format!("{sock}, {backlog}"))
}

/// `accept(2)`: accept a connection on a socket.
///
/// Layer: transport (OSI 4; OSI would call the connection a session, 5). Takes the first
/// connection whose handshake the kernel has completed off the listening socket's queue and
/// returns a new descriptor for it; blocks while the queue is empty (a non-blocking socket
/// returns EAGAIN instead). The listening socket goes on listening. Nothing goes on the wire:
/// SYN, SYN-ACK and ACK were exchanged before.
///
/// nix passes NULL for the address, so strace shows `accept(3, NULL, NULL) = 4`; ask
/// [`getpeername`] who the client is.
/// (<https://man7.org/linux/man-pages/man2/accept.2.html>)
pub fn accept(listen_sock: &Socket) -> Result<Socket> {
    narrate::before("accept", || format!("{listen_sock}, NULL, NULL"));
    let result = nix_socket::accept(listen_sock.fd());
    narrate::syscall(
        "accept",
        || format!("{listen_sock}, NULL, NULL"),
        &result,
        || Note::Accept,
    );
    if let Ok(conn_fd) = result {
        show_state(conn_fd, StateCheck::After);
    }
    named(result, "accept", || listen_sock.to_string()).map(Socket::owning)
}

/// `connect(2)`: initiate a connection on a socket.
///
/// Layers: transport (OSI 4), which picks a free local (ephemeral) port and performs the
/// three-way handshake, and internet (OSI 3), which routes to the server's address. On the
/// wire: SYN →, ← SYN-ACK, ACK →. A closed port answers RST: ECONNREFUSED.
///
/// strace: `connect(3, {sa_family=AF_INET, sin_port=htons(6789), sin_addr=inet_addr("127.0.0.1")}, 16) = 0`
/// (<https://man7.org/linux/man-pages/man2/connect.2.html>)
pub fn connect(sock: &Socket, addr: &SocketAddr) -> Result<()> {
    narrate::before("connect", || {
        format!("{sock}, {}, {}", strace_sockaddr(addr), sockaddr_len(addr))
    });
    let result = with_sockaddr(addr, |sockaddr| nix_socket::connect(sock.fd(), sockaddr));
    narrate::syscall(
        "connect",
        || format!("{sock}, {}, {}", strace_sockaddr(addr), sockaddr_len(addr)),
        &result.map(|()| 0),
        || Note::Connect { addr: *addr },
    );
    if result.is_ok() {
        show_state(sock.fd(), StateCheck::After);
    }
    named(result, "connect", || addr.to_string())
}

/// `recv(2)`: receive a message from a socket.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). Copies up to `buf.len()` bytes
/// that the kernel has already received and acknowledged out of the socket's receive buffer.
/// Blocks while it is empty. Returns 0 when the peer has closed its side (its FIN arrived):
/// that is how a TCP program learns of the end of the stream. One `recv` is not one message:
/// TCP is a byte stream, and a message may come in pieces or several together.
///
/// glibc implements `recv()` with the `recvfrom` system call, so strace shows
/// `recvfrom(4, "bonjour\n", 1024, 0, NULL, NULL) = 8`.
/// (<https://man7.org/linux/man-pages/man2/recv.2.html>)
pub fn recv(sock: &Socket, buf: &mut [u8]) -> Result<usize> {
    narrate::before("recv", || {
        format!("{sock}, ..., {}, 0, NULL, NULL", buf.len())
    });
    let result = nix_socket::recv(sock.fd(), buf, MsgFlags::empty());
    narrate::syscall(
        "recv",
        || {
            let got = result.as_ref().map_or(&[][..], |&n| &buf[..n]);
            format!(
                "{sock}, {}, {}, 0, NULL, NULL",
                strace_bytes(got),
                buf.len()
            )
        },
        &result,
        || Note::Received {
            n: result.unwrap_or(0),
        },
    );
    named(result, "recv", || sock.to_string())
}

/// `read(2)`: read from a file descriptor.
///
/// The same as [`recv`] with no flags: a socket is a file descriptor, and `read()` works on
/// any. strace: `read(4, "bonjour\n", 1024) = 8`
/// (<https://man7.org/linux/man-pages/man2/read.2.html>)
pub fn read(sock: &Socket, buf: &mut [u8]) -> Result<usize> {
    narrate::before("read", || format!("{sock}, ..., {}", buf.len()));
    let result = nix::unistd::read(sock, buf);
    narrate::syscall(
        "read",
        || {
            let got = result.as_ref().map_or(&[][..], |&n| &buf[..n]);
            format!("{sock}, {}, {}", strace_bytes(got), buf.len())
        },
        &result,
        || Note::Received {
            n: result.unwrap_or(0),
        },
    );
    named(result, "read", || sock.to_string())
}

/// `send(2)`: send a message on a socket.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). Copies bytes into the socket's
/// send buffer and returns how many it took, which can be fewer than asked (a short send) when
/// the buffer is nearly full: the course's `n != len` check. TCP then cuts the bytes into
/// segments, IP routes them; on the wire, data segments (PSH, ACK). If the peer has closed,
/// the call fails with EPIPE: Rust programs ignore SIGPIPE, which would otherwise kill the
/// process.
///
/// glibc implements `send()` with the `sendto` system call, so strace shows
/// `sendto(4, "BONJOUR\n", 8, 0, NULL, 0) = 8`.
/// (<https://man7.org/linux/man-pages/man2/send.2.html>)
pub fn send(sock: &Socket, data: &[u8]) -> Result<usize> {
    narrate::before("send", || {
        format!("{sock}, {}, {}, 0, NULL, 0", strace_bytes(data), data.len())
    });
    let result = nix_socket::send(sock.fd(), data, MsgFlags::empty());
    narrate::syscall(
        "send",
        || format!("{sock}, {}, {}, 0, NULL, 0", strace_bytes(data), data.len()),
        &result,
        || Note::Sent {
            n: result.unwrap_or(0),
            len: data.len(),
        },
    );
    named(result, "send", || format!("{sock}, {} bytes", data.len()))
}

/// `write(2)`: write to a file descriptor.
///
/// The same as [`send`] with no flags. strace: `write(4, "BONJOUR\n", 8) = 8`
/// (<https://man7.org/linux/man-pages/man2/write.2.html>)
pub fn write(sock: &Socket, data: &[u8]) -> Result<usize> {
    narrate::before("write", || {
        format!("{sock}, {}, {}", strace_bytes(data), data.len())
    });
    let result = nix::unistd::write(sock, data);
    narrate::syscall(
        "write",
        || format!("{sock}, {}, {}", strace_bytes(data), data.len()),
        &result,
        || Note::Sent {
            n: result.unwrap_or(0),
            len: data.len(),
        },
    );
    named(result, "write", || format!("{sock}, {} bytes", data.len()))
}

/// `shutdown(2)` with `SHUT_WR`: shut down the sending half of a full-duplex connection.
///
/// Layer: transport (OSI 4). After the bytes already queued, TCP sends a FIN: the peer's
/// `recv()` will return 0. This end can still receive, which is how a client says "that was
/// all" and still reads the last replies.
///
/// strace: `shutdown(3, SHUT_WR) = 0`
/// (<https://man7.org/linux/man-pages/man2/shutdown.2.html>)
pub fn shutdown_write(sock: &Socket) -> Result<()> {
    narrate::before("shutdown", || format!("{sock}, SHUT_WR"));
    let result = nix_socket::shutdown(sock.fd(), nix_socket::Shutdown::Write);
    narrate::syscall(
        "shutdown",
        || format!("{sock}, SHUT_WR"),
        &result.map(|()| 0),
        || Note::ShutdownWrite,
    );
    if result.is_ok() {
        show_state(sock.fd(), StateCheck::After);
    }
    named(result, "shutdown", || format!("{sock}, SHUT_WR"))
}

/// `shutdown(2)` with `SHUT_RDWR`: shut down both halves of a full-duplex connection.
///
/// Layer: transport (OSI 4). As `SHUT_WR` (a FIN follows the queued data), and receiving ends
/// too: a `recv()` blocked on this socket, in any thread, returns 0 at once, and a blocked
/// `send()` fails with EPIPE. That is how one thread wakes another blocked on a socket without
/// closing the descriptor under it. The descriptor stays open until `close()`.
///
/// strace: `shutdown(5, SHUT_RDWR) = 0`
/// (<https://man7.org/linux/man-pages/man2/shutdown.2.html>)
pub fn shutdown_both(fd: RawFd) -> Result<()> {
    narrate::before("shutdown", || format!("{fd}, SHUT_RDWR"));
    let result = nix_socket::shutdown(fd, nix_socket::Shutdown::Both);
    narrate::syscall(
        "shutdown",
        || format!("{fd}, SHUT_RDWR"),
        &result.map(|()| 0),
        || Note::ShutdownBoth,
    );
    if result.is_ok() {
        show_state(fd, StateCheck::After);
    }
    named(result, "shutdown", || format!("{fd}, SHUT_RDWR"))
}

/// `close(2)`: close a file descriptor.
///
/// Layer: transport (OSI 4). Releases the descriptor. When it was the last one on the
/// connection, TCP ends it: a FIN goes out (or a RST, if received bytes were left unread), and
/// the side that closed first waits in TIME_WAIT.
///
/// strace: `close(4) = 0`
/// (<https://man7.org/linux/man-pages/man2/close.2.html>)
pub fn close(sock: Socket) -> Result<()> {
    // ManuallyDrop: the descriptor is closed here, so the Socket's Drop must not close it again.
    let sock = std::mem::ManuallyDrop::new(sock);
    close_fd(sock.fd)
}

/// `close()` of a socket's descriptor.
fn close_fd(fd: RawFd) -> Result<()> {
    // After close() the descriptor is gone and nothing can be asked about it: ask before, and
    // let the narration say what close() will do from that state.
    show_state(fd, StateCheck::BeforeClose);
    close_raw(fd)
}

/// `close(2)` of an epoll instance's descriptor, at the end of the mio model.
///
/// Layer: none of the network's. The kernel frees the interest list and the ready list.
/// mio's `Poll` would make this call unseen, in its `Drop`, and ignore the result; here the
/// `Poll` is forgotten instead (it holds nothing but the descriptor) and the descriptor closed
/// by the narrated call, so that strace's last `close()` has its narration line too.
///
/// strace: `close(4) = 0`
/// (<https://man7.org/linux/man-pages/man2/close.2.html>)
pub fn close_epoll(poll: mio::Poll) -> Result<()> {
    let epoll_fd = poll.as_raw_fd();
    std::mem::forget(poll);
    close_raw(epoll_fd)
}

/// The one place `close()` is called.
fn close_raw(fd: RawFd) -> Result<()> {
    narrate::before("close", || fd.to_string());
    let result = nix::unistd::close(fd);
    narrate::syscall(
        "close",
        || fd.to_string(),
        &result.map(|()| 0),
        || Note::Close,
    );
    // Even a failed close() releases the descriptor on Linux: never retry it.
    named(result, "close", || fd.to_string())
}

/// Why the TCP state is asked: after a call that moves it, or just before `close()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateCheck {
    After,
    BeforeClose,
}

/// `getsockopt(2)` with `TCP_INFO`: ask the kernel for a connection's TCP state.
///
/// Layer: transport (OSI 4). The kernel copies out its `struct tcp_info` for the connection:
/// the state of the TCP state machine (`tcpi_state`, the first byte), and its timers, round-trip
/// time and windows. Nothing goes on the wire. `ss -ti` prints the same structure.
///
/// strace prints the structure as raw bytes: the first one is the state, `\1` for ESTABLISHED,
/// `\n` (10) for LISTEN, `\10` (8) for CLOSE_WAIT...:
/// `getsockopt(4, SOL_TCP, TCP_INFO, "\1\0\0\0..."..., [232]) = 0`
/// (<https://man7.org/linux/man-pages/man7/tcp.7.html>)
pub fn tcp_state(fd: RawFd, check: StateCheck) -> Result<TcpState> {
    // SAFETY: tcp_info is plain integers, for which all zeroes is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let asked = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let mut len = asked;
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
    narrate::syscall(
        "getsockopt",
        || {
            // SAFETY: the kernel filled the first `len` bytes of `info`.
            let filled =
                unsafe { std::slice::from_raw_parts((&raw const info).cast::<u8>(), len as usize) };
            let lens = if len == asked {
                format!("[{len}]")
            } else {
                format!("[{asked} => {len}]")
            };
            match result {
                Ok(_) => format!("{fd}, SOL_TCP, TCP_INFO, {}, {lens}", strace_bytes(filled)),
                Err(_) => format!("{fd}, SOL_TCP, TCP_INFO, {:p}, [{asked}]", &raw const info),
            }
        },
        &result.map(|_| 0),
        || match (result, check) {
            (Ok(state), StateCheck::After) => Note::TcpState { state },
            (Ok(state), StateCheck::BeforeClose) => Note::StateBeforeClose { state },
            (Err(errno), _) => Note::Failed { errno },
        },
    );
    named(result, "getsockopt", || format!("{fd}, TCP_INFO"))
}

/// With `--narrate`, shows the TCP state the kernel reports, by a narrated `getsockopt()`: one
/// more call, made only when narrating, so that strace and the narration still agree call for
/// call. Without `--narrate` nothing is asked.
fn show_state(fd: RawFd, check: StateCheck) {
    if narrate::narrating() {
        // What the state is matters to the student, not to the program: a failure is narrated
        // and otherwise ignored.
        let _ = tcp_state(fd, check);
    }
}

/// `getsockname(2)`: get the local address of a socket.
///
/// Layers: transport and internet (OSI 4 + 3). Tells the local IP address and port, such as the
/// port the kernel chose when the server bound port 0.
///
/// strace: `getsockname(3, {sa_family=AF_INET, sin_port=htons(40123), ...}, [128 => 16]) = 0`
/// (<https://man7.org/linux/man-pages/man2/getsockname.2.html>)
pub fn getsockname(sock: &Socket) -> Result<SocketAddr> {
    narrate::before("getsockname", || format!("{sock}, ..., [128]"));
    let result = nix_socket::getsockname::<SockaddrStorage>(sock.fd()).and_then(to_std);
    narrate::syscall(
        "getsockname",
        || name_args(sock, &result),
        &result.map(|_| 0),
        || match result {
            Ok(addr) => Note::LocalAddr { addr },
            Err(errno) => Note::Failed { errno },
        },
    );
    named(result, "getsockname", || sock.to_string())
}

/// `getpeername(2)`: get the address of the peer connected to a socket.
///
/// Layers: transport and internet (OSI 4 + 3). Tells the other end's IP address and port: for a
/// server, the client's address, which the course's Python `accept()` returns.
///
/// strace: `getpeername(4, {sa_family=AF_INET, sin_port=htons(53422), ...}, [128 => 16]) = 0`
/// (<https://man7.org/linux/man-pages/man2/getpeername.2.html>)
pub fn getpeername(sock: &Socket) -> Result<SocketAddr> {
    narrate::before("getpeername", || format!("{sock}, ..., [128]"));
    let result = nix_socket::getpeername::<SockaddrStorage>(sock.fd()).and_then(to_std);
    narrate::syscall(
        "getpeername",
        || name_args(sock, &result),
        &result.map(|_| 0),
        || match result {
            Ok(addr) => Note::PeerAddr { addr },
            Err(errno) => Note::Failed { errno },
        },
    );
    named(result, "getpeername", || sock.to_string())
}

/// strace's arguments of getsockname and getpeername: the address and `[128 => 16]`.
fn name_args(sock: &Socket, result: &nix::Result<SocketAddr>) -> String {
    let storage_len = std::mem::size_of::<libc::sockaddr_storage>();
    match result {
        Ok(addr) => format!(
            "{sock}, {}, [{storage_len} => {}]",
            strace_sockaddr(addr),
            narrate::sockaddr_len(addr)
        ),
        Err(_) => format!("{sock}, NULL, [{storage_len}]"),
    }
}

/// Hands `f` the C structure for `addr`: a `sockaddr_in` (16 bytes) or a `sockaddr_in6` (28),
/// as a C program passes it, rather than a whole 128-byte `sockaddr_storage`.
fn with_sockaddr<T>(addr: &SocketAddr, f: impl FnOnce(&dyn SockaddrLike) -> T) -> T {
    match addr {
        SocketAddr::V4(v4) => f(&SockaddrIn::from(*v4)),
        SocketAddr::V6(v6) => f(&SockaddrIn6::from(*v6)),
    }
}

/// An IPv4 or IPv6 address out of a sockaddr_storage; anything else is not ours.
fn to_std(storage: SockaddrStorage) -> nix::Result<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        Ok(SocketAddr::from(*v4))
    } else if let Some(v6) = storage.as_sockaddr_in6() {
        Ok(SocketAddr::from(*v6))
    } else {
        Err(Errno::EAFNOSUPPORT)
    }
}

// Processes, threads and signals.
//
// The calls below are not networking: they belong to the kernel's process management. The
// concurrent server models need them (a process per client, a thread per client), and the
// shutdown on SIGINT or SIGTERM needs signals. Each is narrated like the socket calls, so that
// the narration still lines up with `strace -f`.

/// `fork(2)`: create a child process.
///
/// Layer: none (process management, not networking). The kernel copies the calling process:
/// its memory (copy-on-write), and its file descriptors, which now have two owners each, so a
/// socket is really closed only when both processes have closed it. `fork()` returns twice:
/// the child's pid in the parent, 0 in the child. Only the calling thread is copied.
///
/// glibc implements `fork()` with the `clone` system call, so strace shows
/// `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f...) = 4243`
/// in the parent (`strace -f` then follows the child).
/// (<https://man7.org/linux/man-pages/man2/fork.2.html>)
///
/// # Safety
///
/// In a process with more than one thread, the child may only make async-signal-safe calls
/// until it exits or execs: another thread may have held a lock (the allocator's, stderr's)
/// that stays locked for ever in the child. Call it from a single-threaded process.
pub unsafe fn fork() -> Result<ForkResult> {
    narrate::before("fork", String::new);
    // SAFETY: the caller promises that the process has one thread.
    let result = unsafe { nix::unistd::fork() };
    let args = || "child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD".into();
    match result {
        Ok(ForkResult::Parent { child }) => {
            narrate::syscall("fork", args, &Ok::<_, Errno>(child), || Note::Fork {
                child,
            })
        }
        Err(errno) => narrate::syscall("fork", args, &Err::<Pid, _>(errno), || Note::Failed {
            errno,
        }),
        // Not narrated in the child: strace shows one line for the call, the parent's. The
        // child starts its life by returning 0 from here.
        Ok(ForkResult::Child) => {}
    }
    named(result, "fork", String::new)
}

/// `getpid(2)`: get the process id.
///
/// Layer: none (process management). strace: `getpid() = 4243`; `strace -f` prefixes each
/// line of a child with `[pid 4243]`, and the logs carry the same number.
/// (<https://man7.org/linux/man-pages/man2/getpid.2.html>)
pub fn getpid() -> Pid {
    let pid = nix::unistd::getpid();
    narrate::syscall("getpid", String::new, &Ok::<_, Errno>(pid), || Note::Pid);
    pid
}

/// `gettid(2)`: get the thread id.
///
/// Layer: none (process management). Every thread has its own id; the first thread's is the
/// process id. `strace -f` prefixes each line with `[pid TID]`, the thread's id. It is a system
/// call each time: call it once per thread and keep the answer.
///
/// strace: `gettid() = 4250`
/// (<https://man7.org/linux/man-pages/man2/gettid.2.html>)
pub fn gettid() -> Pid {
    let tid = nix::unistd::gettid();
    narrate::syscall("gettid", String::new, &Ok::<_, Errno>(tid), || Note::Tid);
    tid
}

/// `waitpid(2)` with `WNOHANG`: collect a child that has exited, without waiting.
///
/// Layer: none (process management). A child that has exited stays a zombie (a line in the
/// process table, `Z` in `ps`, holding its exit status) until its parent collects it. This
/// collects one, any one (pid -1); with WNOHANG it returns at once: `StillAlive` when no child
/// has exited yet, ECHILD when there are no children at all.
///
/// glibc implements `waitpid()` with the `wait4` system call, so strace shows
/// `wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) = 4243`.
/// (<https://man7.org/linux/man-pages/man2/waitpid.2.html>)
pub fn waitpid_any_nohang() -> Result<WaitStatus> {
    let result = nix::sys::wait::waitpid(None, Some(WaitPidFlag::WNOHANG));
    narrate::syscall(
        "waitpid",
        || match &result {
            Ok(status @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => {
                format!("-1, [{}], WNOHANG, NULL", strace_wait_status(status))
            }
            _ => "-1, NULL, WNOHANG, NULL".into(),
        },
        &result.map(|status| status.pid().map_or(0, Pid::as_raw)),
        || match result {
            Ok(status) => Note::Waited { status },
            Err(errno) => Note::Failed { errno },
        },
    );
    named(result, "waitpid", || "-1, WNOHANG".into())
}

/// How strace shows a wait status: `{WIFEXITED(s) && WEXITSTATUS(s) == 0}`.
fn strace_wait_status(status: &WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("{{WIFEXITED(s) && WEXITSTATUS(s) == {code}}}"),
        WaitStatus::Signaled(_, signal, _) => {
            format!("{{WIFSIGNALED(s) && WTERMSIG(s) == {signal}}}")
        }
        other => format!("{other:?}"),
    }
}

/// `kill(2)`: send a signal to a process.
///
/// Layer: none (process management). The kernel marks the signal pending in the target, which
/// runs its handler (or dies, or ignores it) the next time it is scheduled; a system call the
/// target was blocked in returns EINTR when the handler was installed without SA_RESTART.
///
/// strace: `kill(4243, SIGTERM) = 0`
/// (<https://man7.org/linux/man-pages/man2/kill.2.html>)
pub fn kill(pid: Pid, signal: Signal) -> Result<()> {
    let result = nix::sys::signal::kill(pid, signal);
    narrate::syscall(
        "kill",
        || format!("{pid}, {signal}"),
        &result.map(|()| 0),
        || Note::Kill { pid, signal },
    );
    named(result, "kill", || format!("{pid}, {signal}"))
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
    // SAFETY: the caller vouches for the handler.
    let result = unsafe { nix::sys::signal::sigaction(signal, &action) };
    narrate::syscall(
        "sigaction",
        || {
            let old = match &result {
                Ok(old) => match old.handler() {
                    SigHandler::SigDfl => "{sa_handler=SIG_DFL, ...}",
                    SigHandler::SigIgn => "{sa_handler=SIG_IGN, ...}",
                    _ => "{sa_handler=..., ...}",
                },
                Err(_) => "NULL",
            };
            format!(
                "{signal}, {{sa_handler={handler_name}, sa_mask=[], sa_flags={}}}, {old}, 8",
                strace_sa_flags(flags)
            )
        },
        &result.map(|_| 0),
        || Note::SigAction {
            signal,
            restart: flags.contains(SaFlags::SA_RESTART),
        },
    );
    named(result.map(|_| ()), "sigaction", || signal.to_string())
}

/// `SA_NOCLDSTOP` or `0`, as strace prints `sa_flags` (it adds glibc's `SA_RESTORER`).
fn strace_sa_flags(flags: SaFlags) -> String {
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

/// Which change [`pthread_sigmask`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskHow {
    /// Add the signals to the blocked set.
    Block,
    /// Replace the blocked set.
    SetMask,
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
    let nix_how = match how {
        MaskHow::Block => SigmaskHow::SIG_BLOCK,
        MaskHow::SetMask => SigmaskHow::SIG_SETMASK,
    };
    let result = nix::sys::signal::pthread_sigmask(nix_how, Some(set), Some(&mut old));
    let how_name = match how {
        MaskHow::Block => "SIG_BLOCK",
        MaskHow::SetMask => "SIG_SETMASK",
    };
    narrate::syscall(
        "pthread_sigmask",
        || {
            format!(
                "{how_name}, {}, {}, 8",
                strace_sigset(set),
                strace_sigset(&old)
            )
        },
        &result.map(|()| 0),
        || Note::SigMask {
            block: how == MaskHow::Block,
        },
    );
    named(result, "pthread_sigmask", || {
        format!("{how_name}, {}", strace_sigset(set))
    })
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
    narrate::syscall(
        "sigtimedwait",
        || {
            let timeout = timeout.map_or("NULL".into(), |d| {
                format!("{{tv_sec={}, tv_nsec={}}}", d.as_secs(), d.subsec_nanos())
            });
            format!("{}, {{...}}, {timeout}, 8", strace_sigset(set))
        },
        &result.map(|signal| format!("{} ({signal})", signal as i32)),
        || match result {
            Ok(signal) => Note::SignalTaken { signal },
            Err(errno) => Note::Failed { errno },
        },
    );
    named(result, "sigtimedwait", || strace_sigset(set))
}

/// A signal set as strace prints it: `[INT TERM]`.
fn strace_sigset(set: &SigSet) -> String {
    let names: Vec<&str> = set
        .iter()
        .map(|signal| signal.as_str().trim_start_matches("SIG"))
        .collect();
    format!("[{}]", names.join(" "))
}

/// `mmap(2)` of anonymous shared memory: `len` bytes, zero-filled, that a process and the
/// children it forks afterwards all see.
///
/// Layer: none (memory management). Memory is copied at `fork()`: a counter the child adds to
/// is the child's own copy, and the parent never sees it. A `MAP_SHARED` mapping is the
/// exception, the same physical page in every process that inherits it.
///
/// strace: `mmap(NULL, 24, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = 0x7f3c2a1b4000`
/// (<https://man7.org/linux/man-pages/man2/mmap.2.html>)
pub fn mmap_shared(len: NonZeroUsize) -> Result<NonNull<libc::c_void>> {
    // SAFETY: a new anonymous mapping aliases nothing the program already has.
    let result = unsafe {
        nix::sys::mman::mmap_anonymous(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
    };
    narrate::syscall(
        "mmap",
        || format!("NULL, {len}, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0"),
        &result.map(|ptr| format!("{ptr:p}")),
        || Note::SharedMemory,
    );
    named(result, "mmap", || format!("{len}, MAP_SHARED"))
}

/// `_exit(2)`: end the process now.
///
/// Layer: none (process management). The kernel closes every descriptor the process still has
/// (a socket that was the last one: FIN), turns it into a zombie holding `status`, and sends
/// SIGCHLD to its parent. Unlike `exit(3)` and `std::process::exit`, it runs no atexit handler
/// and flushes no buffer: right for a forked child, whose buffers are copies of its parent's.
///
/// glibc's `_exit()` is the `exit_group` system call, which never returns: strace shows
/// `exit_group(0) = ?`, and the narration comes before the call.
/// (<https://man7.org/linux/man-pages/man2/_exit.2.html>)
pub fn exit(status: i32) -> ! {
    narrate::syscall(
        "_exit",
        || status.to_string(),
        &Ok::<_, Errno>("?"),
        || Note::Exit,
    );
    // SAFETY: _exit is always safe to call; it does not return.
    unsafe { libc::_exit(status) }
}

/// `accept4(2)`: accept a connection on a socket, with flags for the new descriptor.
///
/// Layer: transport (OSI 4), as [`accept`]. The one difference is the fourth argument:
/// `SOCK_NONBLOCK` makes the new connected socket non-blocking in the same call, so that an
/// event loop's `recv()` and `send()` return EAGAIN instead of stopping every other client.
/// On a non-blocking listening socket, an empty queue gives EAGAIN: the event loops accept until
/// then.
///
/// strace: `accept4(3, NULL, NULL, SOCK_NONBLOCK) = 5`
/// (<https://man7.org/linux/man-pages/man2/accept4.2.html>)
pub fn accept4(listen_sock: &Socket, blocking: Blocking) -> Result<Socket> {
    let (flags, flag_names) = match blocking {
        Blocking::Yes => (SockFlag::empty(), "0"),
        Blocking::No => (SockFlag::SOCK_NONBLOCK, "SOCK_NONBLOCK"),
    };
    narrate::before("accept4", || {
        format!("{listen_sock}, NULL, NULL, {flag_names}")
    });
    let result = nix_socket::accept4(listen_sock.fd(), flags);
    narrate::syscall(
        "accept4",
        || format!("{listen_sock}, NULL, NULL, {flag_names}"),
        &result,
        || Note::Accept,
    );
    if let Ok(conn_fd) = result {
        show_state(conn_fd, StateCheck::After);
    }
    named(result, "accept4", || format!("{listen_sock}, {flag_names}")).map(Socket::owning)
}

/// `select(2)`: wait until some of the given descriptors are ready.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). The kernel looks at each socket
/// in the sets (is there something in its receive buffer, or a connection in its queue? room in
/// its send buffer?), sleeps until one of them is ready, and rewrites the sets to say which are.
/// Level-triggered: a socket with unread bytes is reported again at the next call.
///
/// The sets are bit arrays of `FD_SETSIZE` (1024) bits: a descriptor of 1024 or more cannot be
/// put in one (glibc's `FD_SET` would write past the array; nix refuses with a panic), which is
/// why the select model refuses such connections. `nfds` is the highest descriptor plus one.
///
/// `timeout` bounds the wait (`None`: no bound); 0 ready descriptors means the time is up.
///
/// glibc implements `select()` with the `pselect6` system call (whose sixth argument, a signal
/// mask, it leaves NULL, and whose timeout is a timespec), so strace shows
/// `pselect6(6, [3 5], [4], NULL, NULL, NULL) = 1 (in [5])`.
/// (<https://man7.org/linux/man-pages/man2/select.2.html>)
pub fn select<'fd>(
    nfds: RawFd,
    readfds: &mut FdSet<'fd>,
    writefds: &mut FdSet<'fd>,
    timeout: Option<Duration>,
) -> Result<usize> {
    // NULL waits for ever; a timeval is the longest wait (Linux counts it down as it waits).
    let mut timeval = timeout.map(|t| TimeVal::microseconds(t.as_micros() as i64));
    // The call rewrites the sets: render what was asked before asking, and only when narrating.
    let asked = narrate::narrating().then(|| {
        let wait = match &timeval {
            // pselect6 takes a timespec: glibc turns the microseconds into nanoseconds.
            Some(tv) => format!(
                "{{tv_sec={}, tv_nsec={}}}",
                tv.tv_sec(),
                tv.tv_usec() * 1000
            ),
            None => "NULL".into(),
        };
        format!(
            "{nfds}, {}, {}, NULL, {wait}, NULL",
            strace_fd_set(readfds, nfds),
            strace_fd_set(writefds, nfds)
        )
    });
    narrate::before("select", || asked.clone().unwrap_or_default());
    let result =
        nix::sys::select::select(nfds, &mut *readfds, &mut *writefds, None, timeval.as_mut())
            .map(|n| n as usize);
    narrate::syscall(
        "select",
        || asked.unwrap_or_default(),
        &result.map(|n| {
            // strace names only the sets that hold a ready descriptor: `(in [5])`.
            let ready: Vec<String> = [("in", &*readfds), ("out", &*writefds)]
                .into_iter()
                .filter(|(_, set)| set.fds(Some(nfds - 1)).next().is_some())
                .map(|(name, set)| format!("{name} {}", strace_fd_set(set, nfds)))
                .collect();
            if n > 0 {
                format!("{n} ({})", ready.join(", "))
            } else {
                format!("{n} (Timeout)")
            }
        }),
        || Note::Ready,
    );
    named(result, "select", || nfds.to_string())
}

/// A set of descriptors as strace prints it: `[3 5]`.
fn strace_fd_set(set: &FdSet<'_>, nfds: RawFd) -> String {
    let fds: Vec<String> = set
        .fds(Some(nfds - 1))
        .map(|fd| fd.as_raw_fd().to_string())
        .collect();
    format!("[{}]", fds.join(" "))
}

/// `poll(2)`: wait for some event on a set of file descriptors.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). The same question as
/// [`select`], asked with an array of `{fd, events}` instead of bit sets: any descriptor number
/// works, and the kernel answers in each entry's `revents`, where it may also put `POLLHUP`
/// (the connection is over) or `POLLERR` (an error is pending, such as a RST) even if they were
/// not asked for. Level-triggered, and the whole array is copied in and scanned at every call.
///
/// `timeout` bounds the wait, in milliseconds (`None`: -1, no bound); 0 means the time is up.
///
/// strace: `poll([{fd=3, events=POLLIN}, {fd=5, events=POLLIN}], 2, -1) = 1 ([{fd=5, revents=POLLIN}])`
/// (<https://man7.org/linux/man-pages/man2/poll.2.html>)
pub fn poll(fds: &mut [PollFd<'_>], timeout: Option<Duration>) -> Result<usize> {
    let millis = timeout.map_or(-1, wait_millis);
    narrate::before("poll", || {
        format!("[... {} descriptors], {}, {millis}", fds.len(), fds.len())
    });
    let result = nix::poll::poll(
        fds,
        PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX),
    )
    .map(|n| n as usize);
    narrate::syscall(
        "poll",
        || {
            let asked: Vec<String> = fds
                .iter()
                .map(|p| {
                    format!(
                        "{{fd={}, events={}}}",
                        p.as_fd().as_raw_fd(),
                        strace_poll_flags(p.events())
                    )
                })
                .collect();
            format!("[{}], {}, {millis}", asked.join(", "), fds.len())
        },
        &result.map(|n| {
            let answered: Vec<String> = fds
                .iter()
                .filter_map(|p| {
                    let revents = p.revents().unwrap_or(PollFlags::empty());
                    (!revents.is_empty()).then(|| {
                        format!(
                            "{{fd={}, revents={}}}",
                            p.as_fd().as_raw_fd(),
                            strace_poll_flags(revents)
                        )
                    })
                })
                .collect();
            if n > 0 {
                format!("{n} ([{}])", answered.join(", "))
            } else {
                n.to_string()
            }
        }),
        || Note::Ready,
    );
    named(result, "poll", || format!("{} fds", fds.len()))
}

/// A wait's bound in whole milliseconds, rounded up so that a bound of 0.4 ms does not become
/// a poll that returns at once (and a loop that spins until the time is up).
fn wait_millis(timeout: Duration) -> i32 {
    let micros = timeout.as_micros();
    i32::try_from(micros.div_ceil(1000)).unwrap_or(i32::MAX)
}

/// Poll flags as strace prints them: `POLLIN|POLLOUT`.
fn strace_poll_flags(flags: PollFlags) -> String {
    let names: Vec<&str> = flags.iter_names().map(|(name, _)| name).collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

/// `epoll_create1(2)`: open an epoll file descriptor, here inside a [`mio::Poll`].
///
/// Layer: none of the network's: the kernel creates an epoll instance, a set of descriptors to
/// watch (the interest list) and a list of those that are ready, and returns a descriptor for
/// it. `mio::Poll::new()` makes exactly this call and nothing else.
///
/// strace: `epoll_create1(EPOLL_CLOEXEC) = 3`
/// (<https://man7.org/linux/man-pages/man2/epoll_create1.2.html>)
pub fn epoll_create1() -> Result<mio::Poll> {
    let result = mio::Poll::new().map_err(io_errno);
    narrate::syscall(
        "epoll_create1",
        || "EPOLL_CLOEXEC".into(),
        &result.as_ref().map(|poll| poll.as_raw_fd()).map_err(|e| *e),
        || Note::EpollCreate,
    );
    named(result, "epoll_create1", String::new)
}

/// `epoll_ctl(2)` with `EPOLL_CTL_ADD`: add a descriptor to an epoll instance's interest list,
/// here through [`mio::Registry::register`] and [`mio::unix::SourceFd`], so that the socket stays
/// ours (made by our `socket()` or `accept4()`) and mio only watches it.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). From now on the kernel itself
/// puts the socket on the ready list when bytes arrive or room frees up in its send buffer: the
/// program pays once here, not at every wait as with `select()` and `poll()`. mio always asks
/// for edge-triggered notification (`EPOLLET`): one event per change, not one per wait while the
/// socket stays ready; readable includes `EPOLLRDHUP` (the peer sent FIN). The token comes back
/// with each event: it tells which connection the event is for.
///
/// strace: `epoll_ctl(3, EPOLL_CTL_ADD, 5, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=0, u64=0}}) = 0`
/// (<https://man7.org/linux/man-pages/man2/epoll_ctl.2.html>)
pub fn epoll_ctl_add(
    registry: &mio::Registry,
    epoll_fd: RawFd,
    sock: &Socket,
    token: mio::Token,
    interest: mio::Interest,
) -> Result<()> {
    let result = registry
        .register(&mut mio::unix::SourceFd(&sock.fd()), token, interest)
        .map_err(io_errno);
    narrate::syscall(
        "epoll_ctl",
        || {
            let mut events = Vec::new();
            if interest.is_readable() {
                events.push("EPOLLIN");
            }
            if interest.is_writable() {
                events.push("EPOLLOUT");
            }
            if interest.is_readable() {
                events.push("EPOLLRDHUP");
            }
            events.push("EPOLLET");
            format!(
                "{epoll_fd}, EPOLL_CTL_ADD, {sock}, {{events={}, data={{u32={}, u64={}}}}}",
                events.join("|"),
                token.0 as u32,
                token.0 as u64
            )
        },
        &result.map(|()| 0),
        || Note::EpollAdd,
    );
    named(result, "epoll_ctl", || {
        format!("{epoll_fd}, EPOLL_CTL_ADD, {sock}")
    })
}

/// `epoll_wait(2)`: wait for events on an epoll instance, here inside [`mio::Poll::poll`],
/// which makes exactly this call.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). The kernel sleeps until the
/// ready list is not empty, then copies up to `events.capacity()` events out of it. Unlike
/// `select()` and `poll()`, nothing is passed in and nothing is scanned: the cost is the number
/// of ready sockets, not the number of connections.
///
/// `timeout` bounds the wait, in milliseconds (`None`: -1, no bound); 0 means the time is up.
///
/// strace: `epoll_wait(3, [{events=EPOLLIN, data={u32=0, u64=0}}], 1024, -1) = 1`
/// (<https://man7.org/linux/man-pages/man2/epoll_wait.2.html>)
pub fn epoll_wait(
    poll: &mut mio::Poll,
    events: &mut mio::Events,
    timeout: Option<Duration>,
) -> Result<usize> {
    narrate::before("epoll_wait", || {
        let millis = timeout.map_or(-1, wait_millis);
        format!("{}, ..., {}, {millis}", poll.as_raw_fd(), events.capacity())
    });
    // mio rounds a bound up to whole milliseconds, as `wait_millis` does.
    let result = poll.poll(events, timeout).map_err(io_errno);
    let millis = timeout.map_or(-1, wait_millis);
    let epoll_fd = poll.as_raw_fd();
    narrate::syscall(
        "epoll_wait",
        || {
            let ready: Vec<String> = events
                .iter()
                .map(|event| {
                    format!(
                        "{{events={}, data={{u32={}, u64={}}}}}",
                        strace_epoll_events(event),
                        event.token().0 as u32,
                        event.token().0 as u64
                    )
                })
                .collect();
            format!(
                "{epoll_fd}, [{}], {}, {millis}",
                ready.join(", "),
                events.capacity()
            )
        },
        &result.map(|()| events.iter().count()),
        || Note::Ready,
    );
    named(result, "epoll_wait", || epoll_fd.to_string()).map(|()| events.iter().count())
}

/// The `EPOLL*` flags of an event, as strace prints them.
fn strace_epoll_events(event: &mio::event::Event) -> String {
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

/// The errno inside an `io::Error` from mio, which makes its calls with libc directly.
fn io_errno(error: std::io::Error) -> Errno {
    error
        .raw_os_error()
        .map_or(Errno::UnknownErrno, Errno::from_raw)
}

/// `getrlimit(2)` for `RLIMIT_NOFILE`: how many file descriptors this process may open.
///
/// Layer: none of the network's: a limit of the process. Returns the soft limit (the one
/// enforced; `ulimit -n`, often 1024) and the hard limit (the ceiling up to which an
/// unprivileged process may raise the soft one). Every connection is a descriptor, so a server
/// with 1024 of them open gets EMFILE from `accept()`.
///
/// glibc implements it with the `prlimit64` system call, so strace shows
/// `prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=1024, rlim_max=4096}) = 0`.
/// (<https://man7.org/linux/man-pages/man2/getrlimit.2.html>)
pub fn getrlimit_nofile() -> Result<(u64, u64)> {
    let result = nix::sys::resource::getrlimit(Resource::RLIMIT_NOFILE);
    narrate::syscall(
        "getrlimit",
        || match result {
            Ok((soft, hard)) => {
                format!("0, RLIMIT_NOFILE, NULL, {{rlim_cur={soft}, rlim_max={hard}}}")
            }
            Err(_) => "0, RLIMIT_NOFILE, NULL, 0x0".into(),
        },
        &result.map(|_| 0),
        || Note::Limit,
    );
    named(result, "getrlimit", || "RLIMIT_NOFILE".into())
}

/// `setrlimit(2)` for `RLIMIT_NOFILE`: set how many file descriptors this process may open.
///
/// Layer: none of the network's: a limit of the process. An unprivileged process may raise
/// its soft limit up to the hard limit (EPERM beyond).
///
/// glibc implements it with the `prlimit64` system call, so strace shows
/// `prlimit64(0, RLIMIT_NOFILE, {rlim_cur=4096, rlim_max=4096}, NULL) = 0`.
/// (<https://man7.org/linux/man-pages/man2/setrlimit.2.html>)
pub fn setrlimit_nofile(soft: u64, hard: u64) -> Result<()> {
    let result = nix::sys::resource::setrlimit(Resource::RLIMIT_NOFILE, soft, hard);
    narrate::syscall(
        "setrlimit",
        || format!("0, RLIMIT_NOFILE, {{rlim_cur={soft}, rlim_max={hard}}}, NULL"),
        &result.map(|()| 0),
        || Note::Limit,
    );
    named(result, "setrlimit", || {
        format!("RLIMIT_NOFILE, {soft}, {hard}")
    })
}
