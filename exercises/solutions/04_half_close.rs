//! Solution of kata 4 · half_close · `shutdown(2)` · transport layer (OSI 4)
//!
//! This client sends three lines to a server that counts them, as `wc -l` or `sort` would: the
//! server can answer only once it knows that no more lines will come, that is when its `recv()`
//! returns 0, when this client's FIN arrives. The client, meanwhile, waits in `recv()` for the
//! answer. Each waits for the other, for ever. `close()` would send the FIN but also give up
//! the socket, and the answer with it; `shutdown(SHUT_WR)` sends the FIN and keeps the
//! receiving half open.
//!
//! Check it: `sockstep kata check half_close`; stuck: `sockstep kata hint half_close`.

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
    for line in [&b"un\n"[..], b"deux\n", b"trois\n"] {
        send_all(Io::SendRecv, &sock, line)?;
    }
    // FIN →: the server's recv() returns 0 and it answers; this end can still receive.
    sys::shutdown_write(&sock)?;
    let mut buf = [0u8; BUF_SIZE];
    loop {
        let n = sys::recv(&sock, &mut buf)?;
        if n == 0 {
            break;
        }
        harness::print(&buf[..n]);
    }
    sys::close(sock)?;
    Ok(())
}
