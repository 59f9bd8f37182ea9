//! The iterative server: the course's server, one client at a time.
//!
//! What it demonstrates: the course's sequence exactly, `socket`, `setsockopt`, `bind`,
//! `listen`, then for each client in turn `accept`, the dialogue, `close`. While one client is
//! served, the next waits in the listening socket's queue (the kernel has already completed its
//! handshake: `ss -tn` shows it ESTABLISHED), and a client that never sends anything blocks
//! everybody. That is the problem the other models solve.
//!
//! Shutdown: SIGINT (Ctrl-C) or SIGTERM interrupts the blocked `accept()` (EINTR) or `recv()`;
//! the listening socket is closed, the client being served has `--grace` seconds to leave, and
//! a summary goes to stderr.
//!
//! Run it:      `sockstep server` (or `--model iterative --narrate`)
//! Talk to it:  `sockstep client`, or `nc 127.0.0.1 6789`
//! Watch it:    `strace -f -e trace=network,read,write,close sockstep server`
//! Compare:     the fork and thread models, which serve clients side by side.

use super::accept_loop::{AcceptLoop, Clients, OneAtATime, one_listener, stop_accepting};
use super::datagram::{self, Parrot};
use super::{Config, Listen, Proto, log_shutting_down, open_listener, summary};
use crate::Error;
use crate::dialogue::{self, Tally};
use crate::narrate::{self, Log};
use crate::signals;
use crate::sys::{self, Blocking};
use crate::text::Msg;
use nix::errno::Errno;

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    let listen = one_listener(config)?;
    if listen.proto == Proto::Udp {
        return run_udp(&listen, config);
    }
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    // Before the first accept(): from here on, Ctrl-C interrupts it.
    signals::handle_shutdown(config.grace)?;
    let mut clients = OneAtATime;
    let mut tally = Tally::default();
    let mut accepts = AcceptLoop::new(&listen_fd, config);
    while let Some(conn_fd) = accepts.next(&mut clients)? {
        // The dialogue runs here, in the only thread: the next client waits in the
        // listening socket's queue until this one has left.
        tally += dialogue::serve(conn_fd, listen.service, config.io, config.stream_buf());
    }
    stop_accepting(listen_fd, clients.connected())?;
    summary(tally);
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: run_udp
/// The iterative model over UDP: `socket(SOCK_DGRAM)`, `bind`, then `recvfrom` and `sendto`
/// per datagram, in the only thread. No `listen()` and no `accept()`: UDP has no connection,
/// so there is no queue of clients, and serving one client at a time means one datagram at a
/// time: the next waits in the socket's receive queue (`ss -uan`: Recv-Q).
fn run_udp(listen: &Listen, config: &Config) -> Result<(), Error> {
    let sock = datagram::open(listen, config, Blocking::Yes)?;
    // Before the first recvfrom(): from here on, Ctrl-C interrupts it (EINTR).
    signals::handle_shutdown(config.grace)?;
    let mut parrot = Parrot::new(listen.service, config.datagram_buf());
    while signals::shutdown_signal().is_none() {
        match parrot.serve_one(&sock) {
            // --once: one datagram answered, as the TCP server serves one client.
            Ok(true) if config.once => break,
            Ok(_) => {}
            // A signal's handler ran: the loop's condition sees the shutdown; `--interrupt`'s
            // SIGALRM only asks for the call again.
            Err(e) if e.errno == Errno::EINTR => {
                signals::retrying(None, e.call);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(signal) = signals::shutdown_signal() {
        // No client is connected to a UDP socket: nobody to give a grace period to.
        log_shutting_down(signal, 0);
    }
    narrate::log(Log::Conn, None, Msg::UnpluggingDatagram);
    sys::close(sock)?;
    summary(parrot.take_tally());
    Ok(())
}
// ANCHOR_END: run_udp
