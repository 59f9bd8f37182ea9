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
//! Compare:     [`poll`](super::poll), which hands over every descriptor at every call, and
//!              `/work/shared/peers/c-epoll/echo.c`, the same loop in C, level-triggered.

use std::os::fd::AsRawFd;

use mio::{Events, Interest, Token};
use nix::errno::Errno;

use super::readiness::{self, Conn, Conns, Next, READ_BUF_SIZE, Readiness, Turn};
use super::{Config, open_listeners};
use crate::Error;
use crate::dialogue::Tally;
use crate::narrate;
use crate::service::Service;
use crate::signals;
use crate::sys;
use crate::text::Msg;

/// How many events one `epoll_wait()` may return. More ready sockets than this simply wait for
/// the next call: they stay on the kernel's ready list.
const EVENTS: usize = 1024;

/// Listening sockets take the tokens from the top, connections from the bottom (their slot).
fn listener_token(index: usize) -> Token {
    Token(usize::MAX - index)
}

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    readiness::raise_nofile_limit();
    let mut listeners = open_listeners(config)?;
    // Before the first wait: from here on, Ctrl-C interrupts it (see `shutdown_turn`).
    signals::handle_shutdown(config.grace)?;
    let mut poll = sys::epoll_create1()?;
    let epoll_fd = poll.as_raw_fd();
    for (index, listener) in listeners.iter().enumerate() {
        sys::epoll_ctl_add(
            poll.registry(),
            epoll_fd,
            &listener.sock,
            listener_token(index),
            Interest::READABLE,
        )?;
    }
    let mut events = Events::with_capacity(EVENTS);
    let mut conns = Conns::default();
    let mut buf = vec![0u8; READ_BUF_SIZE];
    let mut reply = Vec::new();
    let mut served = false;
    let mut tally = Tally::default();
    // Each turn: the shutdown flag, one wait, then the work it reported.
    while let Turn::Wait(timeout) = readiness::shutdown_turn(&mut listeners, conns.len())? {
        match sys::epoll_wait(&mut poll, &mut events, timeout) {
            Ok(_) => {}
            // A signal's handler ran: the top of the loop looks at the shutdown flag.
            Err(e) if e.errno == Errno::EINTR => continue,
            Err(e) => return Err(e.into()),
        }
        let mut closed = false;
        for event in events.iter() {
            let token = event.token();
            if let Some(index) = (0..listeners.len()).find(|&i| listener_token(i) == token) {
                readiness::accept_all(&mut listeners[index], |conn_fd, service| {
                    served = true;
                    if admit(&poll, &mut conns, &mut tally, conn_fd, service, config) == Next::Close
                    {
                        closed = true;
                    }
                })?;
                continue;
            }
            let slot = token.0;
            // EPOLLHUP and EPOLLERR come with any interest: the next recv() or send() says
            // what happened (0, ECONNRESET...), so they count as readable and writable.
            let ready = Readiness {
                readable: event.is_readable() || event.is_read_closed() || event.is_error(),
                writable: event.is_writable() || event.is_write_closed() || event.is_error(),
                read_closed: event.is_read_closed(),
            };
            if let Some(moved) = conns.on_ready(slot, ready, &mut buf, &mut reply) {
                tally += moved;
                closed = true;
            }
        }
        if closed {
            // A descriptor is free again: connections left in a queue by EMFILE can be taken
            // now. No new event would say so (edge-triggered), so try at once.
            for listener in listeners.iter_mut().filter(|l| l.starved) {
                listener.starved = false;
                readiness::accept_all(listener, |conn_fd, service| {
                    admit(&poll, &mut conns, &mut tally, conn_fd, service, config);
                })?;
            }
            if config.once && served && conns.is_empty() {
                break;
            }
        }
    }
    readiness::finish(listeners, &mut conns, tally)?;
    sys::close_epoll(poll)?;
    Ok(())
}
// ANCHOR_END: run

/// Takes in one accepted connection: lets its service speak first (daytime says all and is
/// closed at once, `Next::Close`), or registers it with epoll, once, for reading and writing.
fn admit(
    poll: &mio::Poll,
    conns: &mut Conns,
    tally: &mut Tally,
    conn_fd: sys::Socket,
    service: Service,
    config: &Config,
) -> Next {
    let mut conn = Conn::open(conn_fd, service, config.io);
    if conn.start() == Next::Close {
        // daytime said everything already: no need to watch the socket.
        *tally += conn.close();
        return Next::Close;
    }
    let slot = conns.vacant();
    let registered = sys::epoll_ctl_add(
        poll.registry(),
        poll.as_raw_fd(),
        conn.sock(),
        Token(slot),
        Interest::READABLE | Interest::WRITABLE,
    );
    match registered {
        Ok(()) => {
            conns.insert(conn);
            Next::Keep
        }
        Err(error) => {
            narrate::error(Some(conn.fd()), Msg::ConnectionLost { error: &error });
            *tally += conn.close();
            Next::Close
        }
    }
}
