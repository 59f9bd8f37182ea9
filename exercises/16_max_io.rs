//! Kata 16 · max_io · `send(2)`'s return value, on demand · application ↔ transport (OSI 7 ↔ 4)
//!
//! `send()` returns how many bytes the kernel took, and that may be fewer than given: the
//! course's Python client compares it with the length (`n != len(message)`) and prints
//! « Erreur envoi. ». On loopback, a short line is always taken whole, so a client that ignores
//! the count works every time, until it does not. Kata 8 made a short send happen with a slow
//! reader and a send timeout; this one makes it happen on demand: `--max-io N`, sockstep's
//! fault (`sockstep server --max-io 1`, docs/src/faults.md), hands the kernel at most N bytes per
//! `recv()` or `send()`, and the kernel really does a short write.
//!
//! This client sends `bonjour\n` with one `send()` and prints the server's reply line. The
//! scenario runs it with `--max-io 1`: its `send()` takes one byte, and the scenario's server
//! says what came. The reply is read by a loop that is already right (kata 3's lesson: under
//! `--max-io 1` every `recv()` brings one byte too), so the one thing to fix is the sending.
//!
//! Check it: `sockstep kata check max_io`; stuck: `sockstep kata hint max_io`.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::sys::{self, Blocking};

pub fn main() -> ExitCode {
    harness::client(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let sock = sys::socket(&ctx.peer, Blocking::Yes)?;
    sys::connect(&sock, &ctx.peer)?;
    let line = b"bonjour\n";
    // TODO: send() returns how many bytes it took, and it may be fewer than line.len().
    sys::send(&sock, line)?;
    // The reply, read until its '\n' (or the end of the stream): one recv() is not one line.
    let mut buf = [0u8; BUF_SIZE];
    let mut reply = Vec::new();
    while !reply.ends_with(b"\n") {
        let n = sys::recv(&sock, &mut buf)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    harness::print(&reply);
    sys::close(sock)?;
    Ok(())
}
