//! The socket calls: make a socket, set it up, connect or accept, shut it down and close it,
//! and ask for its addresses. A [`Socket`] owns its descriptor.

use std::cell::Cell;
use std::fmt;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{
    self as nix_socket, AddressFamily, Backlog, SockFlag, SockType, SockaddrIn, SockaddrIn6,
    SockaddrLike, SockaddrStorage, sockopt,
};
use nix::sys::time::TimeVal;

use super::tcp_info::{StateCheck, show_state};
use super::{Entered, Result, call};
use crate::narrate::{Arg, Told, sockaddr_len, strace_timeval};
use crate::text::{Holder, Note};

/// What a descriptor is: it says what closing it does, and whether the kernel can be asked
/// for a TCP state (`TCP_INFO`, for TCP sockets only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A TCP socket that is or will be connected: made by `socket()` for `connect()`, or
    /// returned by `accept()`. Closing its last descriptor ends the connection (FIN →).
    Stream,
    /// A TCP socket after `listen()`: it queues connections, and never carries data itself.
    Listening,
    /// A UDP socket (`SOCK_DGRAM`): no connection, no TCP state, nothing sent at close.
    Datagram,
    /// An epoll instance (the mio model's): a set of descriptors to watch, not a socket.
    Epoll,
}

impl Kind {
    /// Does the kernel keep a TCP state for it?
    pub fn is_tcp(self) -> bool {
        matches!(self, Kind::Stream | Kind::Listening)
    }
}

/// A socket: a file descriptor the kernel attached to a network endpoint (or, for
/// [`Kind::Epoll`], to an epoll instance). The `Socket` owns it.
///
/// It also remembers what decides what its `close()` does, so that the narration can say it:
/// its kind, whether another process holds a copy of it, and whether our FIN has gone already.
#[derive(Debug)]
pub struct Socket {
    fd: RawFd,
    /// A cell, because `listen()` turns a stream socket into a listening one in place.
    kind: Cell<Kind>,
    /// Another process holds a copy of the descriptor (a child, after `fork()`): closing this
    /// one ends nothing, the connection lives on in the other.
    held_elsewhere: Cell<Option<Holder>>,
    /// Whether `shutdown()` has sent our FIN already (then `close()` has none left to send).
    /// Shared, because another thread may make that `shutdown()` (see [`Shutter`]).
    fin: Arc<Mutex<Fin>>,
}

/// Who ends a connection: a `shutdown()`, or the `close()`.
#[derive(Debug, Default)]
struct Fin {
    /// `shutdown()` has sent our FIN.
    sent: bool,
    /// The owner is closing the socket: no other thread shuts it down any more.
    closing: bool,
}

/// What another thread needs to shut a socket down while its owner is blocked on it: the
/// descriptor's number, and the owner's record of our FIN, so that the owner's `close()` says
/// whether the FIN has gone (the thread model's acceptor, at the end of the grace period).
#[derive(Clone, Debug)]
pub struct Shutter {
    fd: RawFd,
    fin: Arc<Mutex<Fin>>,
}

/// Locks a socket's record of its FIN (whole even if a thread panicked holding it: it is two
/// booleans set in one step each).
fn lock(fin: &Mutex<Fin>) -> MutexGuard<'_, Fin> {
    fin.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Socket {
    /// Takes ownership of a descriptor a system call just returned.
    pub(crate) fn owning(fd: RawFd, kind: Kind) -> Socket {
        Socket {
            fd,
            kind: Cell::new(kind),
            held_elsewhere: Cell::new(None),
            fin: Arc::default(),
        }
    }

    /// Another process now holds a copy of this descriptor: the child `fork()` just made. The
    /// kernel ends a connection (FIN) only when its last descriptor is closed, so this copy's
    /// `close()` sends nothing, and its narration says so.
    pub fn held_by_child(&self) {
        self.held_elsewhere.set(Some(Holder::Child));
    }

    /// The fork child's copy of the listening socket: the parent still holds it and listens,
    /// so this copy's `close()` neither stops the port listening nor resets a queued
    /// connection.
    pub fn held_by_parent(&self) {
        self.held_elsewhere.set(Some(Holder::Parent));
    }

    /// A handle by which another thread can shut this socket down: [`shutdown_both`].
    pub fn shutter(&self) -> Shutter {
        Shutter {
            fd: self.fd,
            fin: Arc::clone(&self.fin),
        }
    }

    /// What `close()` will do, as the narration says it. From here on no other thread shuts
    /// the socket down (see [`shutdown_both`]): whether our FIN has gone is settled.
    fn close_note(&self) -> Note {
        let fin_sent = {
            let mut fin = lock(&self.fin);
            fin.closing = true;
            fin.sent
        };
        let shared = self.held_elsewhere.get().is_some();
        match (self.kind(), shared, fin_sent) {
            (Kind::Stream, true, _) => Note::CloseShared,
            (Kind::Stream, false, true) => Note::CloseAfterShutdown,
            (Kind::Stream, false, false) => Note::Close,
            (Kind::Listening, true, _) => Note::CloseListenerCopy,
            (Kind::Listening, false, _) => Note::CloseListener,
            (Kind::Datagram, _, _) => Note::CloseDatagram,
            (Kind::Epoll, _, _) => Note::CloseEpoll,
        }
    }

    /// The descriptor's number, as strace shows it.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// What it is.
    pub fn kind(&self) -> Kind {
        self.kind.get()
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
        let _ = close_fd(self);
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
    make_socket(for_addr, Kind::Stream, blocking)
}

/// `socket(2)` with `SOCK_DGRAM`: a UDP endpoint.
///
/// Layer: transport (OSI 4). The kernel makes a UDP endpoint: a receive queue of whole
/// datagrams and no connection, so no state, no handshake, nothing to `listen()` on or
/// `accept()`. Nothing goes on the wire.
///
/// strace: `socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 3`
/// (<https://man7.org/linux/man-pages/man2/socket.2.html>)
pub fn socket_dgram(for_addr: &SocketAddr, blocking: Blocking) -> Result<Socket> {
    make_socket(for_addr, Kind::Datagram, blocking)
}

/// The one place `socket()` is called: a stream (TCP) or a datagram (UDP) socket.
fn make_socket(for_addr: &SocketAddr, kind: Kind, blocking: Blocking) -> Result<Socket> {
    let (family, family_name) = match for_addr {
        SocketAddr::V4(_) => (AddressFamily::Inet, "AF_INET"),
        SocketAddr::V6(_) => (AddressFamily::Inet6, "AF_INET6"),
    };
    let (sock_type, type_name, note) = match kind {
        Kind::Datagram => (SockType::Datagram, "SOCK_DGRAM", Note::SocketDatagram),
        _ => (SockType::Stream, "SOCK_STREAM", Note::Socket),
    };
    let (flags, type_name) = match blocking {
        Blocking::Yes => (SockFlag::empty(), type_name.to_string()),
        Blocking::No => (
            SockFlag::SOCK_NONBLOCK,
            format!("{type_name}|SOCK_NONBLOCK"),
        ),
    };
    let args = || {
        vec![
            Arg::shown("domain", family_name).blamed(),
            Arg::shown("type", type_name.clone()).blamed(),
            // Protocol 0 lets the kernel pick TCP for a stream socket, UDP for a datagram
            // socket; strace names it IPPROTO_IP.
            Arg::shown("protocol", "IPPROTO_IP"),
        ]
    };
    call(
        "socket",
        args,
        || nix_socket::socket(family, sock_type, flags, None),
        |fd| Told::new(fd.as_raw_fd(), note),
    )
    .map(|fd| Socket::owning(fd.into_raw_fd(), kind))
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
    /// `IPV6_V6ONLY` (an IPv6 socket only): 0 makes the socket dual stack, so that a socket
    /// bound to `::` also takes IPv4 connections, whose addresses it sees as IPv4-mapped IPv6
    /// addresses (`::ffff:127.0.0.1`, RFC 4291 §2.5.5.2); 1 leaves the IPv4 side of the port to
    /// another socket. Linux's default is `/proc/sys/net/ipv6/bindv6only` (0): set it anyway,
    /// so that the program does not depend on the machine (ipv6(7)).
    V6Only(bool),
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
        SockOpt::V6Only(on) => ("SOL_IPV6", "IPV6_V6ONLY", format!("[{}], 4", on as i32)),
        SockOpt::RecvTimeout(d) => ("SOL_SOCKET", "SO_RCVTIMEO", strace_timeval(d)),
        SockOpt::SendTimeout(d) => ("SOL_SOCKET", "SO_SNDTIMEO", strace_timeval(d)),
    };
    let args = || {
        vec![
            Arg::fd(sock.fd()),
            Arg::shown("level", level),
            Arg::shown("optname", name).blamed(),
            // The value and its length, as strace prints them: `[1], 4`.
            Arg::shown("optval", value.clone()).blamed(),
        ]
    };
    let note = match opt {
        SockOpt::ReuseAddr(on) => Note::ReuseAddr { on },
        SockOpt::NoDelay(_) => Note::NoDelay,
        SockOpt::V6Only(on) => Note::V6Only { on },
        SockOpt::RecvTimeout(d) | SockOpt::SendTimeout(d) => Note::Timeout { after: d },
    };
    call(
        "setsockopt",
        args,
        || match opt {
            SockOpt::ReuseAddr(on) => nix_socket::setsockopt(sock, sockopt::ReuseAddr, &on),
            SockOpt::NoDelay(on) => nix_socket::setsockopt(sock, sockopt::TcpNoDelay, &on),
            SockOpt::V6Only(on) => nix_socket::setsockopt(sock, sockopt::Ipv6V6Only, &on),
            SockOpt::RecvTimeout(d) => {
                nix_socket::setsockopt(sock, sockopt::ReceiveTimeout, &timeval(d))
            }
            SockOpt::SendTimeout(d) => {
                nix_socket::setsockopt(sock, sockopt::SendTimeout, &timeval(d))
            }
        },
        |()| Told::new(0, note),
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
    to_addr(
        sock,
        addr,
        "bind",
        nix_socket::bind,
        match sock.kind() {
            Kind::Datagram => Note::BindDatagram { addr: *addr },
            _ => Note::Bind { addr: *addr },
        },
    )
}

/// `bind` or `connect` (`make`) of `sock` to `addr`: strace shows
/// `3, {sa_family=AF_INET, ...}, 16`; an error names the address only.
fn to_addr(
    sock: &Socket,
    addr: &SocketAddr,
    name: &'static str,
    make: fn(RawFd, &dyn SockaddrLike) -> nix::Result<()>,
    note: Note,
) -> Result<()> {
    let args = || {
        vec![
            Arg::int("fd", sock.fd()),
            Arg::addr("addr", addr),
            Arg::int("addrlen", sockaddr_len(addr) as i64),
        ]
    };
    call(
        name,
        args,
        || with_sockaddr(addr, |sockaddr| make(sock.fd(), sockaddr)),
        |()| Told::new(0, note),
    )
}

/// `listen(2)`: listen for connections on a socket.
///
/// Layer: transport (OSI 4). The socket becomes passive (state LISTEN). From now on the kernel
/// answers every SYN with a SYN-ACK and completes the handshake by itself: clients are
/// ESTABLISHED before anyone calls `accept()`. Linux keeps up to `backlog` + 1 completed
/// connections waiting for `accept()` (`sk_acceptq_is_full()` compares with `>`): with
/// `listen(3, 1)`, `ss -ltn` shows Recv-Q 2, and a third client stays in SYN-SENT, its SYN
/// dropped and retried (tests/backlog.rs). A backlog above `net.core.somaxconn` is cut to it.
///
/// strace: `listen(3, 1) = 0`
/// (<https://man7.org/linux/man-pages/man2/listen.2.html>)
pub fn listen(sock: &Socket, backlog: i32) -> Result<()> {
    call(
        "listen",
        || vec![Arg::fd(sock.fd()), Arg::int("backlog", backlog).blamed()],
        || Backlog::new(backlog).and_then(|backlog| nix_socket::listen(sock, backlog)),
        |()| Told::new(0, Note::Listen { backlog }),
    )?;
    sock.kind.set(Kind::Listening);
    show_state(sock.fd(), StateCheck::After);
    Ok(())
}

/// `accept(2)`: accept a connection on a socket.
///
/// Layer: transport (OSI 4: opening a connection is OSI's transport service, T-CONNECT, ITU-T
/// X.214; the session layer, 5, is dialogue control, which TCP/IP leaves to the application).
/// Takes the first
/// connection whose handshake the kernel has completed off the listening socket's queue and
/// returns a new descriptor for it; blocks while the queue is empty (a non-blocking socket
/// returns EAGAIN instead). The listening socket goes on listening. Nothing goes on the wire:
/// SYN, SYN-ACK and ACK were exchanged before.
///
/// nix passes NULL for the address, so strace shows `accept(3, NULL, NULL) = 4`; ask
/// [`getpeername`] who the client is.
/// (<https://man7.org/linux/man-pages/man2/accept.2.html>)
pub fn accept(listen_sock: &Socket) -> Result<Socket> {
    let args = || {
        vec![
            Arg::fd(listen_sock.fd()),
            Arg::shown("addr", "NULL"),
            Arg::shown("addrlen", "NULL"),
        ]
    };
    let conn_fd = call(
        "accept",
        args,
        || nix_socket::accept(listen_sock.fd()),
        |&conn_fd| Told::new(conn_fd, Note::Accept),
    )?;
    show_state(conn_fd, StateCheck::After);
    Ok(Socket::owning(conn_fd, Kind::Stream))
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
    let note = match sock.kind() {
        Kind::Datagram => Note::ConnectDatagram { addr: *addr },
        _ => Note::Connect { addr: *addr },
    };
    to_addr(sock, addr, "connect", nix_socket::connect, note)?;
    // A UDP socket has no TCP state to ask for (TCP_INFO would say EOPNOTSUPP).
    if sock.kind().is_tcp() {
        show_state(sock.fd(), StateCheck::After);
    }
    Ok(())
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
    shutdown(sock.fd(), nix_socket::Shutdown::Write)?;
    lock(&sock.fin).sent = true;
    Ok(())
}

/// `shutdown(2)` with `SHUT_RDWR`: shut down both halves of a full-duplex connection.
///
/// Layer: transport (OSI 4). As `SHUT_WR` (a FIN follows the queued data), and receiving ends
/// too: a `recv()` blocked on this socket, in any thread, returns 0 at once, and a blocked
/// `send()` fails with EPIPE. That is how one thread wakes another blocked on a socket without
/// closing the descriptor under it. The descriptor stays open until `close()`.
///
/// Made by another thread than the socket's owner, through its [`Shutter`], so that the
/// owner's `close()` says that our FIN has gone already. The two cannot cross: the record of
/// the FIN stays locked for the time of the call, and once the owner has started to close the
/// socket (its `close()` ends the connection, and says so), the call is not made at all.
///
/// strace: `shutdown(5, SHUT_RDWR) = 0`
/// (<https://man7.org/linux/man-pages/man2/shutdown.2.html>)
pub fn shutdown_both(sock: &Shutter) -> Result<()> {
    let mut fin = lock(&sock.fin);
    if fin.closing {
        return Ok(());
    }
    shutdown(sock.fd, nix_socket::Shutdown::Both)?;
    fin.sent = true;
    Ok(())
}

/// The one place `shutdown()` is called.
fn shutdown(fd: RawFd, how: nix_socket::Shutdown) -> Result<()> {
    let (how_name, note) = match how {
        nix_socket::Shutdown::Write => ("SHUT_WR", Note::ShutdownWrite),
        nix_socket::Shutdown::Read => ("SHUT_RD", Note::ShutdownBoth),
        nix_socket::Shutdown::Both => ("SHUT_RDWR", Note::ShutdownBoth),
    };
    call(
        "shutdown",
        || vec![Arg::fd(fd), Arg::shown("how", how_name).blamed()],
        || nix_socket::shutdown(fd, how),
        |()| Told::new(0, note),
    )?;
    show_state(fd, StateCheck::After);
    Ok(())
}

/// `close(2)`: close a file descriptor.
///
/// Layer: transport (OSI 4). Releases the descriptor. When it was the last one on the
/// connection, TCP ends it: a FIN goes out (or a RST, if received bytes were left unread), and
/// the side that closed first waits in TIME_WAIT. When another process still holds a copy (the
/// fork model's parent, after `fork()`), nothing goes out: the connection lives on in the
/// other process. After `shutdown(SHUT_WR)` our FIN has gone already: no second one.
///
/// strace: `close(4) = 0`
/// (<https://man7.org/linux/man-pages/man2/close.2.html>)
pub fn close(sock: Socket) -> Result<()> {
    // ManuallyDrop: the descriptor is closed here, so the Socket's Drop must not close it again.
    let sock = std::mem::ManuallyDrop::new(sock);
    close_fd(&sock)
}

/// `close()` of a socket's descriptor.
fn close_fd(sock: &Socket) -> Result<()> {
    let fd = sock.fd;
    // First settle whether our FIN has gone (no other thread shuts the socket down from here
    // on), so that the state read below and the close's note cannot tell two stories.
    let note = sock.close_note();
    if sock.kind().is_tcp() {
        // After close() the descriptor is gone and nothing can be asked about it: ask before,
        // and let the narration say what close() will do from that state.
        let check = match sock.held_elsewhere.get() {
            Some(holder) => StateCheck::BeforeSharedClose(holder),
            None => StateCheck::BeforeClose,
        };
        show_state(fd, check);
    }
    // Even a failed close() releases the descriptor on Linux: never retry it.
    call(
        "close",
        || vec![Arg::fd(fd)],
        || nix::unistd::close(fd),
        |()| Told::new(0, note),
    )
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
    close(Socket::owning(epoll_fd, Kind::Epoll))
}

/// Why the TCP state is asked: after a call that moves it, or just before `close()`.
/// `getsockname(2)`: get the local address of a socket.
///
/// Layers: transport and internet (OSI 4 + 3). Tells the local IP address and port, such as the
/// port the kernel chose when the server bound port 0.
///
/// strace: `getsockname(3, {sa_family=AF_INET, sin_port=htons(40123), ...}, [128 => 16]) = 0`
/// (<https://man7.org/linux/man-pages/man2/getsockname.2.html>)
pub fn getsockname(sock: &Socket) -> Result<SocketAddr> {
    ask_name(sock, "getsockname", nix_socket::getsockname, |addr| {
        Note::LocalAddr { addr }
    })
}

/// `getpeername(2)`: get the address of the peer connected to a socket.
///
/// Layers: transport and internet (OSI 4 + 3). Tells the other end's IP address and port: for a
/// server, the client's address, which the course's Python `accept()` returns.
///
/// strace: `getpeername(4, {sa_family=AF_INET, sin_port=htons(53422), ...}, [128 => 16]) = 0`
/// (<https://man7.org/linux/man-pages/man2/getpeername.2.html>)
pub fn getpeername(sock: &Socket) -> Result<SocketAddr> {
    ask_name(sock, "getpeername", nix_socket::getpeername, |addr| {
        Note::PeerAddr { addr }
    })
}

/// `getsockname` or `getpeername` (`ask`): the kernel fills a `sockaddr_storage`, which holds an
/// IPv4 or IPv6 address.
fn ask_name(
    sock: &Socket,
    name: &'static str,
    ask: fn(RawFd) -> nix::Result<SockaddrStorage>,
    note: fn(SocketAddr) -> Note,
) -> Result<SocketAddr> {
    let entered = Entered::enter(name, || name_args(sock, None))?;
    let result = ask(sock.fd()).and_then(to_std);
    entered.exit(
        result,
        |result| name_args(sock, Some(result)),
        |&addr| Told::new(0, note(addr)),
    )
}

/// strace's arguments of getsockname and getpeername: the address and `[128 => 16]`.
fn name_args(sock: &Socket, result: Option<&nix::Result<SocketAddr>>) -> Vec<Arg> {
    let storage_len = std::mem::size_of::<libc::sockaddr_storage>();
    match result {
        // Before the call: the buffer is not filled yet.
        None => vec![
            Arg::fd(sock.fd()),
            Arg::shown("addr", "..."),
            Arg::shown("addrlen", format!("[{storage_len}]")),
        ],
        Some(Ok(addr)) => vec![
            Arg::fd(sock.fd()),
            Arg::addr("addr", addr),
            Arg::shown(
                "addrlen",
                format!("[{storage_len} => {}]", sockaddr_len(addr)),
            ),
        ],
        Some(Err(_)) => vec![
            Arg::fd(sock.fd()),
            Arg::shown("addr", "NULL"),
            Arg::shown("addrlen", format!("[{storage_len}]")),
        ],
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
pub(crate) fn to_std(storage: SockaddrStorage) -> nix::Result<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        Ok(SocketAddr::from(*v4))
    } else if let Some(v6) = storage.as_sockaddr_in6() {
        Ok(SocketAddr::from(*v6))
    } else {
        Err(Errno::EAFNOSUPPORT)
    }
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
    let args = || {
        vec![
            Arg::fd(listen_sock.fd()),
            Arg::shown("addr", "NULL"),
            Arg::shown("addrlen", "NULL"),
            Arg::shown("flags", flag_names).blamed(),
        ]
    };
    let conn_fd = call(
        "accept4",
        args,
        || nix_socket::accept4(listen_sock.fd(), flags),
        |&conn_fd| Told::new(conn_fd, Note::Accept),
    )?;
    show_state(conn_fd, StateCheck::After);
    Ok(Socket::owning(conn_fd, Kind::Stream))
}
