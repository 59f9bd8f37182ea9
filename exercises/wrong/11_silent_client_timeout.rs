//! A wrong fix of kata 11 · silent_client · `accept(2)` and a blocking `recv(2)` · the server's model
//!
//! The course's server is iterative: it accepts a client and serves it until it leaves, and
//! only then calls `accept()` again. A client that connects and says nothing (a person who went
//! for coffee, a port scanner, an attacker) keeps the server blocked in `recv()`: every other
//! client waits in the listen queue, its connection established by the kernel, unanswered.
//! Serving each client in its own thread lets `accept()` go on while one `recv()` waits.
//!
//! The scenario connects a client that stays silent, then a second one that says `bonjour`.
//!
//! Check it: `sockstep kata check silent_client`; stuck: `sockstep kata hint silent_client`.
//!
//! Wrong on purpose: a receive timeout drops the silent client: the others wait less, but still one at a time. `sockstep kata verify`
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
        if let Err(error) = serve(conn_fd) {
            eprintln!("kata: client: {error}");
        }
    }
}

/// The parrot, for one client, until it leaves.
fn serve(conn_fd: Socket) -> Result<(), Error> {
    sys::setsockopt(
        &conn_fd,
        sys::SockOpt::RecvTimeout(std::time::Duration::from_millis(100)),
    )?;
    let mut buf = [0u8; BUF_SIZE];
    loop {
        let n = sys::recv(&conn_fd, &mut buf)?;
        if n == 0 {
            break;
        }
        send_all(Io::SendRecv, &conn_fd, &buf[..n].to_ascii_uppercase())?;
    }
    sys::close(conn_fd)?;
    Ok(())
}
