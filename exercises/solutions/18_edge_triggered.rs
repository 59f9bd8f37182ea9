//! Solution of kata 18 · edge_triggered · `epoll_wait(2)` with `EPOLLET`, and `recv(2)` until EAGAIN · the server's model
//!
//! epoll reports a socket in one of two ways. Level-triggered (like `select()` and `poll()`):
//! at every `epoll_wait()`, as long as unread bytes wait in its receive buffer. Edge-triggered
//! (`EPOLLET`, what mio always asks for, and sockstep's mio model): once, when the socket
//! *becomes* readable, that is when new bytes arrive. A server that reads once per event and
//! leaves bytes behind is never told about them again: they wait in the receive buffer until the
//! client sends something more, and a client that waits for its answer first waits for ever.
//! epoll(7) says it: with `EPOLLET`, wait for an event "only after read(2) or write(2) return
//! EAGAIN". Every socket here is non-blocking, so that the read that finds the buffer empty
//! says EAGAIN instead of waiting.
//!
//! This server is the parrot (`bonjour\n` → `BONJOUR\n`) on epoll, edge-triggered, through
//! sockstep's wrappers around mio (`sys::epoll_create1`, `sys::epoll_ctl_add`,
//! `sys::epoll_wait`). The scenario runs it with `--max-io 1` (every `recv()` takes one byte,
//! whatever the buffer's size: sockstep's fault, docs/src/faults.md), sends `bonjour\n`, and
//! waits at most a second for the whole answer.
//!
//! Check it: `sockstep kata check edge_triggered`; stuck: `sockstep kata hint edge_triggered`.

use std::os::fd::{AsRawFd, RawFd};
use std::process::ExitCode;

use mio::{Events, Interest, Token};
use nix::errno::Errno;
use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys::{self, Blocking, Socket};

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let listen_fd = harness::nonblocking_listener(ctx)?;
    let mut poll = sys::epoll_create1()?;
    let epoll_fd = poll.as_raw_fd();
    // Each socket's token is its descriptor, as C servers put it in the event's data.fd.
    let token = |sock: &Socket| Token(sock.fd() as usize);
    let listener = token(&listen_fd);
    let interest = Interest::READABLE;
    sys::epoll_ctl_add(poll.registry(), epoll_fd, &listen_fd, listener, interest)?;
    let mut events = Events::with_capacity(16);
    let mut conns: Vec<Socket> = Vec::new();
    let mut buf = [0u8; BUF_SIZE];
    loop {
        sys::epoll_wait(&mut poll, &mut events, None)?;
        for event in events.iter() {
            if event.token() == listener {
                // One event for however many connections came: accept until EAGAIN.
                loop {
                    match sys::accept4(&listen_fd, Blocking::No) {
                        Ok(conn_fd) => {
                            sys::epoll_ctl_add(
                                poll.registry(),
                                epoll_fd,
                                &conn_fd,
                                token(&conn_fd),
                                interest,
                            )?;
                            conns.push(conn_fd);
                        }
                        Err(e) if e.errno == Errno::EAGAIN => break,
                        Err(e) => return Err(e.into()),
                    }
                }
                continue;
            }
            let fd = event.token().0 as RawFd;
            let Some(i) = conns.iter().position(|conn_fd| conn_fd.fd() == fd) else {
                continue;
            };
            if on_readable(&conns[i], &mut buf)? {
                // close() takes the descriptor out of the epoll set too.
                sys::close(conns.swap_remove(i))?;
            }
        }
    }
}

/// Reads what the event announced and answers it, upper-cased; `Ok(true)` once the client
/// has left (recv() = 0).
fn on_readable(conn_fd: &Socket, buf: &mut [u8]) -> Result<bool, Error> {
    // Edge-triggered: this event is the only one for the bytes now in the receive buffer.
    // Read until recv() says EAGAIN (the buffer is empty) or 0 (the client left).
    loop {
        match sys::recv(conn_fd, buf) {
            Ok(0) => return Ok(true),
            // A few bytes: the send buffer of a new connection has room for them.
            Ok(n) => send_all(Io::SendRecv, conn_fd, &buf[..n].to_ascii_uppercase())?,
            Err(e) if e.errno == Errno::EAGAIN => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
}
