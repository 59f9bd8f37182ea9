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

use std::os::fd::{AsFd, AsRawFd};

use nix::errno::Errno;
use nix::sys::select::FdSet;

use super::readiness::{self, Conn, Conns, Next, READ_BUF_SIZE, Readiness, Turn};
use super::{Config, open_listeners};
use crate::Error;
use crate::dialogue::Tally;
use crate::narrate;
use crate::service::Service;
use crate::signals;
use crate::sys;
use crate::text::Msg;

/// The number of bits in an `fd_set`: descriptors from 0 to 1023.
pub const FD_SETSIZE: usize = libc::FD_SETSIZE;

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    readiness::raise_nofile_limit();
    let mut listeners = open_listeners(config)?;
    // Before the first wait: from here on, Ctrl-C interrupts it (see `shutdown_turn`).
    signals::handle_shutdown(config.grace)?;
    let mut conns = Conns::default();
    let mut buf = vec![0u8; READ_BUF_SIZE];
    let mut reply = Vec::new();
    let mut ready_listeners: Vec<usize> = Vec::new();
    let mut ready_conns: Vec<(usize, Readiness)> = Vec::new();
    let mut served = false;
    let mut tally = Tally::default();
    // Each turn: the shutdown flag, one wait, then the work it reported.
    while let Turn::Wait(timeout) = readiness::shutdown_turn(&mut listeners, conns.len())? {
        ready_listeners.clear();
        ready_conns.clear();
        {
            // The sets borrow the sockets: fill them, wait, note the answers, and let them go
            // before the connections change. Every descriptor here is below FD_SETSIZE: the
            // listening sockets are opened first, and `admit` refuses the others.
            let mut read_set = FdSet::new();
            let mut write_set = FdSet::new();
            let mut highest = -1;
            for listener in listeners.iter().filter(|l| !l.starved) {
                read_set.insert(listener.sock.as_fd());
                highest = highest.max(listener.sock.fd());
            }
            for (_, conn) in conns.iter() {
                if conn.wants_read() {
                    read_set.insert(conn.sock().as_fd());
                }
                if conn.wants_write() {
                    write_set.insert(conn.sock().as_fd());
                }
                highest = highest.max(conn.fd());
            }
            // nfds is not a count: it is the highest descriptor plus one.
            match sys::select(highest + 1, &mut read_set, &mut write_set, timeout) {
                Ok(_) => {}
                // A signal's handler ran: the top of the loop looks at the shutdown flag.
                Err(e) if e.errno == Errno::EINTR => continue,
                Err(e) => return Err(e.into()),
            }
            for (index, listener) in listeners.iter().enumerate() {
                if !listener.starved && read_set.contains(listener.sock.as_fd()) {
                    ready_listeners.push(index);
                }
            }
            for (slot, conn) in conns.iter() {
                // A reset or a FIN makes a socket readable (recv() then says 0 or ECONNRESET);
                // select() has no separate bit for it.
                let readiness = Readiness {
                    readable: conn.wants_read() && read_set.contains(conn.sock().as_fd()),
                    writable: conn.wants_write() && write_set.contains(conn.sock().as_fd()),
                    read_closed: false,
                };
                if readiness.readable || readiness.writable {
                    ready_conns.push((slot, readiness));
                }
            }
        }
        // Connections first, listeners last: a slot freed by a close is not reused by a new
        // connection before this turn's answers are all handled.
        let mut closed = false;
        for &(slot, readiness) in &ready_conns {
            if let Some(moved) = conns.on_ready(slot, readiness, &mut buf, &mut reply) {
                tally += moved;
                closed = true;
            }
        }
        for &index in &ready_listeners {
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

/// Takes in one accepted connection, unless its descriptor has no bit in an `fd_set`: then it
/// is closed at once, with the reason. Lets the service speak first (daytime says all and is
/// closed at once, `Next::Close`), or keeps it for the next turn's sets.
fn admit(
    conns: &mut Conns,
    tally: &mut Tally,
    conn_fd: sys::Socket,
    service: Service,
    config: &Config,
) -> Next {
    let fd = conn_fd.as_raw_fd();
    if fd as usize >= FD_SETSIZE {
        narrate::error(
            Some(fd),
            Msg::PastFdSetSize {
                fd,
                limit: FD_SETSIZE,
            },
        );
        if let Err(error) = sys::close(conn_fd) {
            narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
        }
        return Next::Close;
    }
    let mut conn = Conn::open(conn_fd, service, config.io);
    if conn.start() == Next::Close {
        // daytime said everything already: no need to watch the socket.
        *tally += conn.close();
        return Next::Close;
    }
    conns.insert(conn);
    Next::Keep
}
