//! The iterative server: the course's server, one client at a time.
//!
//! What it demonstrates: the course's sequence exactly, `socket`, `setsockopt`, `bind`,
//! `listen`, then for each client in turn `accept`, the dialogue, `close`. While one client is
//! served, the next waits in the listening socket's queue (the kernel has already completed its
//! handshake: `ss -tn` shows it ESTABLISHED), and a client that never sends anything blocks
//! everybody. That is the problem the other models solve.
//!
//! Run it:      `sockstep server` (or `--model iterative --narrate`)
//! Talk to it:  `sockstep client`, or `nc 127.0.0.1 6789`
//! Watch it:    `strace -f -e trace=network,read,write,close sockstep server`
//! Compare:     the fork and thread models, which serve clients side by side.

use super::{AcceptError, Config, log_accept_error, open_listener, sort_accept_error};
use crate::Error;
use crate::dialogue::{self, Tally};
use crate::narrate::{self, Log};
use crate::sys::{self, Blocking};
use crate::text::{Msg, Problem};

pub fn run(config: &Config) -> Result<(), Error> {
    let [listen] = config.listens[..] else {
        return Err(Error::Problem(Problem::OneListenerOnly.to_string()));
    };
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    let mut tally = Tally::default();
    loop {
        // Blocks until the kernel has a connection ready in the queue.
        let conn_fd = match sys::accept(&listen_fd) {
            Ok(conn_fd) => conn_fd,
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
    Ok(())
}
