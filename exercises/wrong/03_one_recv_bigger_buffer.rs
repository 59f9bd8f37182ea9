//! A wrong fix of kata 3 · one_recv · `recv(2)` · application ↔ transport (OSI 7 ↔ 4)
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
//!
//! Wrong on purpose: a bigger buffer and a pause before the one recv(): the bytes are still not there. `sockstep kata verify`
//! checks that the scenario rejects it.

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
    let mut buf = vec![0u8; 64 * BUF_SIZE];
    std::thread::sleep(std::time::Duration::from_millis(200));
    let n = sys::recv(&sock, &mut buf)?;
    harness::print(&buf[..n]);
    sys::close(sock)?;
    Ok(())
}
