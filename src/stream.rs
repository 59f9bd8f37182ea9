//! Moving bytes over a connected socket, for the blocking models and the client.
//!
//! The course names two pairs of calls for it, `read()`/`write()` and `send()`/`recv()`;
//! [`Io`] picks one (`--io`), and strace shows which. [`send_all`] is the course's `n != len`
//! check done right: a short send is not an error, it is the kernel saying "that much fits in
//! my buffer for now", and the rest must be sent too.

use nix::errno::Errno;

use crate::narrate::{self, Log};
use crate::signals;
use crate::sys::{self, Socket};
use crate::text::Msg;

/// Which pair of calls moves the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Io {
    /// `send()` and `recv()`: strace shows `sendto` and `recvfrom`.
    #[default]
    SendRecv,
    /// `write()` and `read()`, which work on any file descriptor.
    ReadWrite,
}

impl Io {
    /// Receives what has arrived, up to `buf.len()` bytes; 0 means the peer closed.
    pub fn recv(self, sock: &Socket, buf: &mut [u8]) -> sys::Result<usize> {
        match self {
            Io::SendRecv => sys::recv(sock, buf),
            Io::ReadWrite => sys::read(sock, buf),
        }
    }

    /// Sends what the kernel will take now; may take fewer bytes than given.
    pub fn send(self, sock: &Socket, data: &[u8]) -> sys::Result<usize> {
        match self {
            Io::SendRecv => sys::send(sock, data),
            Io::ReadWrite => sys::write(sock, data),
        }
    }
}

/// Sends all of `data` on a blocking socket, however many calls it takes.
///
/// A blocking `send()` waits until it has copied every byte into the send buffer, with two
/// exceptions: a signal that arrives after some bytes were copied, and a send timeout
/// (`SO_SNDTIMEO`). It then returns a partial count, and the course's Python client would report
/// « Erreur envoi. » and stop. Here the rest is sent and the short send logged. A signal that
/// arrives before any byte was copied gives `EINTR`: nothing was sent, so it is retried.
pub fn send_all(io: Io, sock: &Socket, data: &[u8]) -> sys::Result<()> {
    let mut sent = 0;
    while sent < data.len() {
        match io.send(sock, &data[sent..]) {
            Ok(n) => {
                if sent + n < data.len() {
                    narrate::log(
                        Log::Data,
                        Some(sock.fd()),
                        Msg::ShortSend {
                            sent: sent + n,
                            len: data.len(),
                        },
                    );
                }
                sent += n;
            }
            // A signal arrived before any byte was taken: nothing happened, try again.
            Err(e) if e.errno == Errno::EINTR => {
                signals::retrying(Some(sock.fd()), e.call);
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
