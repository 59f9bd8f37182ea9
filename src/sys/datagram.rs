//! The datagram calls: `recvfrom` and `sendto`, which carry the other end's address with each
//! datagram, since a UDP socket has no connection to remember it.

use std::net::SocketAddr;

use nix::errno::Errno;
use nix::sys::socket::{
    self as nix_socket, MsgFlags, SockaddrIn, SockaddrIn6, SockaddrLike, SockaddrStorage,
};

use super::socket::to_std;
use super::{Entered, Result, Socket, call};
use crate::narrate::{Arg, Told, sockaddr_len};
use crate::text::Note;

/// One datagram as `recvfrom` delivered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// The bytes now in the buffer: the datagram, or its first `buf.len()` bytes.
    pub kept: usize,
    /// The datagram's real length (`MSG_TRUNC`): more than `kept` when it was cut.
    pub len: usize,
    /// Who sent it: the address to answer.
    pub from: SocketAddr,
}

impl Datagram {
    /// Was the datagram longer than the buffer? Its end is lost: a datagram is read whole or
    /// cut, never in pieces.
    pub fn truncated(&self) -> bool {
        self.len > self.kept
    }
}

/// `recvfrom(2)` with `MSG_TRUNC`: receive one datagram, and the address it came from.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). Takes the first datagram of the
/// socket's receive queue, whole: UDP keeps each datagram's boundaries, so one call is one
/// datagram, never part of one nor two. A datagram longer than the buffer is cut, and the rest
/// is lost; with `MSG_TRUNC` Linux returns the datagram's real length, so that the program
/// knows (without it, the return value would be the buffer's length, and the cut silent).
/// Blocks while the queue is empty (EAGAIN on a non-blocking socket, or after `SO_RCVTIMEO`).
///
/// strace: `recvfrom(3, "bonjour\n", 1024, MSG_TRUNC, {sa_family=AF_INET,
/// sin_port=htons(40000), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 8`
/// (<https://man7.org/linux/man-pages/man2/recvfrom.2.html>)
pub fn recvfrom(sock: &Socket, buf: &mut [u8]) -> Result<Datagram> {
    let len = buf.len();
    let entered = Entered::enter("recvfrom", || recvfrom_args(sock, None, len))?;
    let result = receive(sock, buf);
    entered.exit(
        result,
        |result| {
            recvfrom_args(
                sock,
                Some(result.as_ref().map(|d| (&buf[..d.kept], d))),
                len,
            )
        },
        |d| {
            let note = Note::ReceivedFrom {
                kept: d.kept,
                len: d.len,
                from: d.from,
            };
            Told::new(d.len as i64, note).bytes(&buf[..d.kept])
        },
    )
}

/// The call itself. nix's `recvfrom` takes no flags, so this one is libc's.
fn receive(sock: &Socket, buf: &mut [u8]) -> nix::Result<Datagram> {
    // SAFETY: zeroed sockaddr_storage is a valid "no address yet".
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut addrlen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `buf` is writable for `buf.len()` bytes; `storage` and `addrlen` are valid for
    // the kernel to fill, and `addrlen` says the storage's size.
    let n = unsafe {
        libc::recvfrom(
            sock.fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_TRUNC,
            (&raw mut storage).cast(),
            &mut addrlen,
        )
    };
    let len = usize::try_from(Errno::result(n)?).map_err(|_| Errno::EOVERFLOW)?;
    // SAFETY: the kernel filled `addrlen` bytes of `storage`.
    let from = unsafe { SockaddrStorage::from_raw((&raw const storage).cast(), Some(addrlen)) }
        .ok_or(Errno::EAFNOSUPPORT)
        .and_then(to_std)?;
    Ok(Datagram {
        kept: len.min(buf.len()),
        len,
        from,
    })
}

/// recvfrom's arguments as strace prints them, before the call (`...`) and after.
fn recvfrom_args(
    sock: &Socket,
    result: Option<std::result::Result<(&[u8], &Datagram), &Errno>>,
    len: usize,
) -> Vec<Arg> {
    let storage_len = std::mem::size_of::<libc::sockaddr_storage>();
    let (buf, addr, addrlen) = match result {
        Some(Ok((data, d))) => (
            Arg::bytes("buf", data),
            Arg::addr("src_addr", &d.from),
            format!("[{storage_len} => {}]", sockaddr_len(&d.from)),
        ),
        _ => (
            Arg::shown("buf", "..."),
            Arg::shown("src_addr", "..."),
            format!("[{storage_len}]"),
        ),
    };
    vec![
        Arg::fd(sock.fd()),
        buf,
        Arg::int("len", len as i64),
        Arg::shown("flags", "MSG_TRUNC"),
        addr,
        Arg::shown("addrlen", addrlen),
    ]
}

/// `sendto(2)`: send one datagram to an address.
///
/// Layer: the application ↔ transport boundary (OSI 7 ↔ 4). UDP puts the bytes, whole, in
/// one datagram with an 8-byte header (ports, length, checksum), and IP routes it to `to`. It
/// is all or nothing: a datagram is never sent in part (too big for UDP: EMSGSIZE). Nothing
/// confirms that it arrived, and nothing sends it again if it is lost.
///
/// strace: `sendto(3, "BONJOUR\n", 8, 0, {sa_family=AF_INET, sin_port=htons(40000),
/// sin_addr=inet_addr("127.0.0.1")}, 16) = 8`
/// (<https://man7.org/linux/man-pages/man2/sendto.2.html>)
pub fn sendto(sock: &Socket, data: &[u8], to: &SocketAddr) -> Result<usize> {
    let args = || {
        vec![
            Arg::fd(sock.fd()),
            Arg::bytes("buf", data).blamed_as(format!("{} bytes", data.len())),
            Arg::int("len", data.len() as i64),
            Arg::shown("flags", "0"),
            Arg::addr("dest_addr", to),
            Arg::int("addrlen", sockaddr_len(to) as i64),
        ]
    };
    call(
        "sendto",
        args,
        || match to {
            SocketAddr::V4(v4) => {
                nix_socket::sendto(sock.fd(), data, &SockaddrIn::from(*v4), MsgFlags::empty())
            }
            SocketAddr::V6(v6) => {
                nix_socket::sendto(sock.fd(), data, &SockaddrIn6::from(*v6), MsgFlags::empty())
            }
        },
        |&n| Told::new(n as i64, Note::SentTo { n, to: *to }).bytes(&data[..n]),
    )
}
