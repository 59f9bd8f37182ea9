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
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    self as nix_socket, AddressFamily, Backlog, MsgFlags, SockFlag, SockType, SockaddrIn,
    SockaddrIn6, SockaddrLike, SockaddrStorage, sockopt,
};

use crate::narrate::{self, sockaddr_len, strace_bytes, strace_sockaddr};
use crate::text::{self, Note};

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
}

/// `setsockopt(2)`: set an option on a socket.
///
/// Layer: transport (OSI 4). The kernel records the option on the endpoint; nothing goes on
/// the wire.
///
/// strace: `setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`
/// (<https://man7.org/linux/man-pages/man2/setsockopt.2.html>)
pub fn setsockopt(sock: &Socket, opt: SockOpt) -> Result<()> {
    let (result, level, name, on) = match opt {
        SockOpt::ReuseAddr(on) => (
            nix_socket::setsockopt(sock, sockopt::ReuseAddr, &on),
            "SOL_SOCKET",
            "SO_REUSEADDR",
            on,
        ),
        SockOpt::NoDelay(on) => (
            nix_socket::setsockopt(sock, sockopt::TcpNoDelay, &on),
            "SOL_TCP",
            "TCP_NODELAY",
            on,
        ),
    };
    narrate::syscall(
        "setsockopt",
        || format!("{sock}, {level}, {name}, [{}], 4", on as i32),
        &result.map(|()| 0),
        || match opt {
            SockOpt::ReuseAddr(on) => Note::ReuseAddr { on },
            SockOpt::NoDelay(_) => Note::NoDelay,
        },
    );
    named(result, "setsockopt", || {
        format!("{sock}, {name}, {}", on as i32)
    })
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
    let result = Backlog::new(backlog).and_then(|backlog| nix_socket::listen(sock, backlog));
    narrate::syscall(
        "listen",
        || format!("{sock}, {backlog}"),
        &result.map(|()| 0),
        || Note::Listen { backlog },
    );
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
    let result = nix_socket::accept(listen_sock.fd());
    narrate::syscall(
        "accept",
        || format!("{listen_sock}, NULL, NULL"),
        &result,
        || Note::Accept,
    );
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
    let result = with_sockaddr(addr, |sockaddr| nix_socket::connect(sock.fd(), sockaddr));
    narrate::syscall(
        "connect",
        || format!("{sock}, {}, {}", strace_sockaddr(addr), sockaddr_len(addr)),
        &result.map(|()| 0),
        || Note::Connect { addr: *addr },
    );
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
    let result = nix_socket::shutdown(sock.fd(), nix_socket::Shutdown::Write);
    narrate::syscall(
        "shutdown",
        || format!("{sock}, SHUT_WR"),
        &result.map(|()| 0),
        || Note::ShutdownWrite,
    );
    named(result, "shutdown", || format!("{sock}, SHUT_WR"))
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

/// The one place `close()` is called.
fn close_fd(fd: RawFd) -> Result<()> {
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

/// `getsockname(2)`: get the local address of a socket.
///
/// Layers: transport and internet (OSI 4 + 3). Tells the local IP address and port, such as the
/// port the kernel chose when the server bound port 0.
///
/// strace: `getsockname(3, {sa_family=AF_INET, sin_port=htons(40123), ...}, [128 => 16]) = 0`
/// (<https://man7.org/linux/man-pages/man2/getsockname.2.html>)
pub fn getsockname(sock: &Socket) -> Result<SocketAddr> {
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
