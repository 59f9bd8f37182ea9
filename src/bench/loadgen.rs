//! The load generator: C connections, each a ping-pong of S bytes, on one thread.
//!
//! This is bench code, not course code: it uses mio's own `TcpStream` (which makes its
//! `socket`, `connect` and `setsockopt` calls itself) and does not narrate, so that nothing in
//! it slows the server it measures or clutters the server's trace.
//!
//! Every connection does the same thing: connect, send one message of S bytes, wait until all
//! S bytes of the reply are back, note the time it took, send the next. All connections are
//! opened at once and none waits for another, so a server that serves one client at a time
//! shows up as connections that never get a reply: they are counted (`unserved`), never waited
//! for. The run ends on time, whatever the server does: after `--secs`, or after `--msgs`
//! replies with `--secs` as the limit.
//!
//! The payload is upper-case ASCII ending in `\n`: the parrot (`upper`) sends it back as it
//! came, as `echo` does, so one comparison checks every reply byte for byte.

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::Error;
use crate::bench::words::Bench;

/// When a run ends.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// After this long.
    Time(Duration),
    /// After this many replies in all, or after `limit`, whichever comes first.
    Replies { count: u64, limit: Duration },
}

/// One run's load.
#[derive(Clone, Debug)]
pub struct Load {
    pub addr: SocketAddr,
    pub conns: usize,
    pub size: usize,
    pub until: Until,
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Replies received whole and right.
    pub replies: u64,
    /// From the start of the load to its end.
    pub elapsed: Duration,
    /// The latency of each reply, in nanoseconds, sorted.
    pub latencies: Vec<u64>,
    /// Connections still open that got no reply at all before the end.
    pub unserved: usize,
    /// Connections that failed: refused, reset, closed by the server, or answered wrongly.
    pub failed: usize,
}

impl Outcome {
    /// Replies per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.replies as f64 / secs
        } else {
            0.0
        }
    }

    /// The latency below which `pct` percent of the replies came, in microseconds (nearest
    /// rank); 0 when there was no reply.
    pub fn percentile_us(&self, pct: f64) -> f64 {
        let n = self.latencies.len();
        if n == 0 {
            return 0.0;
        }
        let rank = ((pct / 100.0) * n as f64).ceil() as usize;
        self.latencies[rank.clamp(1, n) - 1] as f64 / 1000.0
    }

    /// The slowest reply, in microseconds.
    pub fn max_us(&self) -> f64 {
        self.latencies.last().map_or(0.0, |&ns| ns as f64 / 1000.0)
    }
}

/// The message every connection sends: `ABC...Z` repeated, ending in `\n`.
pub fn payload(size: usize) -> Vec<u8> {
    let mut payload: Vec<u8> = (0..size).map(|i| b'A' + (i % 26) as u8).collect();
    if let Some(last) = payload.last_mut() {
        *last = b'\n';
    }
    payload
}

/// Where one connection is in its ping-pong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The non-blocking connect() has not completed yet.
    Connecting,
    /// Part of the message is still to be written.
    Sending,
    /// Waiting for the rest of the reply.
    Receiving,
    /// Failed; no longer polled.
    Dead,
}

struct Conn {
    stream: TcpStream,
    phase: Phase,
    /// Bytes of the current message written, or of its reply read.
    done: usize,
    /// When the current message was first written.
    sent_at: Instant,
    replies: u64,
}

/// What an event on one connection led to.
enum Step {
    Continue,
    /// The connection failed; drop it from the poll.
    Failed,
}

struct Driver<'a> {
    payload: &'a [u8],
    buf: Vec<u8>,
    outcome: Outcome,
}

impl Driver<'_> {
    /// Starts the next message on a connection that is ready to send.
    fn send_next(&mut self, conn: &mut Conn, now: Instant) -> Step {
        conn.phase = Phase::Sending;
        conn.done = 0;
        conn.sent_at = now;
        self.flush(conn)
    }

    /// Writes as much of the message as the socket's send buffer takes.
    fn flush(&mut self, conn: &mut Conn) -> Step {
        while conn.done < self.payload.len() {
            match conn.stream.write(&self.payload[conn.done..]) {
                Ok(0) => return Step::Failed,
                Ok(n) => conn.done += n,
                // The send buffer is full: mio reports WRITABLE when it has room again.
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Step::Failed,
            }
        }
        conn.phase = Phase::Receiving;
        conn.done = 0;
        Step::Continue
    }

    /// Reads what has arrived of the reply, checks it, and sends the next message once the
    /// reply is whole.
    fn receive(&mut self, conn: &mut Conn) -> Step {
        loop {
            let n = match conn.stream.read(&mut self.buf) {
                // The server closed the connection.
                Ok(0) => return Step::Failed,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Step::Failed,
            };
            let expected = &self.payload[conn.done..];
            // More bytes than were asked for, or other bytes: the server answered wrongly.
            if n > expected.len() || self.buf[..n] != expected[..n] {
                return Step::Failed;
            }
            conn.done += n;
            if conn.done == self.payload.len() {
                let now = Instant::now();
                self.outcome
                    .latencies
                    .push((now - conn.sent_at).as_nanos() as u64);
                self.outcome.replies += 1;
                conn.replies += 1;
                // One message in flight per connection: nothing more can have arrived.
                return self.send_next(conn, now);
            }
            // A short read took everything the receive queue held. Under edge-triggered
            // epoll, Linux signals every later arrival again, so the read() that would only
            // return EAGAIN can be saved.
            if n < self.buf.len() {
                return Step::Continue;
            }
        }
    }

    /// Handles one readiness event.
    fn handle(&mut self, conn: &mut Conn, event: &mio::event::Event) -> Step {
        if conn.phase == Phase::Connecting {
            // A non-blocking connect() completes with WRITABLE (or an error). peer_addr()
            // tells the two apart, and take_error() says why it failed.
            match (conn.stream.take_error(), conn.stream.peer_addr()) {
                (Ok(None), Ok(_)) => {
                    // Nagle's algorithm would hold a small message back while waiting for
                    // the previous segment's ACK.
                    if conn.stream.set_nodelay(true).is_err() {
                        return Step::Failed;
                    }
                    return self.send_next(conn, Instant::now());
                }
                (Ok(None), Err(e)) if e.kind() == ErrorKind::NotConnected => {
                    return Step::Continue;
                }
                _ => return Step::Failed,
            }
        }
        if conn.phase == Phase::Sending
            && event.is_writable()
            && let Step::Failed = self.flush(conn)
        {
            return Step::Failed;
        }
        if conn.phase == Phase::Receiving
            && (event.is_readable() || event.is_read_closed() || event.is_error())
        {
            return self.receive(conn);
        }
        Step::Continue
    }
}

/// Runs one load against `load.addr`; returns when the run is over (always on time), with
/// the connections still open.
///
/// Only a failure to set up the poll itself is an error; connections that fail are counted.
pub fn run(load: &Load) -> Result<(Outcome, Connections), Error> {
    let setup = |why: std::io::Error| Error::Problem(Bench::LoadSetup { why: &why }.to_string());
    let payload = payload(load.size);
    let mut poll = Poll::new().map_err(setup)?;
    let mut events = Events::with_capacity(1024);
    let mut driver = Driver {
        payload: &payload,
        buf: vec![0; 64 * 1024],
        outcome: Outcome::default(),
    };
    let mut conns: Vec<Conn> = Vec::with_capacity(load.conns);
    for _ in 0..load.conns {
        let mut stream = match TcpStream::connect(load.addr) {
            Ok(stream) => stream,
            Err(_) => {
                driver.outcome.failed += 1;
                continue;
            }
        };
        let token = Token(conns.len());
        if poll
            .registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .is_err()
        {
            driver.outcome.failed += 1;
            continue;
        }
        conns.push(Conn {
            stream,
            phase: Phase::Connecting,
            done: 0,
            sent_at: Instant::now(),
            replies: 0,
        });
    }

    let start = Instant::now();
    let (limit, target) = match load.until {
        Until::Time(secs) => (secs, u64::MAX),
        Until::Replies { count, limit } => (limit, count),
    };
    let deadline = start + limit;
    let mut live = conns.len();
    let mut end = start;
    while live > 0 && driver.outcome.replies < target {
        end = Instant::now();
        if end >= deadline {
            break;
        }
        match poll.poll(&mut events, Some(deadline - end)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(setup(e)),
        }
        for event in events.iter() {
            let conn = &mut conns[event.token().0];
            if conn.phase == Phase::Dead {
                continue;
            }
            if let Step::Failed = driver.handle(conn, event) {
                conn.phase = Phase::Dead;
                let _ = poll.registry().deregister(&mut conn.stream);
                live -= 1;
            }
            if driver.outcome.replies >= target {
                break;
            }
        }
        end = Instant::now();
    }

    let mut outcome = driver.outcome;
    outcome.elapsed = end.min(deadline) - start;
    outcome.failed += conns.iter().filter(|c| c.phase == Phase::Dead).count();
    outcome.unserved = conns
        .iter()
        .filter(|c| c.phase != Phase::Dead && c.replies == 0)
        .count();
    outcome.latencies.sort_unstable();
    Ok((outcome, Connections { _conns: conns }))
}

/// The connections of a finished run, still open: they close when this is dropped. The bench
/// keeps them open while it reads the server's counters, so that closing a thousand
/// connections is not counted as part of the load.
pub struct Connections {
    _conns: Vec<Conn>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_payload_is_upper_case_and_ends_the_line() {
        assert_eq!(payload(5), b"ABCD\n");
        assert_eq!(payload(1), b"\n");
        assert_eq!(payload(0), b"");
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let outcome = Outcome {
            latencies: (1..=100).map(|us| us * 1000).collect(),
            ..Outcome::default()
        };
        assert_eq!(outcome.percentile_us(50.0), 50.0);
        assert_eq!(outcome.percentile_us(99.0), 99.0);
        assert_eq!(outcome.max_us(), 100.0);
        assert_eq!(Outcome::default().percentile_us(99.0), 0.0);
    }
}
