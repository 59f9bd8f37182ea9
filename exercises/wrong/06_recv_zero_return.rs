//! A wrong fix of kata 6 · recv_zero · `recv(2)` returns 0 · application ↔ transport (OSI 7 ↔ 4)
//!
//! When the client closes its side, its FIN arrives, and from then on every `recv()` returns 0
//! at once: no error, no byte, the end of the stream. A loop that does not look for that 0
//! never ends: it spins, calling `recv()` as fast as the CPU allows, never closes the
//! connection (the client never sees the server's FIN) and never goes back to `accept()`.
//!
//! The scenario sends a line, shuts its side down, waits for the server's FIN, then connects a
//! second client.
//!
//! Check it: `sockstep kata check recv_zero`; stuck: `sockstep kata hint recv_zero`.
//!
//! Wrong on purpose: leaves the whole server at recv() = 0, instead of the connection. `sockstep kata verify`
//! checks that the scenario rejects it.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys;

/// The most one client may send; past it, the server hangs up.
const MAX_PER_CLIENT: usize = 1 << 20;

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let listen_fd = harness::listener(ctx)?;
    loop {
        let conn_fd = sys::accept(&listen_fd)?;
        let mut buf = [0u8; BUF_SIZE];
        let mut received = 0;
        while received < MAX_PER_CLIENT {
            let n = sys::recv(&conn_fd, &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            send_all(Io::SendRecv, &conn_fd, &buf[..n].to_ascii_uppercase())?;
            received += n;
        }
        sys::close(conn_fd)?;
    }
}
