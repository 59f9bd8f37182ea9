//! Solution of kata 9 · utf8_cut · `recv(2)` cuts anywhere · application layer (OSI 7)
//!
//! `é` is two bytes in UTF-8, `c3 a9`, and TCP may deliver them in two segments: one `recv()`
//! ends with `c3`, the next starts with `a9`. Decoding each `recv()` on its own turns both
//! halves into U+FFFD, the replacement character `�`. A French parrot mangles every accent
//! that lands on a segment boundary: rarely on loopback, often on a real network. The bytes of
//! an incomplete character at the end of a `recv()` must wait for the next one.
//!
//! The scenario sends `caf` and the first byte of `é`, waits until the server has read them,
//! then sends the second byte and `\n`.
//!
//! Check it: `sockstep kata check utf8_cut`; stuck: `sockstep kata hint utf8_cut`.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys;

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let listen_fd = harness::listener(ctx)?;
    loop {
        let conn_fd = sys::accept(&listen_fd)?;
        let mut buf = [0u8; BUF_SIZE];
        // Bytes received and not decoded yet: the start of a character cut by recv().
        let mut pending = Vec::new();
        loop {
            let n = sys::recv(&conn_fd, &mut buf)?;
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&buf[..n]);
            // An incomplete character at the end (no error length: more bytes may complete
            // it) waits for the next recv(); invalid bytes are replaced as before.
            let cut = match std::str::from_utf8(&pending) {
                Err(e) if e.error_len().is_none() => pending.len() - e.valid_up_to(),
                _ => 0,
            };
            let whole: Vec<u8> = pending.drain(..pending.len() - cut).collect();
            let text = String::from_utf8_lossy(&whole).to_uppercase();
            send_all(Io::SendRecv, &conn_fd, text.as_bytes())?;
        }
        sys::close(conn_fd)?;
    }
}
