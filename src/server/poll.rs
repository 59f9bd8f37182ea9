//! The poll model: one thread, `poll()`, level-triggered.
//!
//! What it demonstrates: one process serving every client, and every listening socket, by
//! asking the kernel which of them are ready. At each turn the loop builds an array of
//! `{fd, events}`: `POLLIN` for each listening socket and for each client it is willing to read
//! from, `POLLOUT` for each client with replies still unsent. `poll()` sleeps until one entry
//! is ready and fills in `revents`; the loop then reads, answers and sends on those, never
//! blocking (every socket is non-blocking), and asks again. Level-triggered: a socket with
//! unread bytes is reported again at the next call, so nothing is lost if the loop does not
//! read everything at once.
//!
//! Unlike `select()`, any descriptor number works. Like `select()`, the whole array is copied
//! into the kernel and scanned at every call: the cost grows with the number of connections,
//! even idle ones (compare the mio model, where the kernel keeps the list).
//!
//! Run it:      `sockstep server --model poll --listen upper:6789 --listen echo:7007`
//! Talk to it:  `sockstep client --port 6789` in two terminals at once, or `nc 127.0.0.1 7007`
//! Watch it:    `strace -e trace=network,poll,close sockstep server --model poll`
//! Compare:     [`select`](super::select) (the same loop with bit sets) and
//!              [`mio_loop`](super::mio_loop) (epoll: interest registered once).

use std::os::fd::AsFd;

use nix::poll::{PollFd, PollFlags};

use super::Config;
use super::event_loop::{self, Listener, Ready, Waiter, Watch};
use super::readiness::Readiness;
use crate::Error;
use crate::sys;

pub fn run(config: &Config) -> Result<(), Error> {
    event_loop::run::<Poll>(config)
}

/// poll() keeps nothing between two waits: it is handed the whole array each time. The
/// struct keeps only its scratch space: who each entry of the array is for.
#[derive(Default)]
struct Poll {
    owners: Vec<Owner>,
}

/// Who an entry of the array is for.
#[derive(Clone, Copy)]
enum Owner {
    Listener(usize),
    Conn(usize),
}

// ANCHOR: wait
impl Waiter for Poll {
    const EDGE_TRIGGERED: bool = false;

    fn open(_listeners: &[Listener]) -> sys::Result<Poll> {
        Ok(Poll::default())
    }

    fn wait(&mut self, watch: Watch<'_>, ready: &mut Ready) -> sys::Result<()> {
        // The array borrows the sockets: build it, wait, note the answers, and let it go
        // before the connections change.
        self.owners.clear();
        let mut fds: Vec<PollFd<'_>> = Vec::new();
        for (index, listener) in watch.listeners.iter().enumerate() {
            if !listener.starved() {
                fds.push(PollFd::new(listener.sock.as_fd(), PollFlags::POLLIN));
                self.owners.push(Owner::Listener(index));
            }
        }
        for (slot, conn) in watch.conns.iter() {
            let mut events = PollFlags::empty();
            if conn.wants_read() {
                events |= PollFlags::POLLIN;
            }
            if conn.wants_write() {
                events |= PollFlags::POLLOUT;
            }
            // Even with no events asked, the entry stays: POLLHUP and POLLERR are always
            // reported, so a reset is noticed while we wait for nothing else.
            fds.push(PollFd::new(conn.sock().as_fd(), events));
            self.owners.push(Owner::Conn(slot));
        }
        // poll() fills in each entry's revents: the array is handed over again next time.
        sys::poll(&mut fds, watch.timeout)?;
        for (entry, owner) in fds.iter().zip(&self.owners) {
            let revents = entry.revents().unwrap_or(PollFlags::empty());
            if revents.is_empty() {
                continue;
            }
            match *owner {
                Owner::Listener(index) => ready.listeners.push(index),
                Owner::Conn(slot) => {
                    // POLLHUP (the connection is over) and POLLERR (an error is pending) come
                    // unasked: the next recv() or send() says what happened, so they count as
                    // both.
                    let trouble = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
                    let readiness = Readiness {
                        readable: revents.intersects(PollFlags::POLLIN | trouble),
                        writable: revents.intersects(PollFlags::POLLOUT | trouble),
                        read_closed: revents.contains(PollFlags::POLLHUP),
                    };
                    ready.conns.push((slot, readiness));
                }
            }
        }
        Ok(())
    }
}
// ANCHOR_END: wait
