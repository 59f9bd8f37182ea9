//! The fork server: a process per client, as in UNP's `tcpserv01.c`.
//!
//! What it demonstrates: after `accept()`, `fork()`. The child, a copy of the server, closes
//! its copy of the listening socket, runs the very same dialogue as the iterative server, and
//! exits; the parent closes its copy of the connected socket and goes back to `accept()` at
//! once. Clients are served side by side, and a client that never sends holds up only its own
//! child. Three lessons come with it:
//! - a child that exits stays a zombie until its parent collects it with `waitpid()`; the
//!   parent hears of it by SIGCHLD, and collects in a loop because signals do not queue;
//! - SIGCHLD interrupts the parent's blocked `accept()`, which returns EINTR: it is retried;
//! - at most `--max-clients` children at once (default 64): past it the parent stops
//!   accepting until one leaves, so that a flood of connections cannot fork-bomb the machine.
//!
//! The children's byte counts reach the parent's summary through one page of shared memory.
//! On SIGINT or SIGTERM the parent closes its listening socket, passes SIGTERM on to its
//! children (each lets its client finish within `--grace` seconds) and collects them all.
//!
//! Run it:      `sockstep server --model fork --narrate`
//! Talk to it:  `sockstep client`, or several `nc 127.0.0.1 6789` at once
//! Watch it:    `strace -f -e trace=network,close,clone,wait4,kill,exit_group sockstep server --model fork`
//!              (`-f` follows the children: their lines start with `[pid N]`, as the logs do);
//!              `ps -o pid,ppid,stat,cmd --ppid $(pgrep -o sockstep)` shows one child per client
//! Compare:     `diff src/server/iterative.rs src/server/fork.rs`: the dialogue is the same,
//!              only the concurrency differs; `threads.rs` does it with threads.

mod children;
mod counters;

use std::panic::{self, AssertUnwindSafe};

use nix::unistd::ForkResult;

use self::children::Children;
use self::counters::Counters;
use super::accept_loop::{AcceptLoop, Clients, one_listener, stop_accepting};
use super::{Config, open_listener, summary};
use crate::Error;
use crate::dialogue;
use crate::narrate::{self, Log};
use crate::service::Service;
use crate::signals;
use crate::stream::Io;
use crate::sys::{self, Blocking, Socket};
use crate::text::Msg;

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    let listen = one_listener(config)?;
    narrate::set_tag(format!("fork pid {}", sys::getpid()));
    // Before the first fork(), so that every child inherits the same shared page.
    let counters = Counters::map()?;
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    // Before the first accept(): from here on, Ctrl-C or a child's exit interrupts it.
    signals::handle_shutdown(config.grace)?;
    signals::handle_children()?;
    let mut children = Children::default();
    let mut accepts = AcceptLoop::new(&listen_fd, config);
    while let Some(conn_fd) = accepts.next(&mut children)? {
        let fd = conn_fd.fd();
        // SAFETY: this process has one thread (the fork model starts none), so the child may
        // run any code, not only async-signal-safe calls.
        match unsafe { sys::fork() } {
            Ok(ForkResult::Child) => {
                let buf = config.stream_buf();
                child(listen_fd, conn_fd, listen.service, config.io, buf, counters)
            }
            Ok(ForkResult::Parent { child }) => {
                narrate::log(Log::Conn, Some(fd), Msg::Forked { child });
                children.insert(child);
                // The child has its own copy of the descriptor. The parent's must go: a TCP
                // connection ends (FIN) only when its last descriptor is closed, so the client
                // would never see the child's close, and the parent would run out of
                // descriptors at its RLIMIT_NOFILE (`ulimit -n`). This close() sends nothing: the
                // child holds the connection.
                conn_fd.held_by_child();
                if let Err(error) = sys::close(conn_fd) {
                    narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
                }
            }
            // EAGAIN: too many processes for this user (RLIMIT_NPROC), or no memory. This
            // client is not served; dropping its socket closes it, and the server goes on.
            Err(error) => narrate::error(Some(fd), Msg::ClientNotServed { error: &error }),
        }
    }
    stop_accepting(listen_fd, children.connected())?;
    children.wait_all()?;
    summary(counters.total());
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: child
/// The child's whole life: serve one client, then exit. Never returns into the parent's loop.
fn child(
    listen_fd: Socket,
    conn_fd: Socket,
    service: Service,
    io: Io,
    buf: usize,
    counters: &Counters,
) -> ! {
    // The tag is the parent's until the child knows its own pid.
    narrate::set_tag("fork child");
    narrate::set_tag(format!("fork pid {}", sys::getpid()));
    let fd = conn_fd.fd();
    narrate::log(Log::Conn, Some(fd), Msg::ChildStarts);
    // `--interrupt`: the parent's interval timer is not inherited (setitimer(2)).
    if let Err(error) = signals::rearm_after_fork() {
        narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
    }
    // The listening socket is the parent's business. The child's copy would keep the port
    // open after the parent closed it, and waste a descriptor.
    listen_fd.held_by_parent();
    if let Err(error) = sys::close(listen_fd) {
        narrate::error(None, Msg::ConnectionLost { error: &error });
    }
    // A panic must not unwind out of here: it would land in the parent's accept loop, in the
    // child, and the child would go on as a second server.
    let served = panic::catch_unwind(AssertUnwindSafe(|| {
        dialogue::serve(conn_fd, service, io, buf)
    }));
    let status = match served {
        Ok(tally) => {
            counters.add(tally);
            0
        }
        Err(_) => 1,
    };
    // _exit, not std::process::exit (which is libc's exit): exit() would flush stdio buffers
    // and run atexit handlers, and the child's are copies of the parent's. Whatever the
    // parent had buffered when it forked would come out twice. The child has closed its
    // socket and has nothing of its own to flush.
    sys::exit(status)
}
// ANCHOR_END: child
