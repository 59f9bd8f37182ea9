//! A wrong fix of kata 8 · short_send · `send(2)`'s return value · application ↔ transport (OSI 7 ↔ 4)
//!
//! `send()` copies bytes into the socket's send buffer and returns how many it took. When the
//! peer reads slowly, the buffers on both sides fill up; a blocking `send()` then waits for
//! room, unless a signal interrupts it or, as here, its `SO_SNDTIMEO` runs out: it returns the
//! count copied so far, fewer than asked. A program that ignores that count silently drops the
//! rest: the classic bug of socket tutorials (the course's `n != len` check).
//!
//! This server answers `go\n` with 8 MiB. The scenario's client has a small receive buffer
//! (64 KiB), and waits 600 ms before it reads, longer than the server's send timeout.
//!
//! Check it: `sockstep kata check short_send`; stuck: `sockstep kata hint short_send`.
//!
//! Wrong on purpose: removes the send timeout, so that send() waits for the slow client: no short send is seen, the count is still ignored. `sockstep kata verify`
//! checks that the scenario rejects it.

use std::process::ExitCode;
use std::time::Duration;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::sys::{self, SockOpt};

/// The reply's length.
pub const REPLY_LEN: usize = 8 << 20;

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    // Bytes 0, 1, 2... 250, 0, 1...: a reply whose every byte says where it belongs.
    let data: Vec<u8> = (0..REPLY_LEN).map(|i| (i % 251) as u8).collect();
    let listen_fd = harness::listener(ctx)?;
    loop {
        let conn_fd = sys::accept(&listen_fd)?;
        // No send() may wait more than 500 ms for room: a slow client must not hold the server.
        sys::setsockopt(&conn_fd, SockOpt::SendTimeout(Duration::ZERO))?;
        let mut buf = [0u8; BUF_SIZE];
        sys::recv(&conn_fd, &mut buf)?;
        // TODO: send() says how many bytes it took. What about the others?
        sys::send(&conn_fd, &data)?;
        sys::close(conn_fd)?;
    }
}
