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
use super::{Config, open_listener, summary};
use crate::Error;
use crate::dialogue::{self, Tally};
use crate::signals;
use crate::sys::Blocking;

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    let listen = one_listener(config)?;
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    // Before the first accept(): from here on, Ctrl-C interrupts it.
    signals::handle_shutdown(config.grace)?;
    let mut clients = OneAtATime;
    let mut tally = Tally::default();
    let mut accepts = AcceptLoop::new(&listen_fd, config);
    while let Some(conn_fd) = accepts.next(&mut clients)? {
        // The dialogue runs here, in the only thread: the next client waits in the
        // listening socket's queue until this one has left.
        tally += dialogue::serve(conn_fd, listen.service, config.io);
    }
    stop_accepting(listen_fd, clients.connected())?;
    summary(tally);
    Ok(())
}
// ANCHOR_END: run
