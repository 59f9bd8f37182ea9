//! Kata 12 · fork_close · `close(2)` after `fork(2)` · process management
//!
//! After `fork()`, the connected socket has two descriptors, the parent's and the child's, and
//! TCP sends its FIN only when the last one is closed. The child serves the client and closes
//! its descriptor when the client leaves; if the parent still holds its own, the connection
//! stays open: the client never sees the end of the stream, and the parent leaks one
//! descriptor per client until `accept()` fails with EMFILE. In C the bug is a forgotten
//! `close(connfd)` (UNP's `tcpserv01.c` has it right). In Rust it is a `Socket` kept alive in
//! the parent: here, in a list of the connections handed to the children, which nothing
//! ever empties.
//!
//! The scenario sends a line, shuts its side down, and waits for the server's FIN.
//!
//! Check it: `sockstep kata check fork_close`; stuck: `sockstep kata hint fork_close`.

use std::process::ExitCode;

use nix::sys::wait::WaitStatus;
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
    let mut children = Vec::new();
    let mut handed_over = Vec::new();
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
                // TODO: the parent keeps its descriptor of the connection.
                handed_over.push(conn_fd);
                children.push(child);
            }
        }
        // Collect the children that have exited (so that none stays a zombie).
        while let Ok(WaitStatus::Exited(pid, _) | WaitStatus::Signaled(pid, _, _)) =
            sys::waitpid_any_nohang()
        {
            children.retain(|child| *child != pid);
        }
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
