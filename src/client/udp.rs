//! The UDP client: `socket(SOCK_DGRAM)`, then per line one datagram out and one datagram back.
//!
//! Nothing is sent before the first line: UDP has no handshake, so there is no connection to
//! open and none to close. Each line goes in one datagram, each reply is one datagram, and a
//! datagram can be lost: nothing acknowledges it, nothing sends it again. So the client waits
//! for each reply at most `--timeout` seconds (`SO_RCVTIMEO`: `recvfrom()` then fails with
//! EAGAIN) and says that no reply came.
//!
//! Two ways to address the server:
//! - unconnected (the default): `sendto()` names the server in each call, and `recvfrom()`
//!   says who each datagram came from; a datagram from anyone else is ignored (anybody can
//!   send to this port). When nobody listens on the server's port, its machine answers with an
//!   ICMP "port unreachable", which an unconnected socket never hears: the client only times
//!   out.
//! - connected (`--connect`): `connect()` sends nothing; the kernel remembers the server's
//!   address, fills it in for `send()`, keeps only its datagrams for `recv()`, and reports the
//!   ICMP error: `recv()` fails with ECONNREFUSED.
//!
//! Under `--interrupt MS`, a blocked `recvfrom()` (or `sendto()`) returns EINTR and is made
//! again, within the same `--timeout`; `--max-io` is refused (`main`): a datagram is not read
//! in pieces.
//!
//! Run it:    `sockstep client --udp` (after `sockstep server --udp`)
//! Watch it:  `strace -e trace=network sockstep client --udp`

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::{PROMPT, prompt};
use crate::Error;
use crate::dialogue::BUF_SIZE;
use crate::narrate::{self, Log};
use crate::service::DATAGRAM_REPLY_FACTOR;
use crate::signals;
use crate::sys::{self, Blocking, SockOpt, Socket};
use crate::text::{Msg, Problem};

/// What the UDP client talks to, and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// A name or an IP address.
    pub host: String,
    pub port: u16,
    /// `connect()` the socket, then `send()` and `recv()`.
    pub connect: bool,
    /// How long to wait for each reply.
    pub timeout: Duration,
}

/// The reply buffer: the parrot's reply to a datagram of the course's 1024 bytes is at most
/// 3 times as long, and fits whole.
const REPLY_BUF_SIZE: usize = BUF_SIZE * DATAGRAM_REPLY_FACTOR;

// ANCHOR: run
pub fn run(options: &Options) -> Result<(), Error> {
    narrate::set_tag("client");
    // A datagram goes to one address: the first the name gives (no connect() to try each).
    let server_addrs = sys::resolve(
        &options.host,
        options.port,
        sys::Purpose::Connect,
        nix::sys::socket::SockType::Datagram,
    )?;
    let Some(&server_addr) = server_addrs.first() else {
        let host = &options.host;
        return Err(Error::Problem(Problem::NoAddress { host }.to_string()));
    };
    let sock = sys::socket_dgram(&server_addr, Blocking::Yes)?;
    // A lost datagram is never sent again: without a timeout, recvfrom() would wait for ever.
    sys::setsockopt(&sock, SockOpt::RecvTimeout(options.timeout))?;
    if options.connect {
        sys::connect(&sock, &server_addr)?;
    }
    let connected = options.connect;
    narrate::log(
        Log::Conn,
        None,
        Msg::DatagramsTo {
            addr: server_addr,
            connected,
        },
    );
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let (mut sent, mut lost) = (0, 0);
    loop {
        if interactive {
            prompt(PROMPT);
        }
        line.clear();
        read_line(&mut input, &mut line)?;
        if line.is_empty() {
            break;
        }
        send_datagram(&sock, &line, server_addr, connected)?;
        sent += 1;
        if !receive_reply(&sock, server_addr, connected, options.timeout)? {
            lost += 1;
        }
    }
    if interactive {
        prompt("\n");
    }
    // No FIN to send, nothing to wait for: close() only frees the descriptor.
    narrate::log(Log::Conn, None, Msg::Disconnecting);
    sys::close(sock)?;
    if lost > 0 {
        return Err(Error::Problem(
            Problem::RepliesLost { lost, sent }.to_string(),
        ));
    }
    Ok(())
}
// ANCHOR_END: run

/// The next line of `input`, with its end of line; empty at the end of the input.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> Result<(), Error> {
    loop {
        match input.read_until(b'\n', line) {
            Ok(_) => return Ok(()),
            Err(why) if why.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(why) => return Err(Error::Problem(Problem::Input { why: &why }.to_string())),
        }
    }
}

/// Sends one line in one datagram: whole, or not at all. A signal's handler that ran while
/// the call waited for room in the send buffer (EINTR) sent nothing: send it again.
fn send_datagram(
    sock: &Socket,
    line: &[u8],
    server_addr: SocketAddr,
    connected: bool,
) -> Result<(), Error> {
    loop {
        let result = if connected {
            sys::send(sock, line)
        } else {
            sys::sendto(sock, line, &server_addr)
        };
        match result {
            Ok(_) => return Ok(()),
            Err(e) if e.errno == Errno::EINTR => {
                signals::retrying(None, e.call);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

// ANCHOR: receive_reply
/// Waits for the server's reply and prints it; returns false when none came in time.
/// A connected socket's `recv()` fails with ECONNREFUSED when the server's machine answered
/// "port unreachable": that error ends the client.
fn receive_reply(
    sock: &Socket,
    server_addr: SocketAddr,
    connected: bool,
    timeout: Duration,
) -> Result<bool, Error> {
    let mut buf = [0u8; REPLY_BUF_SIZE];
    // SO_RCVTIMEO starts again with each call: after an EINTR, the clock says what is left.
    let deadline = Instant::now() + timeout;
    loop {
        let received = if connected {
            // The kernel keeps only the server's datagrams for a connected socket.
            sys::recv(sock, &mut buf).map(|n| (n, server_addr))
        } else {
            sys::recvfrom(sock, &mut buf).map(|d| (d.kept, d.from))
        };
        match received {
            Ok((n, from)) if from == server_addr => {
                let data = &buf[..n];
                narrate::log(Log::Data, None, Msg::DatagramIn { from, data });
                super::write_out(data)?;
                return Ok(true);
            }
            // Anybody may send to our port: only the server's datagram is a reply.
            Ok((_, from)) => narrate::log(Log::Conn, None, Msg::ForeignDatagram { from }),
            // A signal's handler ran before a datagram came (`--interrupt`): nothing was
            // received, wait again, unless the wait for this reply is over.
            Err(e) if e.errno == Errno::EINTR && Instant::now() < deadline => {
                signals::retrying(None, e.call);
                // SO_RCVTIMEO would start again whole: what is left of the wait, at least 1 µs
                // (a zero timeout means none at all).
                let left = deadline.saturating_duration_since(Instant::now());
                sys::setsockopt(
                    sock,
                    SockOpt::RecvTimeout(left.max(Duration::from_micros(1))),
                )?;
            }
            // SO_RCVTIMEO expired: recv() and recvfrom() say EAGAIN (or a last EINTR came
            // after the time allowed).
            Err(e) if e.errno == Errno::EAGAIN || e.errno == Errno::EINTR => {
                narrate::error(None, Msg::NoReply { after: timeout });
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
    }
}
// ANCHOR_END: receive_reply
