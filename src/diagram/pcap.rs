//! Reading a packet capture: the TCP segments, UDP datagrams and ICMP port-unreachable errors of
//! a `tcpdump -w` file.
//!
//! The file is read with `pcap-file` and each frame taken apart with `etherparse`, two
//! well-kept readers, rather than with a parser of our own. `tcpdump -i lo -w` on Linux writes
//! classic pcap with link type EN10MB (an Ethernet header of zeros before each IP packet);
//! `tcpdump -i any` writes LINUX_SLL2 (LINUX_SLL with a libpcap older than 1.10); a capture made
//! on BSD's loopback has NULL (a 4-byte address family). All of them are read; frames that are
//! not TCP over IPv4 or IPv6 are skipped.

use std::fs::File;
use std::net::SocketAddr;
use std::path::Path;

use etherparse::{
    Icmpv4Type, Icmpv6Type, LaxNetSlice, LaxSlicedPacket, NetSlice, SlicedPacket, TransportSlice,
    icmpv4, icmpv6,
};
use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;

use super::words::Trouble;

/// What a captured packet carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    /// ICMP (or ICMPv6) destination unreachable, code port unreachable: the answer of a machine
    /// where nobody listens on a datagram's port. Its ports are those of the datagram it quotes,
    /// turned round: from the closed port to the sender's.
    PortUnreachable,
}

/// One TCP segment (or UDP datagram, or ICMP port unreachable) as the capture saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub proto: Proto,
    /// When the capture stamped it: CLOCK_REALTIME in nanoseconds.
    pub t: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    /// Absolute sequence and acknowledgment numbers (the timeline makes them relative).
    pub seq: u32,
    pub ack_no: u32,
    /// Bytes of data the segment carries.
    pub len: usize,
}

impl Segment {
    /// Its flags as tcpdump's users name them: `SYN`, `SYN, ACK`, `PSH, ACK`, `FIN, ACK`; `UDP`
    /// for a datagram, `ICMP port unreachable` for that error.
    pub fn flags(&self) -> String {
        match self.proto {
            Proto::Tcp => {}
            Proto::Udp => return "UDP".into(),
            Proto::PortUnreachable => return "ICMP port unreachable".into(),
        }
        let named = [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
        ];
        let names: Vec<&str> = named.iter().filter(|f| f.0).map(|f| f.1).collect();
        names.join(", ")
    }
}

/// The IP packet inside one captured frame, as etherparse slices it for this link type.
fn slice(link: DataLink, frame: &[u8]) -> Option<SlicedPacket<'_>> {
    match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(frame).ok(),
        // etherparse's LINUX_SLL reader refuses the hardware type of `lo` (ARPHRD_LOOPBACK), so
        // the cooked headers are stepped over here: 16 bytes ending with the protocol for SLL,
        // 20 bytes starting with it for SLL2; an IP packet follows when it says IPv4 or IPv6.
        DataLink::LINUX_SLL => ip_after(frame, 14, 16),
        DataLink::LINUX_SLL2 => ip_after(frame, 0, 20),
        // NULL and LOOP's header is a 4-byte address family.
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(frame.get(4..)?).ok(),
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(frame).ok(),
        _ => None,
    }
}

/// The IP packet after a cooked header of `len` bytes whose protocol (an EtherType) is at
/// `protocol`.
fn ip_after(frame: &[u8], protocol: usize, len: usize) -> Option<SlicedPacket<'_>> {
    let ether_type = u16::from_be_bytes(frame.get(protocol..protocol + 2)?.try_into().ok()?);
    match ether_type {
        0x0800 | 0x86dd => SlicedPacket::from_ip(frame.get(len..)?).ok(),
        _ => None,
    }
}

/// A datagram (or segment) with no TCP header: no flags, no numbers.
fn datagram(proto: Proto, t: u64, src: SocketAddr, dst: SocketAddr, len: usize) -> Segment {
    Segment {
        proto,
        t,
        src,
        dst,
        syn: false,
        ack: false,
        fin: false,
        rst: false,
        psh: false,
        seq: 0,
        ack_no: 0,
        len,
    }
}

/// The ICMP port unreachable for the datagram an ICMP error quotes (its IP header and the first
/// 8 bytes of its UDP header, so read laxly: the quoted lengths say more than is there), from
/// the closed port back to the sender.
fn unreachable(t: u64, quoted: &[u8]) -> Option<Segment> {
    let packet = LaxSlicedPacket::from_ip(quoted).ok()?;
    let (src_ip, dst_ip) = match packet.net? {
        LaxNetSlice::Ipv4(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        LaxNetSlice::Ipv6(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        LaxNetSlice::Arp(_) => return None,
    };
    let Some(TransportSlice::Udp(udp)) = packet.transport else {
        return None;
    };
    Some(datagram(
        Proto::PortUnreachable,
        t,
        SocketAddr::new(dst_ip, udp.destination_port()),
        SocketAddr::new(src_ip, udp.source_port()),
        0,
    ))
}

/// The TCP segment, UDP datagram or ICMP port unreachable in one frame, if it holds one.
fn segment(link: DataLink, t: u64, frame: &[u8]) -> Option<Segment> {
    let packet = slice(link, frame)?;
    let (src_ip, dst_ip) = match packet.net? {
        NetSlice::Ipv4(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Ipv6(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Arp(_) => return None,
    };
    let tcp = match packet.transport? {
        TransportSlice::Tcp(tcp) => tcp,
        TransportSlice::Udp(udp) => {
            return Some(datagram(
                Proto::Udp,
                t,
                SocketAddr::new(src_ip, udp.source_port()),
                SocketAddr::new(dst_ip, udp.destination_port()),
                udp.payload().len(),
            ));
        }
        TransportSlice::Icmpv4(icmp) => match icmp.icmp_type() {
            Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Port) => {
                return unreachable(t, icmp.payload());
            }
            _ => return None,
        },
        TransportSlice::Icmpv6(icmp) => match icmp.icmp_type() {
            Icmpv6Type::DestinationUnreachable(icmpv6::DestUnreachableCode::Port) => {
                return unreachable(t, icmp.payload());
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(Segment {
        proto: Proto::Tcp,
        t,
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        psh: tcp.psh(),
        seq: tcp.sequence_number(),
        ack_no: tcp.acknowledgment_number(),
        len: tcp.payload().len(),
    })
}

/// Every TCP segment, UDP datagram and ICMP port unreachable of a capture, in its order.
pub fn read(path: &Path) -> Result<Vec<Segment>, Trouble> {
    let failed = |why: String| Trouble::Capture {
        path: path.display().to_string(),
        why,
    };
    let file = File::open(path).map_err(|e| Trouble::Read {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    let mut reader = PcapReader::new(file).map_err(|e| failed(e.to_string()))?;
    let link = reader.header().datalink;
    let mut segments = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.map_err(|e| failed(e.to_string()))?;
        let t = u64::try_from(packet.timestamp.as_nanos()).unwrap_or(u64::MAX);
        segments.extend(segment(link, t, &packet.data));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first frame of the committed capture: EN10MB, as `tcpdump -i lo -w` writes, holding
    /// the client's SYN.
    fn first_frame() -> (DataLink, Vec<u8>) {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagram/dialogue/dialogue.pcap");
        let mut reader = PcapReader::new(File::open(path).unwrap()).unwrap();
        let link = reader.header().datalink;
        let frame = reader.next_packet().unwrap().unwrap().data.into_owned();
        (link, frame)
    }

    /// The same IP packet under each link type tcpdump may write on Linux or BSD loopback is read
    /// as the same segment.
    #[test]
    fn every_loopback_link_type_gives_the_same_segment() {
        let (link, frame) = first_frame();
        assert_eq!(link, DataLink::ETHERNET);
        let expected = segment(link, 1, &frame).expect("the first frame is a TCP segment");
        assert!(expected.syn && !expected.ack);
        assert_eq!(expected.flags(), "SYN");
        let ip = &frame[14..];
        // NULL: the address family in host order (AF_INET = 2).
        let null = [&2u32.to_ne_bytes()[..], ip].concat();
        // LINUX_SLL: 16 bytes, the protocol (0x0800, IPv4) in the last two.
        let mut sll = vec![0u8; 16];
        sll[14..].copy_from_slice(&0x0800u16.to_be_bytes());
        sll[2..4].copy_from_slice(&772u16.to_be_bytes()); // ARPHRD_LOOPBACK
        sll.extend_from_slice(ip);
        // LINUX_SLL2: 20 bytes, the protocol first.
        let mut sll2 = vec![0u8; 20];
        sll2[..2].copy_from_slice(&0x0800u16.to_be_bytes());
        sll2.extend_from_slice(ip);
        for (link, frame) in [
            (DataLink::NULL, null),
            (DataLink::LINUX_SLL, sll),
            (DataLink::LINUX_SLL2, sll2),
            (DataLink::RAW, ip.to_vec()),
        ] {
            assert_eq!(
                segment(link, 1, &frame).as_ref(),
                Some(&expected),
                "{link:?}"
            );
        }
    }

    /// The UDP run's capture: datagrams with their lengths, and the ICMP port unreachable turned
    /// round, from the closed port back to the port of the datagram it quotes.
    #[test]
    fn datagrams_and_port_unreachable_are_read() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagram/udp/udp.pcap");
        let packets = read(&path).unwrap();
        let protos: Vec<Proto> = packets.iter().map(|p| p.proto).collect();
        assert_eq!(
            protos,
            [
                Proto::Udp,
                Proto::Udp,
                Proto::Udp,
                Proto::Udp,
                Proto::Udp,
                Proto::PortUnreachable
            ]
        );
        assert_eq!(packets[0].len, 8);
        assert_eq!(packets[0].flags(), "UDP");
        let (last, unreachable) = (&packets[4], &packets[5]);
        assert_eq!((unreachable.src, unreachable.dst), (last.dst, last.src));
        assert_eq!(unreachable.flags(), "ICMP port unreachable");
    }
}
