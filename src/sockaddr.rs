//! `sockstep addr 127.0.0.1:6789`: the `struct sockaddr_in` (or `sockaddr_in6`) that `bind()`
//! and `connect()` hand the kernel, field by field, and its bytes.
//!
//! A C program fills the structure by hand: `sin_family = AF_INET`, `sin_port =
//! htons(6789)`, `sin_addr.s_addr = inet_addr("127.0.0.1")`. sockstep's wrappers let nix build
//! it from a Rust address; this command shows the very bytes nix passes to `bind` (its
//! `SockaddrIn`'s pointer and length), then reads each field back out of those bytes. So the
//! port's two bytes `1a 85` are what the kernel receives, not a re-computation of `htons`.

use std::fmt::Write as _;
use std::net::SocketAddr;

use nix::sys::socket::{SockaddrIn, SockaddrIn6, SockaddrLike};

use crate::narrate::strace_sockaddr;
use crate::text::{Lang, Text};

const NETWORK: Text = Text {
    en: "network byte order (big-endian)",
    fr: "ordre réseau (gros-boutiste)",
};
const HOST: Text = Text {
    en: "host byte order",
    fr: "ordre de l'hôte",
};

/// The bytes nix hands `bind()` and `connect()` for `addr`: the same conversion the
/// wrappers of [`crate::sys`] use (`SockaddrIn::from`, `SockaddrIn6::from`).
pub fn bytes(addr: &SocketAddr) -> Vec<u8> {
    fn raw(sockaddr: &dyn SockaddrLike) -> Vec<u8> {
        // SAFETY: as_ptr points at len bytes of the structure, alive for this borrow.
        unsafe {
            std::slice::from_raw_parts(sockaddr.as_ptr().cast::<u8>(), sockaddr.len() as usize)
        }
        .to_vec()
    }
    match addr {
        SocketAddr::V4(v4) => raw(&SockaddrIn::from(*v4)),
        SocketAddr::V6(v6) => raw(&SockaddrIn6::from(*v6)),
    }
}

/// `02 00 1a 85`.
fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}

/// The structure for `addr`, field by field, read back from [`bytes`]; then all its bytes and
/// strace's notation of it.
pub fn render(addr: &SocketAddr, lang: Lang) -> String {
    let b = bytes(addr);
    let u16_at = |i: usize| [b[i], b[i + 1]];
    let family = u16::from_ne_bytes(u16_at(0));
    let port = u16::from_be_bytes(u16_at(2));
    let (network, host) = (NETWORK.get(lang), HOST.get(lang));
    let (sep, padding) = match lang {
        Lang::En => (":", "padding, zeros"),
        Lang::Fr => (" :", "remplissage, des zéros"),
    };
    let endian = match (cfg!(target_endian = "little"), lang) {
        (true, Lang::En) => "little-endian",
        (false, Lang::En) => "big-endian",
        (true, Lang::Fr) => "petit-boutiste",
        (false, Lang::Fr) => "gros-boutiste",
    };
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let family_name = match i32::from(family) {
        libc::AF_INET => "AF_INET",
        libc::AF_INET6 => "AF_INET6",
        _ => "?",
    };
    match addr {
        SocketAddr::V4(_) => {
            let ip = std::net::Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            rows.push((
                format!("sa_family_t    sin_family = {family_name} ({family})"),
                hex(&b[0..2]),
                format!("{host} ({endian})"),
            ));
            rows.push((
                format!("in_port_t      sin_port   = htons({port})"),
                hex(&b[2..4]),
                format!("{network}{sep} 0x{port:04x} = {port}"),
            ));
            rows.push((
                format!("struct in_addr sin_addr   = {ip}"),
                hex(&b[4..8]),
                network.to_string(),
            ));
            rows.push((
                "unsigned char  sin_zero[8]".to_string(),
                hex(&b[8..16]),
                padding.to_string(),
            ));
        }
        SocketAddr::V6(_) => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&b[8..24]);
            let ip = std::net::Ipv6Addr::from(octets);
            let flowinfo = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
            let scope = u32::from_ne_bytes([b[24], b[25], b[26], b[27]]);
            rows.push((
                format!("sa_family_t     sin6_family   = {family_name} ({family})"),
                hex(&b[0..2]),
                format!("{host} ({endian})"),
            ));
            rows.push((
                format!("in_port_t       sin6_port     = htons({port})"),
                hex(&b[2..4]),
                format!("{network}{sep} 0x{port:04x} = {port}"),
            ));
            rows.push((
                format!("uint32_t        sin6_flowinfo = {flowinfo}"),
                hex(&b[4..8]),
                network.to_string(),
            ));
            rows.push((
                format!("struct in6_addr sin6_addr     = {ip}"),
                hex(&b[8..24]),
                network.to_string(),
            ));
            rows.push((
                format!("uint32_t        sin6_scope_id = {scope}"),
                hex(&b[24..28]),
                host.to_string(),
            ));
        }
    }
    let name = match addr {
        SocketAddr::V4(_) => "sockaddr_in",
        SocketAddr::V6(_) => "sockaddr_in6",
    };
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let bytes_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let size = match lang {
        Lang::En => "bytes",
        Lang::Fr => "octets",
    };
    let mut out = format!("struct {name} {{   /* {} {size} */\n", b.len());
    for (field, bytes, order) in &rows {
        let _ = writeln!(out, "    {field:<width$}   {bytes:<bytes_width$}   {order}");
    }
    out.push_str("};\n");
    let (said_bytes, said_port) = match lang {
        Lang::En => ("bytes", "the port in host order"),
        Lang::Fr => ("octets", "le port dans l'ordre de l'hôte"),
    };
    let _ = writeln!(out, "{said_bytes}{sep} {}", hex(&b));
    let _ = writeln!(
        out,
        "{said_port}{sep} {port} = 0x{port:04x}, {} (htons{sep} {})",
        hex(&port.to_ne_bytes()),
        hex(&port.to_be().to_ne_bytes())
    );
    let _ = writeln!(out, "strace{sep} {}, {}", strace_sockaddr(addr), b.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The port's two bytes are htons(6789) = 0x1a85, most significant first.
    #[test]
    fn port_6789_is_1a_85() {
        let b = bytes(&"127.0.0.1:6789".parse().unwrap());
        assert_eq!(b.len(), 16);
        assert_eq!(&b[2..4], &[0x1a, 0x85]);
        assert_eq!(&b[4..8], &[127, 0, 0, 1]);
    }
}
