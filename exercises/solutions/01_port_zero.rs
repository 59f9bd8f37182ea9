//! Solution of kata 1 · port_zero · `getsockname(2)` · transport + internet layers (OSI 4 + 3)
//!
//! A server binds port 0 to let the kernel pick any free port: tests and scripts do that so
//! that two runs never fight over 6789. But the address given to `bind()` still says port 0,
//! and a server that prints it tells its clients to connect to port 0, where nobody listens.
//! Only the kernel knows which port it gave: `getsockname()` asks it.
//!
//! The scenario reads this server's `listening on IP:PORT` line, connects there and expects
//! `bonjour\n`.
//!
//! Check it: `sockstep kata check port_zero`; stuck: `sockstep kata hint port_zero`.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BACKLOG, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys::{self, Blocking, SockOpt};

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let listen_fd = sys::socket(&ctx.addr, Blocking::Yes)?;
    sys::setsockopt(&listen_fd, SockOpt::ReuseAddr(true))?;
    sys::bind(&listen_fd, &ctx.addr)?;
    sys::listen(&listen_fd, BACKLOG)?;
    // Port 0 asked for any free port: only the kernel knows which one it gave.
    let server_addr = sys::getsockname(&listen_fd)?;
    harness::listening_on(server_addr);
    let conn_fd = sys::accept(&listen_fd)?;
    send_all(Io::SendRecv, &conn_fd, b"bonjour\n")?;
    sys::close(conn_fd)?;
    sys::close(listen_fd)?;
    Ok(())
}
