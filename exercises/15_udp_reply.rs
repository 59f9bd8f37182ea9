//! Kata 15 · udp_reply · `recvfrom(2)`'s source address, `sendto(2)`'s destination · transport layer (OSI 4)
//!
//! A UDP server has no connection, so nothing remembers a client for it: every datagram of
//! every client arrives on its one socket, and `recvfrom()` returns, with each one, the address
//! it came from, IP and port. `sendto()` takes an address every time, and the answer to a
//! datagram goes to that datagram's sender. A server that keeps the first sender's address, as
//! if the first client were a connection, sends every later answer to that client: the second
//! client waits for an answer that never comes (UDP does not tell it), and the first one gets
//! datagrams it never asked for.
//!
//! The scenario's two UDP clients, on two ports of 127.0.0.1, each send a line and wait, at most
//! a second, for its answer in upper case, as `sockstep client --udp` does.
//!
//! Check it: `sockstep kata check udp_reply`; stuck: `sockstep kata hint udp_reply`.

use std::net::SocketAddr;
use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::sys::{self, Blocking};

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    // No listen(), no accept(): UDP has no connections to queue.
    let sock = sys::socket_dgram(&ctx.addr, Blocking::Yes)?;
    sys::bind(&sock, &ctx.addr)?;
    harness::listening_on(sys::getsockname(&sock)?);
    let mut buf = [0u8; BUF_SIZE];
    // The client, known since its first datagram.
    let mut client_addr: Option<SocketAddr> = None;
    loop {
        let datagram = sys::recvfrom(&sock, &mut buf)?;
        // TODO: whom does this answer go to?
        let to = *client_addr.get_or_insert(datagram.from);
        let reply = buf[..datagram.kept].to_ascii_uppercase();
        // A datagram that cannot be sent is lost, as UDP loses datagrams: the server goes on.
        if let Err(error) = sys::sendto(&sock, &reply, &to) {
            eprintln!("kata: {error}");
        }
    }
}
