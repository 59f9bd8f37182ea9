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

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};

use super::readiness::{self, Conn, Conns, Next, READ_BUF_SIZE, Readiness, Turn};
use super::{Config, open_listeners};
use crate::Error;
use crate::dialogue::Tally;
use crate::signals;
use crate::sys;

/// Who an entry of the array is for.
#[derive(Clone, Copy)]
enum Owner {
    Listener(usize),
    Conn(usize),
}

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    readiness::raise_nofile_limit();
    let mut listeners = open_listeners(config)?;
    // Before the first wait: from here on, Ctrl-C interrupts it (see `shutdown_turn`).
    signals::handle_shutdown(config.grace)?;
    let mut conns = Conns::default();
    let mut buf = vec![0u8; READ_BUF_SIZE];
    let mut reply = Vec::new();
    let mut owners: Vec<Owner> = Vec::new();
    let mut ready: Vec<(Owner, PollFlags)> = Vec::new();
    let mut served = false;
    let mut tally = Tally::default();
    // Each turn: the shutdown flag, one wait, then the work it reported.
    while let Turn::Wait(timeout) = readiness::shutdown_turn(&mut listeners, conns.len())? {
        // The array borrows the sockets: build it, wait, note the answers, and let it go
        // before the connections change.
        owners.clear();
        ready.clear();
        {
            let mut fds: Vec<PollFd<'_>> = Vec::new();
            for (index, listener) in listeners.iter().enumerate() {
                if !listener.starved {
                    fds.push(PollFd::new(listener.sock.as_fd(), PollFlags::POLLIN));
                    owners.push(Owner::Listener(index));
                }
            }
            for (slot, conn) in conns.iter() {
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
                owners.push(Owner::Conn(slot));
            }
            match sys::poll(&mut fds, timeout) {
                Ok(_) => {}
                // A signal's handler ran: the top of the loop looks at the shutdown flag.
                Err(e) if e.errno == Errno::EINTR => continue,
                Err(e) => return Err(e.into()),
            }
            for (entry, owner) in fds.iter().zip(&owners) {
                let revents = entry.revents().unwrap_or(PollFlags::empty());
                if !revents.is_empty() {
                    ready.push((*owner, revents));
                }
            }
        }
        // Connections first, listeners last: a slot freed by a close is not reused by a new
        // connection before this turn's answers are all handled.
        let mut closed = false;
        for &(owner, revents) in &ready {
            let Owner::Conn(slot) = owner else { continue };
            // POLLHUP (the connection is over) and POLLERR (an error is pending) come unasked:
            // the next recv() or send() says what happened, so they count as both.
            let trouble = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
            let readiness = Readiness {
                readable: revents.intersects(PollFlags::POLLIN | trouble),
                writable: revents.intersects(PollFlags::POLLOUT | trouble),
                read_closed: revents.contains(PollFlags::POLLHUP),
            };
            if let Some(moved) = conns.on_ready(slot, readiness, &mut buf, &mut reply) {
                tally += moved;
                closed = true;
            }
        }
        for &(owner, _) in &ready {
            let Owner::Listener(index) = owner else {
                continue;
            };
            readiness::accept_all(&mut listeners[index], |conn_fd, service| {
                served = true;
                if admit(&mut conns, &mut tally, conn_fd, service, config) == Next::Close {
                    closed = true;
                }
            })?;
        }
        if closed {
            // A descriptor is free again: watch the listening sockets EMFILE had set aside.
            for listener in &mut listeners {
                listener.starved = false;
            }
            if config.once && served && conns.is_empty() {
                break;
            }
        }
    }
    readiness::finish(listeners, &mut conns, tally)?;
    Ok(())
}
// ANCHOR_END: run

/// Takes in one accepted connection: lets its service speak first (daytime says all and is
/// closed at once, `Next::Close`), or keeps it for the next turn's array.
fn admit(
    conns: &mut Conns,
    tally: &mut Tally,
    conn_fd: sys::Socket,
    service: crate::service::Service,
    config: &Config,
) -> Next {
    let mut conn = Conn::open(conn_fd, service, config.io);
    if conn.start() == Next::Close {
        // daytime said everything already: no need to watch the socket.
        *tally += conn.close();
        return Next::Close;
    }
    conns.insert(conn);
    Next::Keep
}
