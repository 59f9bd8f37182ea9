//! The dialogue in time order: every call of the records and every segment of the capture (or,
//! without one, the segments the calls imply), each on its side, joined by time and ports.
//!
//! Calls and segments are joined by their clocks: the record stamps calls with CLOCK_REALTIME,
//! and tcpdump stamps packets with the same clock, so a SYN stamped inside `connect()`'s
//! interval was sent by that `connect()`. A capture is narrowed to the connections of the
//! records by port: the server's port is the one its `getsockname()` (or `bind()`) names, or
//! the one the client's `connect()` names; each connection is then told apart by the client's
//! port. Sequence and acknowledgment numbers are shown relative to each direction's first
//! sequence number (its SYN), as Wireshark shows them.

use std::collections::{BTreeSet, HashMap};

use super::events::{Event, Kind, Role};
use super::pcap::{Proto, Segment};

/// One side of the dialogue: its process line and its TCP line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

impl From<Role> for Side {
    fn from(role: Role) -> Side {
        match role {
            Role::Client => Side::Client,
            Role::Server => Side::Server,
        }
    }
}

/// A call, on its side's process line.
#[derive(Clone, Debug)]
pub struct CallMark {
    pub side: Side,
    pub t_enter: u64,
    pub t_exit: u64,
    /// `[pid 1234] ` when a side has several processes (the fork model, several clients), as
    /// `strace -f` prefixes their lines.
    pub who: String,
    /// Which of its side's processes made it (0 for the first): each has its own bar's lane.
    pub lane: usize,
    /// strace's name of the call: `connect`.
    pub name: String,
    /// The call as strace names it, with what tells it apart: `connect(3, 127.0.0.1:6789)`.
    pub call: String,
    /// Its result: `= 0`, `= -1 ECONNRESET`.
    pub result: String,
    /// The layer of the Internet model it acts on, as the layer table names it.
    pub layer: String,
    /// It failed or was interrupted (an errno is set).
    pub failed: bool,
}

/// A segment, from one side's TCP line to the other's.
#[derive(Clone, Debug)]
pub struct Arrow {
    pub t: u64,
    pub from: Side,
    /// `SYN`, `SYN, ACK`, `PSH, ACK`, `FIN, ACK`, `RST`.
    pub flags: String,
    /// `seq 1:9 ack 1 len 8`, relative; for an inferred segment, its length only.
    pub detail: String,
    /// The client's port, when the dialogue has several connections.
    pub conn: Option<u16>,
    /// Implied by a call, not seen in a capture.
    pub inferred: bool,
    /// Drawn in red: a RST, or an ICMP port unreachable.
    pub rst: bool,
}

/// A call or a segment.
#[derive(Clone, Debug)]
pub enum Item {
    Call(CallMark),
    Arrow(Arrow),
}

impl Item {
    /// When it starts: a call's entry, a segment's stamp.
    pub fn t(&self) -> u64 {
        match self {
            Item::Call(call) => call.t_enter,
            Item::Arrow(arrow) => arrow.t,
        }
    }
}

/// The whole dialogue, ready to draw.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Calls and segments by time (at the same time, a call before the segment it sends).
    pub items: Vec<Item>,
    /// The segments are implied by the calls: no capture was given.
    pub inferred: bool,
    /// The layers the calls act on, in order of first appearance (the legend's order).
    pub layers: Vec<String>,
    /// The records' sockets are all UDP (SOCK_DGRAM): the inner lines are the two UDPs, the
    /// arrows datagrams.
    pub udp: bool,
    /// The server's model and port(s), for the title.
    pub model: Option<String>,
    pub server_ports: Vec<u16>,
    /// The first moment of the dialogue, which times are shown from.
    pub t0: u64,
}

impl Timeline {
    /// The transport the inner lines stand for: `TCP`, or `UDP` when every socket is one.
    pub fn transport(&self) -> &'static str {
        if self.udp { "UDP" } else { "TCP" }
    }
}

/// How far apart two moments are drawn: in proportion up to [`PROPORTIONAL_UP_TO`], then cut
/// short and marked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gap {
    /// This many pixels of time.
    Drawn(f64),
    /// Nothing happened for this long: drawn as a break, its length written on it.
    Cut(u64),
}

/// Pixels for one millisecond: a 40 ms delayed ACK is 120 px, a loopback round trip (tens of
/// microseconds) well under one, so labels set the spacing there.
pub const PX_PER_MS: f64 = 3.0;
/// Longer gaps than this (in nanoseconds) are cut, not drawn: a 2 s timeout would be 6,000 px.
pub const PROPORTIONAL_UP_TO: u64 = 60_000_000;

/// How the gap between two moments `dt` nanoseconds apart is drawn.
pub fn gap(dt: u64) -> Gap {
    if dt > PROPORTIONAL_UP_TO {
        Gap::Cut(dt)
    } else {
        Gap::Drawn(dt as f64 / 1e6 * PX_PER_MS)
    }
}

/// A duration in the units a student reads at a glance: `40.1 ms`, `2.003 s`, `85 µs`.
pub fn duration(ns: u64) -> String {
    match ns {
        0..1_000_000 => format!("{} µs", ns / 1_000),
        1_000_000..1_000_000_000 => format!("{:.1} ms", ns as f64 / 1e6),
        _ => format!("{:.3} s", ns as f64 / 1e9),
    }
}

/// Up to this many characters of the data a call moved are shown in its label.
const DATA_SHOWN: usize = 12;

/// The data a call moved, quoted as strace quotes it: `"bonjour\n"`, cut with `...`.
fn quoted(data: &[u8], whole: usize) -> String {
    let text = String::from_utf8_lossy(data);
    let mut shown = String::new();
    for c in text.chars().take(DATA_SHOWN) {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            '"' => shown.push_str("\\\""),
            c if c.is_control() => shown.push('.'),
            c => shown.push(c),
        }
    }
    let cut = text.chars().count() > DATA_SHOWN || whole > data.len();
    format!("\"{shown}\"{}", if cut { "..." } else { "" })
}

/// A call's label: strace's name, its descriptor and what tells it apart.
fn call_label(event: &Event) -> String {
    let mut parts = Vec::new();
    if let Some(fd) = event.fd {
        parts.push(fd.to_string());
    }
    let arg = |name: &str| {
        event
            .args
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match event.call() {
        "connect" | "bind" => parts.extend(event.addr()),
        "shutdown" => parts.extend(arg("how")),
        "setsockopt" | "getsockopt" => parts.extend(arg("optname")),
        "sigaction" => parts.extend(arg("signum")),
        "send" | "recv" | "read" | "write" | "sendto" | "recvfrom" => {
            if let Some(bytes) = event.bytes.as_ref().filter(|b| b.len > 0) {
                parts.push(quoted(&bytes.data(), bytes.len));
            }
        }
        _ => {}
    }
    format!("{}({})", event.syscall(), parts.join(", "))
}

/// A call's result: `= 8`, `= -1 ECONNRESET`, `= ?` for a call that never returns.
fn result_label(event: &Event) -> String {
    match (&event.errno, event.ret) {
        (Some(errno), _) => format!("= -1 {errno}"),
        (None, Some(ret)) => format!("= {ret}"),
        (None, None) => "= ?".into(),
    }
}

/// The ports the server listens on, as the records name them.
fn server_ports(events: &[Event]) -> Vec<u16> {
    let mut ports = BTreeSet::new();
    for event in events
        .iter()
        .filter(|e| e.kind == Kind::Call && !e.failed())
    {
        let port = event.addr_port().filter(|&p| p != 0);
        match (event.role, event.call()) {
            (Role::Server, "getsockname" | "bind") | (Role::Client, "connect") => {
                ports.extend(port)
            }
            _ => {}
        }
    }
    ports.into_iter().collect()
}

/// The calls, each on its side; several processes on a side are told apart by pid.
fn calls(events: &[Event]) -> Vec<CallMark> {
    // Each side's processes, in the order they first appear.
    let mut pids: HashMap<Role, Vec<Option<i32>>> = HashMap::new();
    for event in events.iter().filter(|e| e.kind == Kind::Call) {
        let seen = pids.entry(event.role).or_default();
        if !seen.contains(&event.pid) {
            seen.push(event.pid);
        }
    }
    let several = |role: Role| pids.get(&role).is_some_and(|p| p.len() > 1);
    let lane = |role: Role, pid: Option<i32>| {
        pids.get(&role)
            .and_then(|p| p.iter().position(|&q| q == pid))
            .unwrap_or(0)
    };
    events
        .iter()
        .filter(|e| e.kind == Kind::Call)
        .map(|event| CallMark {
            side: event.role.into(),
            t_enter: event.t_enter,
            t_exit: event.t_exit.max(event.t_enter),
            who: match (several(event.role), event.pid) {
                (true, Some(pid)) => format!("[pid {pid}] "),
                _ => String::new(),
            },
            lane: lane(event.role, event.pid),
            name: event.syscall().to_string(),
            call: call_label(event),
            result: result_label(event),
            layer: event
                .layer
                .as_ref()
                .map_or_else(String::new, |l| l.internet.clone()),
            failed: event.failed(),
        })
        .collect()
}

/// The segments of a capture that belong to the server's ports, with relative numbers.
fn captured(segments: &[Segment], ports: &[u16]) -> Vec<Arrow> {
    let ours = |s: &&Segment| {
        ports.is_empty() || ports.contains(&s.dst.port()) || ports.contains(&s.src.port())
    };
    let from = |s: &Segment| match ports.contains(&s.dst.port()) || ports.is_empty() && s.syn {
        true => Side::Client,
        false => Side::Server,
    };
    let mine: Vec<&Segment> = segments.iter().filter(ours).collect();
    // Each direction's first sequence number: its SYN's, or the first seen.
    let mut isn: HashMap<(std::net::SocketAddr, std::net::SocketAddr), u32> = HashMap::new();
    for s in mine.iter().filter(|s| s.syn) {
        isn.entry((s.src, s.dst)).or_insert(s.seq);
    }
    for s in &mine {
        isn.entry((s.src, s.dst)).or_insert(s.seq);
    }
    let client_ports: BTreeSet<u16> = mine
        .iter()
        .map(|s| match from(s) {
            Side::Client => s.src.port(),
            Side::Server => s.dst.port(),
        })
        .collect();
    mine.iter()
        .map(|s| {
            let side = from(s);
            let conn = (client_ports.len() > 1).then(|| match side {
                Side::Client => s.src.port(),
                Side::Server => s.dst.port(),
            });
            if s.proto != Proto::Tcp {
                // A datagram has its length only: no sequence, no acknowledgment.
                return Arrow {
                    t: s.t,
                    from: side,
                    flags: s.flags(),
                    detail: match s.proto {
                        Proto::Udp => format!("len {}", s.len),
                        _ => String::new(),
                    },
                    conn,
                    inferred: false,
                    rst: s.proto == Proto::PortUnreachable,
                };
            }
            let seq = s.seq.wrapping_sub(isn[&(s.src, s.dst)]);
            let mut detail = match s.len {
                0 => format!("seq {seq}"),
                n => format!("seq {seq}:{}", seq.wrapping_add(n as u32)),
            };
            if s.ack {
                let base = isn.get(&(s.dst, s.src)).copied().unwrap_or(s.ack_no);
                detail.push_str(&format!(" ack {}", s.ack_no.wrapping_sub(base)));
            }
            if s.len > 0 {
                detail.push_str(&format!(" len {}", s.len));
            }
            Arrow {
                t: s.t,
                from: side,
                flags: s.flags(),
                detail,
                conn,
                inferred: false,
                rst: s.rst,
            }
        })
        .collect()
}

/// The segments the calls imply, when no capture was made: the handshake inside a successful
/// `connect()`, a data segment for each `send()`, FIN for `shutdown(SHUT_WR)` or the `close()`
/// of a connected socket (each answered by an ACK), RST before a `recv()` that fails with
/// ECONNRESET. A UDP socket (SOCK_DGRAM) implies no handshake and no FIN: one datagram for each
/// `sendto()` or `send()`, and an ICMP port unreachable before a `recv()` that fails with
/// ECONNREFUSED. What the kernel did on its own (a close with unread data answered by RST, a
/// retransmission) cannot be implied: only a capture shows it.
fn inferred(events: &[Event]) -> Vec<Arrow> {
    let arrow = |t: u64, from: Side, flags: &str, detail: String| Arrow {
        t,
        from,
        flags: flags.into(),
        detail,
        conn: None,
        inferred: true,
        rst: flags.starts_with("RST") || flags.starts_with("ICMP"),
    };
    let mut arrows = Vec::new();
    // The UDP sockets of each process.
    let mut udp: BTreeSet<(Option<i32>, i64)> = BTreeSet::new();
    // The connected sockets of each process, and whether each has sent its FIN.
    let mut connected: HashMap<(Option<i32>, i64), bool> = HashMap::new();
    for event in events.iter().filter(|e| e.kind == Kind::Call) {
        let side = Side::from(event.role);
        let (t0, t1) = (event.t_enter, event.t_exit.max(event.t_enter));
        let fd = event.fd.unwrap_or(-1);
        let ret = event.ret.unwrap_or(-1);
        let key = (event.pid, fd);
        if event.call() == "socket" && datagram_socket(event) {
            udp.insert((event.pid, ret));
            continue;
        }
        if udp.contains(&key) {
            match (event.call(), event.errno.as_deref()) {
                ("sendto" | "send", None) => {
                    arrows.push(arrow(t0, side, "UDP", format!("len {ret}")));
                }
                ("recv" | "recvfrom", Some("ECONNREFUSED")) => {
                    arrows.push(arrow(
                        t0,
                        side.other(),
                        "ICMP port unreachable",
                        String::new(),
                    ));
                }
                ("close", None) => {
                    udp.remove(&key);
                }
                _ => {}
            }
            continue;
        }
        match (event.call(), event.errno.as_deref()) {
            ("connect", None) => {
                arrows.push(arrow(t0, side, "SYN", String::new()));
                arrows.push(arrow(
                    t0 + (t1 - t0) / 2,
                    side.other(),
                    "SYN, ACK",
                    String::new(),
                ));
                arrows.push(arrow(t1, side, "ACK", String::new()));
                connected.insert(key, false);
            }
            ("connect", Some("ECONNREFUSED")) => {
                arrows.push(arrow(t0, side, "SYN", String::new()));
                arrows.push(arrow(t1, side.other(), "RST, ACK", String::new()));
            }
            ("accept", None) => {
                connected.insert((event.pid, ret), false);
            }
            ("send" | "write", None) if ret > 0 && connected.contains_key(&key) => {
                arrows.push(arrow(t0, side, "PSH, ACK", format!("len {ret}")));
            }
            ("recv" | "read", Some("ECONNRESET")) => {
                arrows.push(arrow(t1, side.other(), "RST", String::new()));
                // A reset connection is gone: its close() sends nothing.
                connected.remove(&key);
            }
            ("shutdown" | "close", None) if connected.get(&key) == Some(&false) => {
                let how = event.args.get("how").and_then(|v| v.as_str());
                if event.call() == "close" || how != Some("SHUT_RD") {
                    arrows.push(arrow(t0, side, "FIN, ACK", String::new()));
                    arrows.push(arrow(t0 + 1, side.other(), "ACK", String::new()));
                    connected.insert(key, true);
                }
                if event.call() == "close" {
                    connected.remove(&key);
                }
            }
            ("close", None) => {
                connected.remove(&key);
            }
            _ => {}
        }
    }
    arrows
}

/// A `socket()` call that made a datagram socket.
fn datagram_socket(event: &Event) -> bool {
    event
        .args
        .get("type")
        .and_then(|v| v.as_str())
        .is_some_and(|t| t.contains("SOCK_DGRAM"))
}

/// Builds the timeline from the records and, if there is one, the capture.
pub fn build(events: &[Event], capture: Option<&[Segment]>) -> Timeline {
    let ports = server_ports(events);
    let arrows = match capture {
        Some(segments) => captured(segments, &ports),
        None => inferred(events),
    };
    let calls = calls(events);
    let mut layers: Vec<String> = Vec::new();
    for call in &calls {
        if !call.layer.is_empty() && !layers.contains(&call.layer) {
            layers.push(call.layer.clone());
        }
    }
    let mut items: Vec<Item> = calls.into_iter().map(Item::Call).collect();
    items.extend(arrows.into_iter().map(Item::Arrow));
    // By time; at the same time a call comes before the segment it sends. The sort is stable:
    // the records' own order holds among equals.
    items.sort_by_key(|item| (item.t(), matches!(item, Item::Arrow(_))));
    let model = events.iter().find_map(|e| e.model.clone());
    let sockets: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == Kind::Call && e.call() == "socket" && !e.failed())
        .collect();
    Timeline {
        udp: !sockets.is_empty() && sockets.iter().all(|e| datagram_socket(e)),
        t0: items.first().map_or(0, Item::t),
        items,
        inferred: capture.is_none(),
        layers,
        model,
        server_ports: ports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gaps up to 60 ms are drawn in proportion; a 2 s wait is cut and marked.
    #[test]
    fn long_gaps_are_cut() {
        assert_eq!(gap(40_000_000), Gap::Drawn(120.0));
        assert_eq!(gap(2_000_000_000), Gap::Cut(2_000_000_000));
        assert_eq!(duration(2_003_000_000), "2.003 s");
        assert_eq!(duration(40_100_000), "40.1 ms");
        assert_eq!(duration(85_000), "85 µs");
    }

    /// strace's quoting, cut after a dozen characters.
    #[test]
    fn data_is_quoted_and_cut() {
        assert_eq!(quoted(b"bonjour\n", 8), r#""bonjour\n""#);
        assert_eq!(quoted(b"a long line of text", 19), r#""a long line "..."#);
    }

    /// A client line of the record: `call` on fd 3 at time `t`, its result.
    fn client_call(call: &str, t: u64, ret: i64, errno: Option<&str>) -> String {
        let errno = errno.map_or("null".into(), |e| format!("\"{e}\""));
        format!(
            r#"{{"v":1,"kind":"call","t_enter":{t},"t_exit":{},"pid":7,"tid":7,"role":"client","call":"{call}","syscall":"{call}","fd":3,"args":{{"fd":3}},"ret":{ret},"errno":{errno}}}"#,
            t + 5
        )
    }

    /// Without a capture: the handshake inside connect(), RST before a recv() that fails with
    /// ECONNRESET, and no FIN from the close() of the connection the RST ended.
    #[test]
    fn a_reset_connection_sends_no_fin() {
        let lines = [
            client_call("connect", 10, 0, None),
            client_call("recv", 20, -1, Some("ECONNRESET")),
            client_call("close", 30, 0, None),
        ];
        let events =
            super::super::events::parse(std::path::Path::new("c"), &lines.join("\n")).unwrap();
        let line = build(&events, None);
        let flags: Vec<(Side, String)> = line
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Arrow(arrow) => Some((arrow.from, arrow.flags.clone())),
                Item::Call(_) => None,
            })
            .collect();
        assert_eq!(
            flags,
            [
                (Side::Client, "SYN".to_string()),
                (Side::Server, "SYN, ACK".to_string()),
                (Side::Client, "ACK".to_string()),
                (Side::Server, "RST".to_string()),
            ]
        );
        assert!(line.inferred);
    }
}
