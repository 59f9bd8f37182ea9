//! A wrong fix of kata 10 · epipe · `send(2)` fails with EPIPE · application ↔ transport (OSI 7 ↔ 4)
//!
//! A client asks for a long answer and leaves halfway. Its kernel answers the next segments
//! with RST, and the server's next `send()` fails: ECONNRESET, then EPIPE. (A C program would
//! be killed by SIGPIPE first; Rust programs ignore SIGPIPE and see the errno.) That error is
//! the client's, not the server's: a server that lets it end the accept loop dies because one
//! client left early, and every later client finds the port closed.
//!
//! This server answers `N\n` with N blocks of 64 KiB. The scenario's first client asks for
//! 10000 blocks, reads one `recv()`, and closes; the second asks for 2.
//!
//! Check it: `sockstep kata check epipe`; stuck: `sockstep kata hint epipe`.
//!
//! Wrong on purpose: ignores every send() error: the server survives, but goes on sending into a dead connection. `sockstep kata verify`
//! checks that the scenario rejects it.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys::{self, Socket};

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let listen_fd = harness::listener(ctx)?;
    loop {
        let conn_fd = sys::accept(&listen_fd)?;
        serve(conn_fd)?;
    }
}

/// Reads `N\n` and sends N blocks of 64 KiB.
fn serve(conn_fd: Socket) -> Result<(), Error> {
    let mut buf = [0u8; BUF_SIZE];
    let n = sys::recv(&conn_fd, &mut buf)?;
    let blocks: usize = String::from_utf8_lossy(&buf[..n])
        .trim()
        .parse()
        .unwrap_or(0);
    let block = vec![b'x'; 64 * 1024];
    for _ in 0..blocks {
        let _ = send_all(Io::SendRecv, &conn_fd, &block);
    }
    sys::close(conn_fd)?;
    Ok(())
}
