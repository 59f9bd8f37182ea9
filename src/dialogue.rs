//! The dialogue with one client over a blocking socket: the course's « boucle de dialogue ».
//!
//! Written once and run unchanged by every blocking server model: the iterative server runs it
//! in its only thread, the fork server in a child process, the thread server in a thread.
//! Diff two models and only the concurrency differs.
//!
//! ```text
//! getpeername(conn_fd)        who is it?
//! [daytime: send(conn_fd, date line), close: the service speaks first and only]
//! loop:
//!     n = recv(conn_fd, 1024)  blocks until bytes arrive; 0 = the client closed
//!                              (1024 is the course's; `--buf N` asks for N)
//!     reply = service(bytes)   the parrot: upper case
//!     send(conn_fd, reply)     until every byte is taken (the course's n != len check)
//! close(conn_fd)
//! ```
//!
//! One addition serves the shutdown on SIGINT or SIGTERM: once the server is shutting down,
//! the client has until a deadline to leave ([`leave_by`]). Until then every byte it sends is
//! still answered; at the deadline the connection is closed.

use std::time::Instant;

use nix::errno::Errno;

use crate::narrate::{self, Log};
use crate::service::{Opening, Service, Session};
use crate::signals;
use crate::stream::{Io, send_all};
use crate::sys::{self, SockOpt, Socket};
use crate::text::Msg;

/// The course's buffer: `recv(1024)`. The blocking models' default; `--buf` sets another.
pub const BUF_SIZE: usize = 1024;

/// What one or more dialogues moved, for the server's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub clients: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.clients += other.clients;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
    }
}

// ANCHOR: serve
/// Serves one client from its first byte to its last, then closes the connection. Each
/// `recv()` asks for `buf_size` bytes (the course's [`BUF_SIZE`] unless `--buf` says).
///
/// Never fails: whatever happens to this connection (a reset, a vanished client) is logged, the
/// socket is closed, and the caller goes on to the next client.
pub fn serve(conn_fd: Socket, service: Service, io: Io, buf_size: usize) -> Tally {
    let fd = conn_fd.fd();
    let mut tally = Tally {
        clients: 1,
        ..Tally::default()
    };
    match sys::getpeername(&conn_fd) {
        Ok(client_addr) => narrate::log(
            Log::Conn,
            Some(fd),
            Msg::ConnectionFrom { addr: client_addr },
        ),
        // The client may already be gone (ENOTCONN): the dialogue will say so.
        Err(error) => narrate::log(Log::Conn, Some(fd), Msg::ConnectionLost { error: &error }),
    }
    if let Err(error) = talk(&conn_fd, service, io, buf_size, &mut tally) {
        narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
    }
    narrate::log(Log::Conn, Some(fd), Msg::Closing);
    if let Err(error) = sys::close(conn_fd) {
        narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
    }
    tally
}
// ANCHOR_END: serve

// ANCHOR: talk
/// The dialogue loop proper; returns when the client has closed, at the shutdown's deadline,
/// or on the first error.
fn talk(
    conn_fd: &Socket,
    service: Service,
    io: Io,
    buf_size: usize,
    tally: &mut Tally,
) -> sys::Result<()> {
    let fd = conn_fd.fd();
    let mut buf = vec![0u8; buf_size];
    let mut session = Session::new(service);
    if let Opening::SayAndClose(greeting) = session.open() {
        // daytime speaks first and says everything at once: nothing to read, then close.
        narrate::log(Log::Data, Some(fd), Msg::Sending { data: &greeting });
        send_all(io, conn_fd, &greeting)?;
        tally.bytes_out += greeting.len() as u64;
        narrate::log(Log::Data, Some(fd), Msg::SendOk);
        return Ok(());
    }
    // Upper-casing can lengthen the text (`ß` → `SS`): the reply buffer grows as needed.
    let mut reply = Vec::with_capacity(buf_size);
    let mut told = false;
    loop {
        // One atomic load, no system call, while the server is not shutting down. A signal
        // that lands just after this test and before recv() blocks is seen only when recv()
        // returns: the classic race of testing a flag set by a handler (pselect and ppoll
        // exist to close it). The models bound it: the fork parent kills a child still there
        // after the deadline, the thread model shuts the connection down, and in the
        // iterative model a second Ctrl-C interrupts the recv() again.
        if let Some(deadline) = signals::deadline()
            && leave_by(conn_fd, deadline, &mut told)? == Time::Up
        {
            return Ok(());
        }
        let n = match io.recv(conn_fd, &mut buf) {
            Ok(n) => n,
            // A signal interrupted the wait before anything arrived. If it asked for the
            // shutdown, the top of the loop sees it; otherwise nothing changed: wait again.
            Err(e) if e.errno == Errno::EINTR => {
                signals::retrying(Some(fd), e.call);
                continue;
            }
            // The receive timeout leave_by() set has run out: the top of the loop says so.
            Err(e) if e.errno == Errno::EAGAIN && signals::deadline().is_some() => continue,
            Err(e) => return Err(e),
        };
        let answer: &[u8] = if n == 0 {
            // recv() returns 0 only at the end of the stream: the client sent its FIN, or,
            // past the shutdown's deadline, the server shut the connection down itself.
            let msg = match signals::deadline() {
                Some(deadline) if Instant::now() >= deadline => Msg::GraceOver,
                _ => Msg::PeerClosed,
            };
            narrate::log(Log::Conn, Some(fd), msg);
            reply.clear();
            session.finish(&mut reply);
            &reply
        } else {
            tally.bytes_in += n as u64;
            narrate::log(Log::Data, Some(fd), Msg::Received { data: &buf[..n] });
            session.answer(&buf[..n], &mut reply)
        };
        if !answer.is_empty() {
            narrate::log(Log::Data, Some(fd), Msg::Sending { data: answer });
            match send_all(io, conn_fd, answer) {
                Ok(()) => {}
                // A client that stopped reading kept the reply out past the deadline.
                Err(e) if e.errno == Errno::EAGAIN && signals::deadline().is_some() => {
                    narrate::log(Log::Conn, Some(fd), Msg::GraceOver);
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
            tally.bytes_out += answer.len() as u64;
            narrate::log(Log::Data, Some(fd), Msg::SendOk);
        }
        if n == 0 {
            return Ok(());
        }
    }
}
// ANCHOR_END: talk

/// Whether the client still has time.
#[derive(PartialEq, Eq)]
enum Time {
    Left,
    Up,
}

/// The server is shutting down: the client may stay until `deadline`, no longer.
///
/// A blocking `recv()` would wait for ever for a client that sends nothing, so the socket gets
/// a receive timeout and a send timeout (SO_RCVTIMEO, SO_SNDTIMEO) that end at the deadline: a
/// call still waiting then returns EAGAIN. The kernel counts these timeouts from the start of
/// each call, not from the moment they were set, so they are set again before each `recv()`
/// with the time that is left. That costs two `setsockopt()` per message, during the grace
/// period only. `told` remembers whether the client's log line was written.
fn leave_by(conn_fd: &Socket, deadline: Instant, told: &mut bool) -> sys::Result<Time> {
    let fd = conn_fd.fd();
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        narrate::log(Log::Conn, Some(fd), Msg::GraceOver);
        return Ok(Time::Up);
    }
    if !*told {
        narrate::log(Log::Conn, Some(fd), Msg::ClientGrace { left });
        *told = true;
    }
    // `left` is not zero, and less than a microsecond is rounded up: a zero timeout would
    // mean "no timeout" to the kernel.
    let left = left.max(std::time::Duration::from_micros(1));
    sys::setsockopt(conn_fd, SockOpt::RecvTimeout(left))?;
    sys::setsockopt(conn_fd, SockOpt::SendTimeout(left))?;
    Ok(Time::Left)
}
