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

use nix::errno::Errno;

use super::{
    AcceptError, Config, log_accept_error, log_shutting_down, open_listener, sort_accept_error,
    summary,
};
use crate::Error;
use crate::dialogue::{self, Tally};
use crate::narrate::{self, Log};
use crate::signals;
use crate::sys::{self, Blocking};
use crate::text::{Msg, Problem};

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    let [listen] = config.listens[..] else {
        let model = config.model.to_string();
        return Err(Error::Problem(
            Problem::OneListenerOnly { model: &model }.to_string(),
        ));
    };
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    // Before the first accept(): from here on, Ctrl-C interrupts it.
    signals::handle_shutdown(config.grace)?;
    let mut tally = Tally::default();
    loop {
        if let Some(signal) = signals::shutdown_signal() {
            // A client being served when the signal came has had its grace period inside
            // the dialogue: nobody is connected any more.
            log_shutting_down(signal, 0);
            break;
        }
        // Blocks until the kernel has a connection ready in the queue, or a signal comes.
        let conn_fd = match sys::accept(&listen_fd) {
            Ok(conn_fd) => conn_fd,
            // The SIGINT or SIGTERM handler ran (installed without SA_RESTART, so the kernel
            // did not resume the accept()): the top of the loop sees the shutdown.
            Err(error) if error.errno == Errno::EINTR => {
                if let Some(signal) = signals::shutdown_signal() {
                    narrate::log(Log::Conn, None, Msg::AcceptInterrupted { signal });
                }
                continue;
            }
            Err(error) => match sort_accept_error(error) {
                AcceptError::Transient(error) => {
                    log_accept_error(&error);
                    continue;
                }
                AcceptError::Fatal(error) => return Err(error.into()),
            },
        };
        tally += dialogue::serve(conn_fd, listen.service, config.io);
        if config.once {
            break;
        }
    }
    narrate::log(Log::Conn, None, Msg::Unplugging);
    sys::close(listen_fd)?;
    summary(tally);
    Ok(())
}
// ANCHOR_END: run
