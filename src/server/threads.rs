//! The thread server: a thread per client.
//!
//! What it demonstrates: after `accept()`, a new thread (`std::thread`, glibc's
//! `pthread_create`, a `clone3()` with CLONE_THREAD underneath) runs the very same dialogue as the iterative server, and the
//! first thread goes back to `accept()` at once. Threads share the process's memory and its
//! descriptors: no copy to close as in the fork model, and the summary's counters are a
//! variable behind a mutex. A thread costs less than a process (no page tables to copy, one
//! stack of its own), but a thread that crashes the process would take every client down;
//! here a panic ends only its own thread.
//!
//! At most `--max-clients` threads at once (default 1024): past it the acceptor stops
//! accepting until one leaves, so that a flood of connections cannot exhaust memory or the
//! process's thread limit. On SIGINT or SIGTERM the acceptor closes its listening socket and
//! gives the clients `--grace` seconds to leave; then it shuts the rest down (`shutdown()`
//! wakes a thread blocked in `recv()` on the socket).
//!
//! Run it:      `sockstep server --model threads --narrate`
//! Talk to it:  `sockstep client`, or several `nc 127.0.0.1 6789` at once
//! Watch it:    `strace -f -e trace=network,close,clone,clone3,rt_sigprocmask sockstep server --model threads`
//!              (`-f` follows the threads: their lines start with `[pid TID]`, as the logs
//!              do); `ps -L -p $(pgrep -o sockstep)` shows one line per thread
//! Compare:     `diff src/server/fork.rs src/server/threads.rs`: a process or a thread per
//!              client around the same dialogue.

mod slots;

use nix::sys::signal::Signal;

use self::slots::{Slot, Threads};
use super::accept_loop::{AcceptLoop, Clients, one_listener, stop_accepting};
use super::{Config, open_listener, summary};
use crate::Error;
use crate::dialogue;
use crate::narrate;
use crate::service::Service;
use crate::signals;
use crate::stream::Io;
use crate::sys::{self, Blocking, Socket};
use crate::text::Msg;

// ANCHOR: run
pub fn run(config: &Config) -> Result<(), Error> {
    let listen = one_listener(config)?;
    narrate::set_tag(format!("threads tid {}", sys::gettid()));
    let listen_fd = open_listener(&listen, config, Blocking::Yes)?;
    // Before the first accept(): from here on, Ctrl-C interrupts it.
    signals::handle_shutdown(config.grace)?;
    let _alarms_elsewhere = signals::keep_alarms_away()?;
    let mut threads = Threads::default();
    let mut accepts = AcceptLoop::new(&listen_fd, config);
    while let Some(conn_fd) = accepts.next(&mut threads)? {
        spawn(
            &mut threads,
            conn_fd,
            listen.service,
            config.io,
            config.stream_buf(),
        )?;
    }
    stop_accepting(listen_fd, threads.connected())?;
    summary(threads.wait_all());
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: spawn
/// Starts a thread that serves `conn_fd`.
fn spawn(
    threads: &mut Threads,
    conn_fd: Socket,
    service: Service,
    io: Io,
    buf: usize,
) -> sys::Result<()> {
    let fd = conn_fd.fd();
    let slot = Slot::enter(&threads.slots, conn_fd.shutter());
    let number = slot.number();
    // A signal sent to the process (Ctrl-C, kill) goes to one thread that does not block it,
    // any one. It must reach this thread, whose accept() then returns EINTR, and not a client
    // thread, where nobody would notice it. A new thread inherits its creator's signal mask:
    // block SIGINT and SIGTERM just for the spawn, and the client thread is born with both
    // blocked for its whole life.
    let blocked = signals::block(&[Signal::SIGINT, Signal::SIGTERM])?;
    // std's spawn is glibc's pthread_create: mmap, rt_sigprocmask, clone3, rt_sigprocmask in
    // strace, narrated as the one library call they make up.
    let spawned = sys::pthread_create(fd, move || {
        // gettid() is a system call: once per thread, kept in the tag.
        narrate::set_tag("threads new thread");
        narrate::set_tag(format!("threads tid {}", sys::gettid()));
        let mut slot = slot;
        if let Err(error) = signals::take_alarms_here() {
            narrate::error(Some(fd), Msg::ConnectionLost { error: &error });
        }
        slot.tally = dialogue::serve(conn_fd, service, io, buf);
    });
    drop(blocked);
    match spawned {
        Ok(handle) => threads.started(number, handle),
        // EAGAIN: too many threads, or no memory for a stack. The closure, the socket in it
        // and the slot are dropped: the connection is closed, and the server goes on.
        Err(error) => narrate::error(Some(fd), Msg::ClientNotServed { error: &error }),
    }
    Ok(())
}
// ANCHOR_END: spawn
