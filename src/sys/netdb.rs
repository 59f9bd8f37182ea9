//! Names to addresses: `getaddrinfo(3)`, the one library call among the wrappers.
//!
//! Every other wrapper of [`crate::sys`] makes one system call. `getaddrinfo` makes none of
//! its own name: it is glibc code, running in the process, that reads `/etc/nsswitch.conf`
//! and `/etc/hosts` (`openat`, `read`, `close`) and, for a name not found there, asks a DNS
//! server over UDP port 53 (`socket`, `connect`, `sendto`, `recvfrom`). strace shows those
//! calls, never a line called `getaddrinfo`. So its narration says it is a library call, lists
//! the addresses it returned in the order it returned them, and is not written as an strace
//! line (`→`, not `=`); the record marks its line `"library": true`.
//!
//! An address written as digits (`127.0.0.1`, `::1`) is not resolved at all: the course's
//! client and server take it as it is, as a C program hands `inet_pton` its result, so the
//! course's default dialogue makes exactly the calls it always made. (`getaddrinfo` with
//! `AI_NUMERICHOST` would make no system call either: it only parses the digits; see the
//! book's "Names" page.)

use std::ffi::{CStr, CString};
use std::net::{IpAddr, SocketAddr};

use serde_json::json;

use nix::sys::socket::{SockType, SockaddrLike, SockaddrStorage};

use super::socket::to_std;
use crate::narrate::{self, Arg, Call, Told, record};
use crate::text::{Note, Problem};

/// What the addresses are for: `connect()` to them, or `bind()` to one (`AI_PASSIVE`, which
/// only changes the answer when there is no name: the wildcard address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Connect,
    Bind,
}

/// `host` and `port` as socket addresses: `host` as it is when it is an IP address, through
/// [`getaddrinfo`] when it is a name. The addresses are in the order to try them.
pub fn resolve(
    host: &str,
    port: u16,
    purpose: Purpose,
    sock_type: SockType,
) -> Result<Vec<SocketAddr>, crate::Error> {
    match host.parse::<IpAddr>() {
        Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
        Err(_) => getaddrinfo(host, port, purpose, sock_type),
    }
}

/// `getaddrinfo(3)`: network address and service translation.
///
/// Layer: application (OSI 7). Not a system call: a library function (glibc's resolver) that
/// asks the sources `/etc/nsswitch.conf` lists (`hosts: files dns`: `/etc/hosts`, then DNS)
/// for the TCP (or UDP, with `SockType::Datagram`) addresses of `host`, IPv6 and IPv4 alike (`AF_UNSPEC`), and returns them as a
/// linked list of ready-made `sockaddr`s in the order RFC 6724 prefers. It makes the system
/// calls of the reading and the asking; strace shows them, and no `getaddrinfo` line.
///
/// Narrated: `getaddrinfo("localhost", "6789", {ai_flags=0, ai_family=AF_UNSPEC,
/// ai_socktype=SOCK_STREAM}, [127.0.0.1:6789]) → 0`
/// (<https://man7.org/linux/man-pages/man3/getaddrinfo.3.html>)
pub fn getaddrinfo(
    host: &str,
    port: u16,
    purpose: Purpose,
    sock_type: SockType,
) -> Result<Vec<SocketAddr>, crate::Error> {
    let unknown =
        |why: &str| crate::Error::Problem(Problem::UnknownHost { host, why: &why }.to_string());
    // A name with a NUL byte cannot reach C: no call, and the reason said.
    let node = CString::new(host).map_err(|_| unknown("a NUL byte in the name"))?;
    let service = CString::new(port.to_string()).map_err(|_| unknown("a NUL byte in the port"))?;
    let (flags, flags_name) = match purpose {
        Purpose::Connect => (0, "0"),
        Purpose::Bind => (libc::AI_PASSIVE, "AI_PASSIVE"),
    };
    // SAFETY: an all-zero addrinfo is the documented way to start the hints.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_flags = flags;
    hints.ai_family = libc::AF_UNSPEC;
    // The socket type only filters the answer: a name has the same addresses for TCP and UDP.
    let (sock_type, type_name) = match sock_type {
        SockType::Datagram => (libc::SOCK_DGRAM, "SOCK_DGRAM"),
        _ => (libc::SOCK_STREAM, "SOCK_STREAM"),
    };
    hints.ai_socktype = sock_type;
    let args = |res: Option<&[SocketAddr]>| {
        let res_arg = match res {
            Some(addrs) => {
                let shown: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
                Arg {
                    name: "res",
                    shown: format!("[{}]", shown.join(", ")),
                    value: json!(
                        addrs
                            .iter()
                            .map(|a| json!({ "ip": a.ip().to_string(), "port": a.port() }))
                            .collect::<Vec<_>>()
                    ),
                    blamed: None,
                }
            }
            None => Arg::shown("res", "NULL"),
        };
        vec![
            Arg::shown("node", format!("{host:?}")).blamed_as(host),
            Arg::shown("service", format!("\"{port}\"")),
            Arg::shown(
                "hints",
                format!("{{ai_flags={flags_name}, ai_family=AF_UNSPEC, ai_socktype={type_name}}}"),
            ),
            res_arg,
        ]
    };
    let t_enter = record::now();
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: node, service and hints are valid for the call; list receives glibc's list,
    // which is freed below with freeaddrinfo.
    let code = unsafe { libc::getaddrinfo(node.as_ptr(), service.as_ptr(), &hints, &mut list) };
    let t_exit = record::now();
    if code != 0 {
        // getaddrinfo does not set errno: it returns its own code (EAI_NONAME...), which
        // gai_strerror words. EAI_SYSTEM alone means "see errno".
        let errno = nix::errno::Errno::last();
        // SAFETY: gai_strerror returns a static string for any code.
        let words = unsafe { CStr::from_ptr(libc::gai_strerror(code)) }.to_string_lossy();
        let why = match code {
            libc::EAI_SYSTEM => format!("{words}: {errno}"),
            _ => words.into_owned(),
        };
        happened(
            args(None),
            Told::new(code, Note::NotResolved).shown(format!("{code} ({why})")),
            t_enter,
            t_exit,
        );
        return Err(unknown(&why));
    }
    let mut addrs = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: entry is a node of the list glibc returned, not yet freed.
        let info = unsafe { &*entry };
        if let Some(addr) = to_socket_addr(info) {
            addrs.push(addr);
        }
        entry = info.ai_next;
    }
    // SAFETY: list is the list getaddrinfo returned, freed once.
    unsafe { libc::freeaddrinfo(list) };
    happened(
        args(Some(&addrs)),
        Told::new(0, Note::Resolved { count: addrs.len() }),
        t_enter,
        t_exit,
    );
    if addrs.is_empty() {
        return Err(crate::Error::Problem(
            Problem::NoAddress { host }.to_string(),
        ));
    }
    Ok(addrs)
}

/// The narration and the record of the call, when either is on.
fn happened(args: Vec<Arg>, told: Told, t_enter: u64, t_exit: u64) {
    if narrate::active() {
        narrate::happened(&Call {
            name: "getaddrinfo",
            args,
            outcome: Ok(told),
            t_enter,
            t_exit,
        });
    }
}

/// One entry's `sockaddr` as a Rust address, read by nix (`sockaddr_in` or `sockaddr_in6`:
/// with a socket type asked, glibc returns no other family).
fn to_socket_addr(info: &libc::addrinfo) -> Option<SocketAddr> {
    // SAFETY: ai_addr points at ai_addrlen bytes of a sockaddr, in a list not yet freed.
    let storage = unsafe { SockaddrStorage::from_raw(info.ai_addr, Some(info.ai_addrlen)) }?;
    to_std(storage).ok()
}
