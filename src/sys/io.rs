//! The calls that move bytes: `recv` and `send`, or `read` and `write` (`--io read-write`).

use nix::sys::socket::{self as nix_socket, MsgFlags};

use super::{Result, Socket, named};
use crate::narrate::{self, strace_bytes};
use crate::text::Note;

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
