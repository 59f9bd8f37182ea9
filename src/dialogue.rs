//! The dialogue with one client over a blocking socket: the course's « boucle de dialogue ».
//!
//! Written once and run unchanged by every blocking server model: the iterative server runs it
//! in its only thread, the fork server in a child process, the thread server in a thread.
//! Diff two models and only the concurrency differs.
//!
//! ```text
//! getpeername(conn_fd)        who is it?
//! loop:
//!     n = recv(conn_fd, 1024)  blocks until bytes arrive; 0 = the client closed
//!     reply = service(bytes)   the parrot: upper case
//!     send(conn_fd, reply)     until every byte is taken (the course's n != len check)
//! close(conn_fd)
//! ```

use nix::errno::Errno;

use crate::narrate::{self, Log};
use crate::service::{Service, Session};
use crate::stream::{Io, send_all};
use crate::sys::{self, Socket};
use crate::text::Msg;

/// The course's buffer: `recv(1024)`.
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

/// Serves one client from its first byte to its last, then closes the connection.
///
/// Never fails: whatever happens to this connection (a reset, a vanished client) is logged, the
/// socket is closed, and the caller goes on to the next client.
pub fn serve(conn_fd: Socket, service: Service, io: Io) -> Tally {
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
    if let Err(error) = talk(&conn_fd, service, io, &mut tally) {
        narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
    }
    narrate::log(Log::Conn, Some(fd), Msg::Closing);
    if let Err(error) = sys::close(conn_fd) {
        narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
    }
    tally
}

/// The dialogue loop proper; returns when the client has closed, or on the first error.
fn talk(conn_fd: &Socket, service: Service, io: Io, tally: &mut Tally) -> sys::Result<()> {
    let fd = conn_fd.fd();
    let mut buf = [0u8; BUF_SIZE];
    let mut session = Session::new(service);
    // Upper-casing can lengthen the text (`ß` → `SS`): the reply buffer grows as needed.
    let mut reply = Vec::with_capacity(BUF_SIZE);
    loop {
        let n = match io.recv(conn_fd, &mut buf) {
            Ok(n) => n,
            // A signal interrupted the wait before anything arrived: wait again.
            Err(e) if e.errno == Errno::EINTR => continue,
            Err(e) => return Err(e),
        };
        reply.clear();
        if n == 0 {
            // recv() returns 0 only at the end of the stream: the client sent its FIN.
            narrate::log(Log::Conn, Some(fd), Msg::PeerClosed);
            session.finish(&mut reply);
        } else {
            tally.bytes_in += n as u64;
            narrate::log(Log::Data, Some(fd), Msg::Received { data: &buf[..n] });
            session.respond(&buf[..n], &mut reply);
        }
        if !reply.is_empty() {
            narrate::log(Log::Data, Some(fd), Msg::Sending { data: &reply });
            send_all(io, conn_fd, &reply)?;
            tally.bytes_out += reply.len() as u64;
            narrate::log(Log::Data, Some(fd), Msg::SendOk);
        }
        if n == 0 {
            return Ok(());
        }
    }
}
