//! The calls that move bytes: `recv` and `send`, or `read` and `write` (`--io read-write`).

use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sys::socket::{self as nix_socket, MsgFlags};

use super::{Entered, Result, Socket, call};
use crate::narrate::{Arg, Told};
use crate::text::Note;

/// `--max-io N`: the most bytes one call moves; `usize::MAX` without the flag.
static MAX_IO: AtomicUsize = AtomicUsize::new(usize::MAX);

/// `--max-io N`: from now on `recv`, `read`, `send` and `write` hand the kernel at most `n`
/// bytes of their buffer (at least 1). The kernel then really does a short read or write:
/// strace shows `recvfrom(4, "b", 1, 0, NULL, NULL) = 1`, and the rest of the bytes wait in the
/// socket's buffer for the next call. Nothing is lost or invented, which is what a fake return
/// value (strace's `--inject=...:retval=`) could not promise: every loop that moves bytes must
/// already cope with short reads and writes, and this proves it does.
pub fn set_max_io(n: usize) {
    MAX_IO.store(n.max(1), Ordering::Relaxed);
}

/// How many bytes a call on a buffer of `len` bytes asks the kernel for: `len`, or less under
/// `--max-io`. A read that returns fewer than this drained the socket; fewer than `len` alone
/// proves nothing when `--max-io` cut the request.
pub fn asked(len: usize) -> usize {
    clamp(len).0
}

/// The length a call hands the kernel for a buffer of `len` bytes, and the length asked for
/// when `--max-io` cut it.
fn clamp(len: usize) -> (usize, Option<usize>) {
    let max = MAX_IO.load(Ordering::Relaxed);
    if len > max {
        (max, Some(len))
    } else {
        (len, None)
    }
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
    let (len, clamped_from) = clamp(buf.len());
    let buf = &mut buf[..len];
    let entered = Entered::enter("recv", || buf_args(sock, None, buf.len(), RECV_FLAGS))?;
    let result = nix_socket::recv(sock.fd(), buf, MsgFlags::empty());
    entered.exit(
        result,
        |result| buf_args(sock, Some(got(buf, result)), buf.len(), RECV_FLAGS),
        |&n| {
            Told::new(n as i64, Note::Received { n })
                .bytes(&buf[..n])
                .clamped_from(clamped_from)
        },
    )
}

/// recv's last three arguments: no flags, and no address to fill (`recvfrom`'s NULL, NULL).
const RECV_FLAGS: &[(&str, &str)] = &[("flags", "0"), ("src_addr", "NULL"), ("addrlen", "NULL")];

/// send's last three arguments: no flags, and no address (`sendto`'s NULL, 0).
const SEND_FLAGS: &[(&str, &str)] = &[("flags", "0"), ("dest_addr", "NULL"), ("addrlen", "0")];

/// The bytes a successful call put in `buf`.
fn got<'b>(buf: &'b [u8], result: &nix::Result<usize>) -> &'b [u8] {
    result.as_ref().map_or(&[][..], |&n| &buf[..n])
}

/// The arguments of the calls that move bytes: the descriptor, the buffer (strace shows `...`
/// for one not filled yet), its length, and the calls' further arguments.
fn buf_args(
    sock: &Socket,
    data: Option<&[u8]>,
    len: usize,
    further: &[(&'static str, &'static str)],
) -> Vec<Arg> {
    let mut args = vec![
        Arg::fd(sock.fd()),
        data.map_or(Arg::shown("buf", "..."), |data| Arg::bytes("buf", data)),
        Arg::int("len", len as i64),
    ];
    args.extend(further.iter().map(|&(name, shown)| Arg::shown(name, shown)));
    args
}

/// `read(2)`: read from a file descriptor.
///
/// The same as [`recv`] with no flags: a socket is a file descriptor, and `read()` works on
/// any. strace: `read(4, "bonjour\n", 1024) = 8`
/// (<https://man7.org/linux/man-pages/man2/read.2.html>)
pub fn read(sock: &Socket, buf: &mut [u8]) -> Result<usize> {
    let (len, clamped_from) = clamp(buf.len());
    let buf = &mut buf[..len];
    let entered = Entered::enter("read", || buf_args(sock, None, buf.len(), &[]))?;
    let result = nix::unistd::read(sock, buf);
    entered.exit(
        result,
        |result| buf_args(sock, Some(got(buf, result)), buf.len(), &[]),
        |&n| {
            Told::new(n as i64, Note::Received { n })
                .bytes(&buf[..n])
                .clamped_from(clamped_from)
        },
    )
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
    let (len, clamped_from) = clamp(data.len());
    let data = &data[..len];
    call(
        "send",
        || sent_args(sock, data, SEND_FLAGS),
        || nix_socket::send(sock.fd(), data, MsgFlags::empty()),
        |&n| {
            Told::new(n as i64, Note::Sent { n, len: data.len() })
                .bytes(&data[..n])
                .clamped_from(clamped_from)
        },
    )
}

/// The arguments of `send` and `write`; an error names the descriptor and the length.
fn sent_args(sock: &Socket, data: &[u8], further: &[(&'static str, &'static str)]) -> Vec<Arg> {
    let mut args = buf_args(sock, Some(data), data.len(), further);
    args[1] = Arg::bytes("buf", data).blamed_as(format!("{} bytes", data.len()));
    args
}

/// `write(2)`: write to a file descriptor.
///
/// The same as [`send`] with no flags. strace: `write(4, "BONJOUR\n", 8) = 8`
/// (<https://man7.org/linux/man-pages/man2/write.2.html>)
pub fn write(sock: &Socket, data: &[u8]) -> Result<usize> {
    let (len, clamped_from) = clamp(data.len());
    let data = &data[..len];
    call(
        "write",
        || sent_args(sock, data, &[]),
        || nix::unistd::write(sock, data),
        |&n| {
            Told::new(n as i64, Note::Sent { n, len: data.len() })
                .bytes(&data[..n])
                .clamped_from(clamped_from)
        },
    )
}
