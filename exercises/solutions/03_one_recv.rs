//! Solution of kata 3 · one_recv · `recv(2)` · application ↔ transport (OSI 7 ↔ 4)
//!
//! TCP carries a stream of bytes, not messages. The server's `BONJOUR\n` may arrive in one
//! segment or in eight, and one `recv()` returns whatever has arrived so far: on loopback it is
//! usually the whole line, which is why this bug survives every test on a laptop and appears on
//! a slow network. This client sends `bonjour\n` and must print the whole reply line.
//!
//! The scenario's server answers one byte per segment, and sends the next byte only once the
//! client has read the previous one.
//!
//! Check it: `sockstep kata check one_recv`; stuck: `sockstep kata hint one_recv`.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys::{self, Blocking};

pub fn main() -> ExitCode {
    harness::client(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let sock = sys::socket(&ctx.peer, Blocking::Yes)?;
    sys::connect(&sock, &ctx.peer)?;
    send_all(Io::SendRecv, &sock, b"bonjour\n")?;
    let mut buf = [0u8; BUF_SIZE];
    let mut reply = Vec::new();
    // One recv() is not one message: call it again until the line is whole (or the server
    // closed, 0).
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
