//! The mio model: one thread, epoll through mio, edge-triggered.
//!
//! What it demonstrates: the way fast servers on Linux wait (nginx, tokio, the C epoll server
//! in the benchmarks). Each socket is handed to the kernel once (`epoll_ctl(EPOLL_CTL_ADD)`),
//! and from then on the kernel itself keeps the list of ready sockets: `epoll_wait()` costs the
//! number of ready sockets, not the number of connections, so ten thousand idle clients cost
//! nothing. mio asks for edge-triggered events (`EPOLLET`): a socket is reported when it
//! *becomes* ready, once, so every handler works until EAGAIN (or a short read, see
//! [`Conn::on_ready`](super::readiness::Conn::on_ready)); forgetting that is the classic
//! edge-triggered bug, a connection that hangs with bytes waiting.
//!
//! No system call hides in mio: the sockets are made by our own `socket()` and
//! `accept4(SOCK_NONBLOCK)` and lent to mio with `SourceFd`; `mio::Poll::new()` is our
//! `sys::epoll_create1`, `register` our `sys::epoll_ctl_add`, `poll` our `sys::epoll_wait`.
//! Each connection is registered once for reading and writing, and never re-registered nor
//! deregistered: `close()` removes a descriptor from every epoll set by itself (when it was the
//! last descriptor of the socket, as here), so there is no `epoll_ctl` per message, and none to
//! close. An echoed message costs `recvfrom` + `sendto`, plus a share of an `epoll_wait`.
//!
//! Run it:      `sockstep server --model mio --listen upper:6789 --listen echo:7007`
//! Talk to it:  `sockstep client --port 6789`, or `nc 127.0.0.1 7007`
//! Watch it:    `strace -e trace=network,epoll_wait,epoll_ctl,close sockstep server --model mio`
//! Compare:     [`poll`](super::poll), which hands over every descriptor at every call; the
//!              book's mio page measures this loop beside a C epoll echo server (level-triggered)
//!              under the same load generator, and `sockstep bench` beside the other models.

use std::os::fd::AsRawFd;

use mio::{Events, Interest, Token};

use super::Config;
use super::event_loop::{self, Listener, Ready, Waiter, Watch};
use super::readiness::{Conn, Readiness};
use crate::Error;
use crate::sys;

/// How many events one `epoll_wait()` may return. More ready sockets than this simply wait for
/// the next call: they stay on the kernel's ready list.
const EVENTS: usize = 1024;

pub fn run(config: &Config) -> Result<(), Error> {
    event_loop::run::<Epoll>(config)
}

/// The epoll instance, which keeps the interest list between two waits, and the array
/// `epoll_wait()` fills.
struct Epoll {
    poll: mio::Poll,
    events: Events,
}

/// Listening sockets take the tokens from the top, connections from the bottom (their slot).
fn listener_token(index: usize) -> Token {
    Token(usize::MAX - index)
}

// ANCHOR: wait
impl Waiter for Epoll {
    const EDGE_TRIGGERED: bool = true;

    /// `epoll_create1()`, then each listening socket registered, once.
    fn open(listeners: &[Listener]) -> sys::Result<Epoll> {
        let poll = sys::epoll_create1()?;
        for (index, listener) in listeners.iter().enumerate() {
            let (registry, epoll_fd) = (poll.registry(), poll.as_raw_fd());
            let token = listener_token(index);
            sys::epoll_ctl_add(
                registry,
                epoll_fd,
                &listener.sock,
                token,
                Interest::READABLE,
            )?;
        }
        let events = Events::with_capacity(EVENTS);
        Ok(Epoll { poll, events })
    }

    /// Registers a connection once, for reading and writing, with its slot as token.
    fn watch(&mut self, slot: usize, conn: &Conn) -> sys::Result<()> {
        let (registry, epoll_fd) = (self.poll.registry(), self.poll.as_raw_fd());
        let interest = Interest::READABLE | Interest::WRITABLE;
        sys::epoll_ctl_add(registry, epoll_fd, conn.sock(), Token(slot), interest)
    }

    fn wait(&mut self, watch: Watch<'_>, ready: &mut Ready) -> sys::Result<()> {
        // Nothing to hand over: the kernel keeps the list, and returns only the ready ones.
        sys::epoll_wait(&mut self.poll, &mut self.events, watch.timeout)?;
        for event in self.events.iter() {
            let token = event.token();
            if let Some(index) = (0..watch.listeners.len()).find(|&i| listener_token(i) == token) {
                ready.listeners.push(index);
                continue;
            }
            // EPOLLHUP and EPOLLERR come with any interest: the next recv() or send() says
            // what happened (0, ECONNRESET...), so they count as readable and writable.
            let readiness = Readiness {
                readable: event.is_readable() || event.is_read_closed() || event.is_error(),
                writable: event.is_writable() || event.is_write_closed() || event.is_error(),
                read_closed: event.is_read_closed(),
            };
            ready.conns.push((token.0, readiness));
        }
        Ok(())
    }

    /// `close()` of the epoll instance, narrated (mio's `Drop` would make it unseen).
    fn close(self) -> sys::Result<()> {
        sys::close_epoll(self.poll)
    }
}
// ANCHOR_END: wait
