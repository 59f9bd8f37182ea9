//! A wrong fix of kata 14 · interrupted · EINTR, a signal in a blocking call · application ↔ transport (OSI 7 ↔ 4)
//!
//! A blocking `accept()` or `recv()` sleeps in the kernel until a client or its bytes come. When
//! a signal arrives meanwhile and its handler was installed without `SA_RESTART`, the kernel
//! runs the handler, then makes the call return -1 with EINTR: nothing was accepted, nothing was
//! received, nothing went wrong. A program that takes that EINTR for a failure ends for a
//! timer, a child's exit (SIGCHLD), a terminal resized (SIGWINCH)... The C loop
//! `while ((n = recv(fd, buf, 1024, 0)) > 0)` has the same bug: -1 ends the dialogue.
//!
//! The scenario starts this server with `--interrupt 10`, sockstep's fault: SIGALRM every 10 ms,
//! from an interval timer, with a handler without `SA_RESTART` (as `sockstep server --interrupt
//! 10`). It lets the server wait in `accept()`, then in `recv()`, through some twenty alarms
//! each; then a client resets its connection (RST), and that error must be reported, not hidden.
//!
//! Check it: `sockstep kata check interrupted`; stuck: `sockstep kata hint interrupted`.
//!
//! Wrong on purpose: makes the call again after any error, not only EINTR: the server survives the alarms, but a client's reset (ECONNRESET) is hidden, never reported. `sockstep kata verify`
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
        let conn_fd = wait_for(|| sys::accept(&listen_fd))?;
        // One client's error ends its dialogue, not the server (kata 10).
        if let Err(error) = serve(&conn_fd) {
            eprintln!("kata: client lost: {error}");
        }
        sys::close(conn_fd)?;
    }
}

/// The parrot's dialogue with one client, until it shuts its side down.
fn serve(conn_fd: &Socket) -> Result<(), Error> {
    let mut buf = [0u8; BUF_SIZE];
    loop {
        let n = wait_for(|| sys::recv(conn_fd, &mut buf))?;
        if n == 0 {
            return Ok(());
        }
        send_all(Io::SendRecv, conn_fd, &buf[..n].to_ascii_uppercase())?;
    }
}

/// Makes a blocking call (`accept`, `recv`), one that may wait a long time for a client.
fn wait_for<T>(mut call: impl FnMut() -> sys::Result<T>) -> sys::Result<T> {
    // Wrong: every error is taken for an interruption.
    loop {
        if let Ok(done) = call() {
            return Ok(done);
        }
    }
}
