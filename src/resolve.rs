//! Names to addresses: `--host` (the client) and `--bind` (the server) take an IP address or
//! a name. A name is looked up with getaddrinfo(3), which reads /etc/hosts and may ask DNS:
//! library code that makes several system calls of its own (open, read, maybe a UDP socket
//! to the resolver), not one call of the course, so it is not narrated.
//!
//! A name may have several addresses (`localhost`: 127.0.0.1 and ::1): the client tries each
//! in turn until one answers; a server binds one of them (see [`bind_addr`]).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::Error;
use crate::text::Problem;

/// The addresses of `host` (an IP address is used as it is), each with `port`.
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match (host, port).to_socket_addrs() {
        Ok(addrs) => Ok(addrs.collect()),
        Err(why) => Err(Error::Problem(
            Problem::UnknownHost { host, why: &why }.to_string(),
        )),
    }
}

/// The one address a server binds for `host`: its first IPv4 address, else its first address.
/// IPv4 first because the course is IPv4 (`AF_INET`), and so is the client's default
/// 127.0.0.1: `--bind localhost` then serves `sockstep client` whatever order getaddrinfo
/// chose (/etc/gai.conf).
pub fn bind_addr(host: &str) -> Result<IpAddr, Error> {
    let addrs = resolve(host, 0)?;
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .map(SocketAddr::ip)
        .ok_or_else(|| Error::Problem(Problem::NoAddress { host }.to_string()))
}
