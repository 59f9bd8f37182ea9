//! The select model: one thread, `select()`, level-triggered, descriptors below 1024.
//!
//! What it demonstrates: the oldest way (4.2BSD, 1983) for one process to serve many clients.
//! At each turn the loop fills two bit sets, one bit per descriptor: in the read set every
//! listening socket and every client it is willing to read from, in the write set every client
//! with replies still unsent. `select()` sleeps until one of them is ready and rewrites the sets
//! to say which; the loop reads, answers and sends on those, never blocking (every socket is
//! non-blocking), then fills the sets again, since `select()` destroyed them.
//!
//! Its limit is in the sets themselves: they are arrays of `FD_SETSIZE` = 1024 bits, fixed
//! when the C library was compiled. A descriptor of 1024 or more has no bit: glibc's `FD_SET`
//! would write past the array (undefined behaviour, a classic memory-corruption bug), and nix
//! refuses it with a panic. So a connection that gets such a descriptor is refused here,
//! cleanly: closed at once with a log line that says why, while the others go on. The poll and
//! mio models have no such limit.
//!
//! Run it:      `sockstep server --model select --listen upper:6789 --listen echo:7007`
//! Talk to it:  `sockstep client --port 6789` in two terminals at once, or `nc 127.0.0.1 7007`
//! Watch it:    `strace -e trace=network,select,close sockstep server --model select`
//! Compare:     [`poll`](super::poll), the same loop with an array instead of bit sets.

use std::os::fd::{AsFd, RawFd};

use nix::sys::select::FdSet;

use super::Config;
use super::event_loop::{self, Listener, Ready, Waiter, Watch};
use super::readiness::Readiness;
use crate::Error;
use crate::sys;
use crate::text::Msg;

/// The number of bits in an `fd_set`: descriptors from 0 to 1023.
pub const FD_SETSIZE: usize = libc::FD_SETSIZE;

pub fn run(config: &Config) -> Result<(), Error> {
    event_loop::run::<Select>(config)
}

/// select() keeps nothing between two waits: it is handed every descriptor each time.
struct Select;

// ANCHOR: wait
impl Waiter for Select {
    const EDGE_TRIGGERED: bool = false;

    fn open(_listeners: &[Listener]) -> sys::Result<Select> {
        Ok(Select)
    }

    /// A descriptor of FD_SETSIZE or more has no bit in the sets: its connection is closed
    /// at once, with this reason.
    fn refusal(&self, fd: RawFd) -> Option<Msg<'static>> {
        let limit = FD_SETSIZE;
        (fd as usize >= limit).then_some(Msg::PastFdSetSize { fd, limit })
    }

    fn wait(&mut self, watch: Watch<'_>, ready: &mut Ready) -> sys::Result<()> {
        // The sets borrow the sockets: fill them, wait, note the answers, and let them go
        // before the connections change. Every descriptor here is below FD_SETSIZE: the
        // listening sockets are opened first, and `refusal` turns the others away.
        let mut read_set = FdSet::new();
        let mut write_set = FdSet::new();
        let mut highest = -1;
        for listener in watch.listeners.iter().filter(|l| !l.starved()) {
            read_set.insert(listener.sock.as_fd());
            highest = highest.max(listener.sock.fd());
        }
        for (_, conn) in watch.conns.iter() {
            if conn.wants_read() {
                read_set.insert(conn.sock().as_fd());
            }
            if conn.wants_write() {
                write_set.insert(conn.sock().as_fd());
            }
            highest = highest.max(conn.fd());
        }
        // nfds is not a count: it is the highest descriptor plus one. select() rewrites the
        // sets to say which descriptors are ready: they must be filled again for the next call.
        sys::select(highest + 1, &mut read_set, &mut write_set, watch.timeout)?;
        for (index, listener) in watch.listeners.iter().enumerate() {
            if !listener.starved() && read_set.contains(listener.sock.as_fd()) {
                ready.listeners.push(index);
            }
        }
        for (slot, conn) in watch.conns.iter() {
            // A reset or a FIN makes a socket readable (recv() then says 0 or ECONNRESET);
            // select() has no separate bit for it.
            let readiness = Readiness {
                readable: conn.wants_read() && read_set.contains(conn.sock().as_fd()),
                writable: conn.wants_write() && write_set.contains(conn.sock().as_fd()),
                read_closed: false,
            };
            if readiness.readable || readiness.writable {
                ready.conns.push((slot, readiness));
            }
        }
        Ok(())
    }
}
// ANCHOR_END: wait
