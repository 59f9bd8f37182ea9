//! Kata 17 · select_sets · `select(2)` rewrites its sets · the server's model
//!
//! `select()` takes sets of descriptors to watch, one bit per descriptor, and when it returns
//! it has rewritten them: each set then holds only the descriptors that are ready. The sets
//! are what was asked on the way in and the answer on the way out (select(2): "Upon return,
//! each of the file descriptor sets is modified in place"). A loop that fills its set once and hands
//! it to every `select()` watches, from the second call on, only what was ready the first time:
//! the other clients starve, their bytes waiting in their receive buffers, unread. In C, the
//! loop copies a master set before each call (`read_fds = master;`); here, as in sockstep's
//! select model (src/server/select.rs), the set is filled again before each call.
//!
//! This server takes two clients at once: it accepts both, then answers whichever speaks, the
//! parrot's way (`bonjour\n` → `BONJOUR\n`), until both have left. The scenario connects A and
//! B; A speaks twice, then B, and each waits at most a second for its answer.
//!
//! Check it: `sockstep kata check select_sets`; stuck: `sockstep kata hint select_sets`.

use std::os::fd::AsFd;
use std::process::ExitCode;

use nix::sys::select::FdSet;
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
        let a = sys::accept(&listen_fd)?;
        let b = sys::accept(&listen_fd)?;
        let players = [a, b];
        serve(&players)?;
        for conn_fd in players {
            sys::close(conn_fd)?;
        }
    }
}

/// Answers whichever client speaks, until both have left (recv() = 0).
fn serve(players: &[Socket]) -> Result<(), Error> {
    let mut left = [false; 2];
    let mut buf = [0u8; BUF_SIZE];
    // nfds is not a count: it is the highest descriptor plus one.
    let nfds = players.iter().map(Socket::fd).max().unwrap_or(0) + 1;
    let mut read_set = FdSet::new();
    for conn_fd in players {
        read_set.insert(conn_fd.as_fd());
    }
    while left.contains(&false) {
        // TODO: what is in read_set when select() returns?
        sys::select(nfds, &mut read_set, &mut FdSet::new(), None)?;
        for (i, conn_fd) in players.iter().enumerate() {
            if left[i] || !read_set.contains(conn_fd.as_fd()) {
                continue;
            }
            let n = sys::recv(conn_fd, &mut buf)?;
            if n == 0 {
                left[i] = true;
                continue;
            }
            send_all(Io::SendRecv, conn_fd, &buf[..n].to_ascii_uppercase())?;
        }
    }
    Ok(())
}
