//! The UDP parrot, written once for the iterative model and the event loops: one datagram in,
//! one datagram out.
//!
//! What it demonstrates: a server with no connection. `socket(SOCK_DGRAM)` and `bind()`, and
//! that is all the setup: UDP has no handshake, so there is no queue of connections to
//! `listen()` on and none to `accept()`. Every datagram of every client arrives on the one
//! bound socket, each with its sender's address, which `recvfrom()` returns and `sendto()`
//! answers. One `recvfrom()` is one whole datagram: UDP keeps message boundaries, which TCP
//! does not (compare the stream parrot, which must survive a UTF-8 character cut between two
//! `recv()`s: here a character cannot be cut across datagrams).
//!
//! What it guards against, because a UDP server answers whatever address a datagram claims to
//! come from, and that address can be forged (the echo and chargen storms of CERT CA-1996-01):
//! - a source port below 1024 is a system service's (echo is 7, chargen 19): never answered,
//!   or one forged datagram could make two services answer each other for ever;
//! - a datagram sent to a broadcast or multicast address would make every listener of the
//!   network answer the victim at once: the UDP listener binds one unicast address only
//!   ([`check_bind`]), and such a socket never receives those; SO_BROADCAST stays off;
//! - a reply is never more than [`DATAGRAM_REPLY_FACTOR`] times the datagram: no
//!   amplification.
//!
//! Each refusal is logged once per source, in a set of at most [`REFUSED_LOGGED`] sources, so
//! that a flood cannot fill the log nor the memory.
//!
//! Run it:      `sockstep server --udp` (iterative) or
//!              `sockstep server --model poll --listen upper:6789 --listen upper:6789/udp`
//! Talk to it:  `sockstep client --udp`, or `nc -u 127.0.0.1 6789`
//! Watch it:    `strace -e trace=network sockstep server --udp`
//! Compare:     the iterative model's TCP loop: `listen`, `accept`, a dialogue, `close`.

use std::collections::HashSet;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};

use nix::errno::Errno;

use super::{Config, Listen};
use crate::Error;
use crate::dialogue::Tally;
use crate::narrate::{self, Log};
use crate::service::{DATAGRAM_REPLY_FACTOR, Service};
use crate::signals;
use crate::sys::{self, Blocking, SockOpt, Socket};
use crate::text::{Msg, Problem};

/// How many refused sources are remembered (and logged) at most.
pub const REFUSED_LOGGED: usize = 64;

/// The lowest source port the parrot answers: below it are the system services' ports.
pub const LOWEST_ANSWERED_PORT: u16 = 1024;

// ANCHOR: open
/// The UDP server's setup: `socket(SOCK_DGRAM)`, `IPV6_V6ONLY` on an IPv6 socket, `bind`,
/// then `getsockname` for the real port and the `listening on IP:PORT/udp SERVICE` line. No
/// `setsockopt(SO_REUSEADDR)`: UDP has no TIME_WAIT to wait out, and on Linux the option
/// would let a second UDP socket bind the same port and take its datagrams. No `listen()`:
/// there are no connections to queue.
pub fn open(listen: &Listen, config: &Config, blocking: Blocking) -> Result<Socket, Error> {
    check_bind(&listen.addr)?;
    let sock = sys::socket_dgram(&listen.addr, blocking)?;
    if listen.addr.is_ipv6() {
        // As the TCP listener does (see `open_listener`): said explicitly rather than left to
        // /proc/sys/net/ipv6/bindv6only. With 0 (dual stack), the IPv6 socket also takes
        // IPv4 datagrams, sent to the IPv4 address its address maps (`--bind
        // ::ffff:127.0.0.1` serves 127.0.0.1), and sees their senders as ::ffff:a.b.c.d;
        // with 1 (`--v6only`), it is IPv6 only, and bind() refuses a mapped address (EINVAL).
        sys::setsockopt(&sock, SockOpt::V6Only(config.v6only))?;
    }
    sys::bind(&sock, &listen.addr)?;
    let server_addr = sys::getsockname(&sock)?;
    let _ = writeln!(
        std::io::stdout(),
        "listening on {server_addr}/udp {}",
        listen.service.name()
    );
    Ok(sock)
}
// ANCHOR_END: open

/// Refuses the addresses whose socket would receive broadcast or multicast datagrams: the
/// wildcard (0.0.0.0 or ::, which receives every datagram for the port, broadcasts included),
/// the limited broadcast 255.255.255.255, and multicast groups. A socket bound to one unicast
/// address receives only datagrams sent to that address. (A subnet's broadcast address, such
/// as 192.168.1.255 on a /24, looks like any other address without the netmask: bind a host's
/// address.) An IPv4-mapped address (`::ffff:a.b.c.d`) is its IPv4 address for the kernel,
/// and is judged as such: `::ffff:0.0.0.0` is the IPv4 wildcard.
pub fn check_bind(addr: &SocketAddr) -> Result<(), Error> {
    let unsafe_v4 =
        |ip: std::net::Ipv4Addr| ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast();
    let unsafe_ip = match addr.ip() {
        IpAddr::V4(ip) => unsafe_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => unsafe_v4(v4),
            None => ip.is_unspecified() || ip.is_multicast(),
        },
    };
    if unsafe_ip {
        return Err(Error::Problem(
            Problem::UdpUnsafeBind { addr: *addr }.to_string(),
        ));
    }
    Ok(())
}

/// A UDP listener's service, its buffers, and the sources it refused.
#[derive(Debug)]
pub struct Parrot {
    service: Service,
    buf: Vec<u8>,
    reply: Vec<u8>,
    refused: Refused,
    tally: Tally,
}

impl Parrot {
    /// `buf_size` is the most a datagram keeps: by default the course's 1024 bytes
    /// ([`Config::datagram_buf`]); a longer datagram is cut, and the narration and the log
    /// say so.
    pub fn new(service: Service, buf_size: usize) -> Parrot {
        Parrot {
            service,
            buf: vec![0u8; buf_size],
            reply: Vec::new(),
            refused: Refused::default(),
            tally: Tally::default(),
        }
    }

    /// What was moved since the last call.
    pub fn take_tally(&mut self) -> Tally {
        std::mem::take(&mut self.tally)
    }

    // ANCHOR: serve_one
    /// One `recvfrom()`, and one `sendto()` to answer it. Returns whether a reply went out.
    /// Fails with recvfrom's error (EAGAIN when nothing waits on a non-blocking socket, EINTR
    /// when a signal's handler ran); a failed `sendto()` concerns one datagram only: it is
    /// logged, and the datagram is lost, as UDP loses datagrams.
    pub fn serve_one(&mut self, sock: &Socket) -> sys::Result<bool> {
        let fd = Some(sock.fd());
        let datagram = sys::recvfrom(sock, &mut self.buf)?;
        let data = &self.buf[..datagram.kept];
        let from = datagram.from;
        self.tally.bytes_in += data.len() as u64;
        narrate::log(Log::Data, fd, Msg::DatagramIn { from, data });
        if datagram.truncated() {
            let (len, kept) = (datagram.len, datagram.kept);
            narrate::log(Log::Conn, fd, Msg::DatagramCut { from, len, kept });
        }
        if from.port() < LOWEST_ANSWERED_PORT {
            self.refused.log_once(fd, from);
            return Ok(false);
        }
        if let Some(len) = self.service.answer_datagram(data, &mut self.reply) {
            let cap = data.len() * DATAGRAM_REPLY_FACTOR;
            narrate::log(Log::Conn, fd, Msg::ReplyCapped { len, cap });
        }
        if self.service == Service::Discard {
            return Ok(false);
        }
        let reply = &self.reply;
        narrate::log(
            Log::Data,
            fd,
            Msg::DatagramOut {
                to: from,
                data: reply,
            },
        );
        // One reply, one datagram: sendto() sends it whole or not at all. A signal's handler
        // that ran while it waited for room in the send buffer sent nothing: send it again.
        let sent = loop {
            match sys::sendto(sock, reply, &from) {
                Err(e) if e.errno == Errno::EINTR => {
                    signals::retrying(fd, e.call);
                }
                sent => break sent,
            }
        };
        match sent {
            Ok(n) => {
                self.tally.bytes_out += n as u64;
                Ok(true)
            }
            Err(error) => {
                narrate::error(fd, Msg::ConnectionLost { error: &error });
                Ok(false)
            }
        }
    }
    // ANCHOR_END: serve_one

    // ANCHOR: drain
    /// An event loop's turn on a ready UDP socket: every datagram waiting, each answered,
    /// until EAGAIN. The edge-triggered wait (mio) reports the socket once, when datagrams
    /// arrive: stopping before EAGAIN would leave the others unread until the next datagram
    /// comes. Returns whether a reply went out. Fails only when the socket itself is broken.
    pub fn drain(&mut self, sock: &Socket) -> sys::Result<bool> {
        let mut answered = false;
        loop {
            match self.serve_one(sock) {
                Ok(replied) => answered |= replied,
                // A signal's handler ran: nothing was received, read again.
                Err(e) if e.errno == Errno::EINTR => {}
                // The receive queue is empty.
                Err(e) if e.errno == Errno::EAGAIN => return Ok(answered),
                Err(e) => return Err(e),
            }
        }
    }
    // ANCHOR_END: drain
}

/// The sources refused so far, remembered so that each is logged once, and at most
/// [`REFUSED_LOGGED`] of them.
#[derive(Debug, Default)]
struct Refused {
    sources: HashSet<SocketAddr>,
    full: bool,
}

impl Refused {
    /// Logs the refusal of `from`, the first time only.
    fn log_once(&mut self, fd: Option<i32>, from: SocketAddr) {
        if let Some(msg) = self.first_time(from) {
            narrate::log(Log::Quiet, fd, msg);
        }
    }

    /// What to log about refusing `from`: the refusal, the first time; that no more will be
    /// logged, when the set is full; nothing otherwise.
    fn first_time(&mut self, from: SocketAddr) -> Option<Msg<'static>> {
        if self.full || self.sources.contains(&from) {
            return None;
        }
        if self.sources.len() == REFUSED_LOGGED {
            self.full = true;
            return Some(Msg::RefusedUnlogged {
                cap: REFUSED_LOGGED,
            });
        }
        self.sources.insert(from);
        Some(Msg::LowPortRefused { from })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unicast_binds() {
        for addr in [
            "0.0.0.0:1",
            "255.255.255.255:1",
            "224.0.0.1:1",
            "[::]:1",
            "[ff02::1]:1",
            "[::ffff:0.0.0.0]:1",
            "[::ffff:255.255.255.255]:1",
        ] {
            assert!(check_bind(&addr.parse().unwrap()).is_err(), "{addr}");
        }
        for addr in [
            "127.0.0.1:1",
            "[::1]:1",
            "192.168.1.10:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(check_bind(&addr.parse().unwrap()).is_ok(), "{addr}");
        }
    }

    #[test]
    fn refusals_are_remembered_within_a_bound() {
        let mut refused = Refused::default();
        let mut logged = 0;
        for round in 0..5 {
            for port in 0..200u16 {
                let from = SocketAddr::from(([127, 0, 0, 1], port));
                if refused.first_time(from).is_some() {
                    logged += 1;
                }
            }
            assert_eq!(refused.sources.len(), REFUSED_LOGGED, "round {round}");
        }
        // One line per source remembered, and one to say the rest go unlogged.
        assert_eq!(logged, REFUSED_LOGGED + 1);
        assert!(refused.full);
    }
}
