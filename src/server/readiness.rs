//! One connection of an event loop, written once for the select, poll and mio models.
//!
//! The blocking models give each client a thread of control that may wait in `recv()` or
//! `send()`. An event loop has one thread for every client, so it must never wait anywhere but
//! in its one waiting call (`select`, `poll` or `epoll_wait`): every socket is non-blocking, and
//! a call that would wait returns EAGAIN instead. Each connection then needs a memory of where
//! it stands, which is this module's [`Conn`]:
//!
//! ```text
//! the wait says readable   →  recv() until a short read or EAGAIN; each piece goes through
//!                              the service, and its reply is sent at once
//! send() takes only part   →  keep the rest in the connection's output buffer, and wait for
//!                              the socket to be writable (room in the kernel's send buffer)
//! output passes OUTPUT_BOUND → stop reading from that client (it does not read its replies;
//!                              reading more would only grow our memory); resume once drained
//! recv() returns 0         →  the client sent FIN: send what is still owed, then close
//! an error (ECONNRESET...) →  close this connection; the others go on
//! ```
//!
//! The three models differ only in how they wait and how they learn which sockets are ready;
//! their one loop ([`event_loop`](super::event_loop)) calls [`Conns::on_ready`] with what the
//! wait said. A wake-up with nothing to do (a
//! spurious one) costs at most one EAGAIN, and EINTR is retried where it can happen.

use nix::errno::Errno;

use crate::dialogue::Tally;
use crate::narrate::{self, Log};
use crate::service::{Opening, Service, Session};
use crate::signals;
use crate::stream::Io;
use crate::sys::{self, Socket};
use crate::text::Msg;

/// The event loops' read buffer, shared by all their connections: 64 KiB rather than the
/// course's 1024. One buffer serves every connection, so its size costs no memory per client;
/// and a bigger buffer means fewer `recv()` calls for a big message (a 16 KiB message takes one
/// call instead of sixteen). It also lets "a read shorter than the buffer" mean "drained" for
/// all but the biggest bursts (see [`Conn::on_ready`]).
pub const READ_BUF_SIZE: usize = 64 * 1024;

/// How many bytes of unsent replies a connection may hold before the server stops reading
/// from it. A client that sends without ever reading fills its own receive buffer, then the
/// server's send buffer, then this; then the server stops reading it, so that its send buffer
/// fills up in turn and TCP's flow control makes the client's `send()` wait. Memory per
/// client stays bounded, whatever the client does.
pub const OUTPUT_BOUND: usize = 64 * 1024;

/// An output buffer that grew past this is given back once it has drained, so that a burst
/// does not keep its memory for the rest of the connection.
const OUT_KEEP: usize = 4 * 1024;

/// What the wait said about one connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Bytes (or the FIN, or an error) wait to be read.
    pub readable: bool,
    /// The send buffer has room (or an error is pending).
    pub writable: bool,
    /// The peer's FIN has arrived (EPOLLRDHUP), or the connection is over (POLLHUP): read until
    /// `recv()` returns 0, even after a short read.
    pub read_closed: bool,
}

/// What the event loop must do with a connection after [`Conn::on_ready`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Keep it and wait again.
    Keep,
    /// Close it: the dialogue is over, or failed.
    Close,
}

/// What [`Conn::open`] made of a new connection.
#[derive(Debug)]
pub enum Opened {
    /// A connection to watch: it is the client's turn to speak.
    Watch(Conn),
    /// The service said all it had to say, and the connection is closed (daytime): what it
    /// moved.
    Done(Tally),
}

/// One client of an event loop: its socket, its service's state, and what it still owes.
#[derive(Debug)]
pub struct Conn {
    sock: Socket,
    session: Session,
    io: Io,
    /// Replies the kernel has not taken yet: `out[sent..]` is still to send.
    out: Vec<u8>,
    sent: usize,
    /// Readiness the wait reported and that has not been used up yet: cleared by EAGAIN (and
    /// `can_read` by a short read). With edge-triggered epoll the kernel says it once, so it
    /// must be remembered, for instance while reading is paused.
    can_read: bool,
    can_write: bool,
    /// The peer's FIN was reported: read until `recv()` returns 0.
    fin_seen: bool,
    /// Nothing more to read: `recv()` returned 0, or the service speaks and closes (daytime).
    reading_done: bool,
    /// Reading stopped because `OUTPUT_BOUND` bytes are unsent.
    paused: bool,
    /// What this connection moved, for the summary.
    tally: Tally,
}

impl Conn {
    /// A connection just accepted for `service`: says who the client is, and sends what the
    /// service says first, if anything. Daytime says all at once and has nothing more to say:
    /// the connection is closed without the wait ever watching it.
    pub fn open(sock: Socket, service: Service, io: Io) -> Opened {
        let fd = sock.fd();
        match sys::getpeername(&sock) {
            Ok(client_addr) => narrate::log(
                Log::Conn,
                Some(fd),
                Msg::ConnectionFor {
                    addr: client_addr,
                    service: service.name(),
                },
            ),
            // The client may already be gone (ENOTCONN): the first recv() will say so.
            Err(error) => narrate::log(Log::Conn, Some(fd), Msg::ConnectionLost { error: &error }),
        }
        let mut conn = Conn {
            sock,
            session: Session::new(service),
            io,
            out: Vec::new(),
            sent: 0,
            can_read: false,
            // A new socket has an empty send buffer: writable until send() says EAGAIN.
            can_write: true,
            fin_seen: false,
            reading_done: false,
            paused: false,
            tally: Tally {
                clients: 1,
                ..Tally::default()
            },
        };
        if let Opening::SayAndClose(greeting) = conn.session.open() {
            narrate::log(Log::Data, Some(fd), Msg::Sending { data: &greeting });
            conn.out = greeting;
            conn.reading_done = true;
        }
        match conn.drive(&mut [], &mut Vec::new()) {
            Next::Keep => Opened::Watch(conn),
            Next::Close => Opened::Done(conn.close()),
        }
    }

    /// The descriptor, for the wait's sets and logs.
    pub fn fd(&self) -> i32 {
        self.sock.fd()
    }

    /// The socket, to register it with epoll or to put it in select's and poll's sets.
    pub fn sock(&self) -> &Socket {
        &self.sock
    }

    /// Should a level-triggered wait (select, poll) watch for readability? Not while reading
    /// is paused or over: the socket would be reported ready again and again, and the loop
    /// would spin.
    pub fn wants_read(&self) -> bool {
        !self.reading_done && !self.paused
    }

    /// Should a level-triggered wait watch for writability? Only while replies are unsent:
    /// an idle socket is almost always writable, and watching it would wake the loop for
    /// nothing.
    pub fn wants_write(&self) -> bool {
        self.pending() > 0
    }

    /// The wait reported this connection: read, answer and send as far as the kernel lets us.
    ///
    /// `buf` is the loop's shared read buffer, `reply` its shared scratch space for replies.
    ///
    /// Reading stops at EAGAIN, as mio's and every edge-triggered server must; but it also
    /// stops after a read shorter than `buf`: the kernel gave everything it had, so the socket
    /// is drained, and if more bytes arrive later, that is a new event (edge-triggered) or the
    /// socket is still ready at the next wait (level-triggered). This saves the second `recv()`
    /// that would only say EAGAIN: one system call per message, the difference between mio's
    /// own example server (read until EAGAIN: 3 calls per echoed message) and tokio or a C epoll
    /// server (2 calls). The exception is a reported FIN (`read_closed`): no further event
    /// would come for it, so then reading goes on until `recv()` returns 0.
    pub fn on_ready(&mut self, ready: Readiness, buf: &mut [u8], reply: &mut Vec<u8>) -> Next {
        self.can_read |= ready.readable;
        self.can_write |= ready.writable;
        self.fin_seen |= ready.read_closed;
        self.drive(buf, reply)
    }

    /// Closes the connection, with the course's log line; returns what it moved.
    pub fn close(self) -> Tally {
        let fd = self.sock.fd();
        narrate::log(Log::Conn, Some(fd), Msg::Closing);
        if let Err(error) = sys::close(self.sock) {
            narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
        }
        self.tally
    }

    /// Bytes of replies not yet taken by the kernel.
    fn pending(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Makes all the progress the kernel allows now. Any failed call ends the connection, and
    /// only this one: it is logged with its errno and the event loop closes it.
    fn drive(&mut self, buf: &mut [u8], reply: &mut Vec<u8>) -> Next {
        match self.progress(buf, reply) {
            Ok(next) => next,
            Err(error) => {
                narrate::error(Some(self.fd()), Msg::ConnectionLost { error: &error });
                Next::Close
            }
        }
    }

    fn progress(&mut self, buf: &mut [u8], reply: &mut Vec<u8>) -> sys::Result<Next> {
        let fd = self.fd();
        loop {
            // Older replies first, so that replies never overtake one another.
            if self.pending() > 0 && self.can_write {
                self.flush()?;
            }
            let pending = self.pending();
            if pending == 0 && self.reading_done {
                // Everything owed is in the kernel's send buffer; close() lets TCP deliver
                // it before its FIN.
                return Ok(Next::Close);
            }
            if pending > OUTPUT_BOUND {
                if !self.paused {
                    self.paused = true;
                    narrate::log(
                        Log::Data,
                        Some(fd),
                        Msg::ReadingPaused {
                            pending,
                            bound: OUTPUT_BOUND,
                        },
                    );
                }
                return Ok(Next::Keep);
            }
            if self.paused {
                self.paused = false;
                narrate::log(Log::Data, Some(fd), Msg::ReadingResumed);
            }
            if self.reading_done || !self.can_read || buf.is_empty() {
                return Ok(Next::Keep);
            }
            let n = match self.io.recv(&self.sock, buf) {
                Ok(n) => n,
                // A signal arrived during the call: nothing happened, try again.
                Err(e) if e.errno == Errno::EINTR => {
                    signals::retrying(Some(fd), e.call);
                    continue;
                }
                // Non-blocking: the receive buffer is empty. Wait for the next event.
                Err(e) if e.errno == Errno::EAGAIN => {
                    self.can_read = false;
                    return Ok(Next::Keep);
                }
                Err(e) => return Err(e),
            };
            let answer: &[u8] = if n == 0 {
                // recv() returns 0 only at the end of the stream: the client sent its FIN.
                narrate::log(Log::Conn, Some(fd), Msg::PeerClosed);
                self.reading_done = true;
                reply.clear();
                self.session.finish(reply);
                reply
            } else {
                self.tally.bytes_in += n as u64;
                narrate::log(Log::Data, Some(fd), Msg::Received { data: &buf[..n] });
                if n < sys::io::asked(buf.len()) && !self.fin_seen {
                    // A short read: the kernel had no more. See `on_ready`. Shorter than what
                    // the kernel was asked for, not than the buffer: under `--max-io 1` every
                    // read is 1 byte, and an edge-triggered wait would never report the rest.
                    self.can_read = false;
                }
                self.session.answer(&buf[..n], reply)
            };
            self.send_reply(answer)?;
        }
    }

    /// Sends a new reply at once if nothing older waits, and keeps what the kernel did not
    /// take in the output buffer.
    fn send_reply(&mut self, reply: &[u8]) -> sys::Result<()> {
        if reply.is_empty() {
            return Ok(());
        }
        let fd = self.fd();
        narrate::log(Log::Data, Some(fd), Msg::Sending { data: reply });
        let mut sent = 0;
        if self.pending() == 0 {
            while sent < reply.len() && self.can_write {
                match self.io.send(&self.sock, &reply[sent..]) {
                    Ok(n) => {
                        sent += n;
                        self.tally.bytes_out += n as u64;
                    }
                    Err(e) if e.errno == Errno::EINTR => {
                        signals::retrying(Some(fd), e.call);
                        continue;
                    }
                    // The send buffer is full: the rest waits for writability.
                    Err(e) if e.errno == Errno::EAGAIN => self.can_write = false,
                    Err(e) => return Err(e),
                }
            }
            if sent == reply.len() {
                narrate::log(Log::Data, Some(fd), Msg::SendOk);
                return Ok(());
            }
            narrate::log(
                Log::Data,
                Some(fd),
                Msg::ShortSendWait {
                    sent,
                    len: reply.len(),
                },
            );
        }
        self.out.extend_from_slice(&reply[sent..]);
        Ok(())
    }

    /// Sends the output buffer until it is empty or the kernel says EAGAIN.
    fn flush(&mut self) -> sys::Result<()> {
        while self.sent < self.out.len() {
            match self.io.send(&self.sock, &self.out[self.sent..]) {
                Ok(n) => {
                    self.sent += n;
                    self.tally.bytes_out += n as u64;
                }
                Err(e) if e.errno == Errno::EINTR => {
                    signals::retrying(Some(self.sock.fd()), e.call);
                    continue;
                }
                Err(e) if e.errno == Errno::EAGAIN => {
                    self.can_write = false;
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        self.sent = 0;
        if self.out.capacity() > OUT_KEEP {
            self.out = Vec::new();
        } else {
            self.out.clear();
        }
        narrate::log(Log::Data, Some(self.fd()), Msg::SendOk);
        Ok(())
    }
}

/// The connections of an event loop, each in a numbered slot: the slot number is the token
/// mio hands back with each event, and tells select's and poll's results apart. Slots of
/// closed connections are reused.
#[derive(Debug, Default)]
pub struct Conns {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
}

impl Conns {
    /// Stores a connection; returns its slot, and the connection in it.
    pub fn insert(&mut self, conn: Conn) -> (usize, &Conn) {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        (slot, self.slots[slot].insert(conn))
    }

    pub fn get_mut(&mut self, slot: usize) -> Option<&mut Conn> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    /// Lets the connection in `slot` do what the wait said it can, and closes it when it is
    /// done: returns what a closed connection moved, `None` while it stays open. An empty slot
    /// (no connection there any more) is nothing to do.
    pub fn on_ready(
        &mut self,
        slot: usize,
        ready: Readiness,
        buf: &mut [u8],
        reply: &mut Vec<u8>,
    ) -> Option<Tally> {
        let conn = self.get_mut(slot)?;
        if conn.on_ready(ready, buf, reply) == Next::Close {
            self.remove(slot).map(Conn::close)
        } else {
            None
        }
    }

    /// Takes a connection out, to close it.
    pub fn remove(&mut self, slot: usize) -> Option<Conn> {
        let conn = self.slots.get_mut(slot)?.take();
        if conn.is_some() {
            self.free.push(slot);
        }
        conn
    }

    /// Every connection, with its slot.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Conn)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, conn)| conn.as_ref().map(|conn| (slot, conn)))
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes every connection still open; returns what they moved.
    pub fn close_all(&mut self) -> Tally {
        let mut tally = Tally::default();
        for conn in self.slots.drain(..).flatten() {
            tally += conn.close();
        }
        self.free.clear();
        tally
    }
}
