//! Kata 13 · zombies · `waitpid(2)` · process management
//!
//! A child that has exited does not vanish: the kernel keeps its process-table entry, with its
//! exit status, until the parent collects it with `waitpid()`. Until then it is a zombie (`Z` in
//! `ps`, `<defunct>`). A forked server that never collects its children keeps one zombie per
//! client served, until the table of processes, or the user's limit of them, is full and
//! `fork()` fails with EAGAIN. Collecting them with WNOHANG after each `accept()` is UNP's
//! simplest way (a SIGCHLD handler is the other).
//!
//! The scenario serves one client, waits until its child is a zombie, then serves a second
//! client, and expects the first child to be gone.
//!
//! Check it: `sockstep kata check zombies`; stuck: `sockstep kata hint zombies`.

use std::process::ExitCode;

use nix::unistd::ForkResult;
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
        // SAFETY: this program has one thread.
        match unsafe { sys::fork() }? {
            ForkResult::Child => {
                let status = match serve(conn_fd) {
                    Ok(()) => 0,
                    Err(_) => 1,
                };
                sys::exit(status);
            }
            ForkResult::Parent { child } => {
                eprintln!("kata: child {child} serves the connection");
                sys::close(conn_fd)?;
            }
        }
        // TODO: the children that have exited stay zombies until collected.
    }
}

/// The parrot, for one client, until it leaves.
fn serve(conn_fd: Socket) -> Result<(), Error> {
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
