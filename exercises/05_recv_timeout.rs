//! Kata 5 · recv_timeout · `setsockopt(SO_RCVTIMEO)` · transport layer (OSI 4)
//!
//! A blocking `recv()` waits until bytes come or the peer closes. A server that accepted the
//! connection and then hangs (a deadlock, a stopped process, a machine gone without a word)
//! sends neither: the client waits for ever, and so does the person in front of it. TCP's
//! keepalive would notice after two hours. `SO_RCVTIMEO` bounds each `recv()`: once the time is
//! up it fails with EAGAIN, and the client can say so and give up.
//!
//! The scenario's server accepts, reads the request, and never answers. This client must give
//! up within a second, with an error that names `recv` and EAGAIN (the harness prints the error
//! `run` returns).
//!
//! Check it: `sockstep kata check recv_timeout`; stuck: `sockstep kata hint recv_timeout`.

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
    // TODO: this recv() waits for ever if the server never answers. Bound it to 500 ms.
    let mut buf = [0u8; BUF_SIZE];
    let n = sys::recv(&sock, &mut buf)?;
    harness::print(&buf[..n]);
    sys::close(sock)?;
    Ok(())
}
