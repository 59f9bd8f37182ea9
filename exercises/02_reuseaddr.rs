//! Kata 2 · reuseaddr · `setsockopt(SO_REUSEADDR)` · transport layer (OSI 4)
//!
//! This server sends `bonjour\n` and closes the connection first, as HTTP/1.0 and daytime
//! servers do. The side that closes first keeps the connection in TIME_WAIT for a minute
//! (twice the segments' maximum lifetime), and while it lasts the kernel refuses to `bind()`
//! the port again: the server, restarted after a crash or an update, dies on EADDRINUSE.
//! `SO_REUSEADDR` lets `bind()` take a port whose old connections are only in TIME_WAIT; it must
//! be set before `bind()`, which is where the kernel checks.
//!
//! The scenario runs this server, talks to it, and starts it again on the same port.
//!
//! Check it: `sockstep kata check reuseaddr`; stuck: `sockstep kata hint reuseaddr`.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BACKLOG, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys::{self, Blocking};

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let listen_fd = sys::socket(&ctx.addr, Blocking::Yes)?;
    // TODO: a restart within TIME_WAIT fails in bind() below. What must be said before it?
    sys::bind(&listen_fd, &ctx.addr)?;
    sys::listen(&listen_fd, BACKLOG)?;
    harness::listening_on(sys::getsockname(&listen_fd)?);
    let conn_fd = sys::accept(&listen_fd)?;
    send_all(Io::SendRecv, &conn_fd, b"bonjour\n")?;
    // The server closes first: its end of the connection goes to TIME_WAIT.
    sys::close(conn_fd)?;
    sys::close(listen_fd)?;
    Ok(())
}
