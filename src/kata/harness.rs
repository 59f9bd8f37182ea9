//! What runs around a kata's code: its command line and its event record.
//!
//! A kata's program is one file under `exercises/`, built as an example of this crate. Its
//! `main` hands the student's function to [`server`] or [`client`], which read the command line
//! that `sockstep kata check` gives (`--port N`, `--peer IP:PORT`, `--events FILE`, and the
//! faults `--interrupt MS` and `--max-io N`), turn the event record on, set the faults up, run
//! the function, and turn its error into an exit status. Everything the student's code calls
//! goes through [`crate::sys`], so it is narrated and recorded.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::Error;
use crate::narrate::record::{self, Role};
use crate::sys::{self, Blocking, SockOpt, Socket};

/// What a kata's code is given.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// Where a server kata listens: 127.0.0.1, on `--port` (0 unless told: any free port).
    pub addr: SocketAddr,
    /// Where a client kata connects: `--peer`, the scenario's server.
    pub peer: SocketAddr,
}

/// Runs a server kata's `run`.
pub fn server(run: fn(&Ctx) -> Result<(), Error>) -> ExitCode {
    main(Role::Server, run)
}

/// Runs a client kata's `run`.
pub fn client(run: fn(&Ctx) -> Result<(), Error>) -> ExitCode {
    main(Role::Client, run)
}

fn main(role: Role, run: fn(&Ctx) -> Result<(), Error>) -> ExitCode {
    let Flags {
        ctx,
        events,
        interrupt,
        max_io,
    } = parse(std::env::args().skip(1));
    if let Some(n) = max_io {
        // The same switch as `sockstep server --max-io N`: real short reads and writes.
        sys::io::set_max_io(n);
    }
    let result = match &events {
        Some(path) => record::start(path, role, None).map_err(Error::from),
        None => Ok(()),
    }
    // `--interrupt`: the server's own fault, set up by the same call (SIGALRM's handler
    // without SA_RESTART, then the interval timer), recorded like the student's calls.
    .and_then(|()| match interrupt {
        Some(every) => crate::signals::interrupt_every(every).map_err(Error::from),
        None => Ok(()),
    })
    .and_then(|()| run(&ctx));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kata: error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The command line of a kata's program.
struct Flags {
    ctx: Ctx,
    events: Option<PathBuf>,
    /// `--interrupt MS`: SIGALRM every MS milliseconds, as `sockstep server --interrupt`.
    interrupt: Option<Duration>,
    /// `--max-io N`: the most bytes one `recv()` or `send()` hands the kernel
    /// ([`sys::io::set_max_io`], as `sockstep server --max-io N`).
    max_io: Option<usize>,
}

/// `--port N`, `--peer IP:PORT`, `--events FILE`, `--interrupt MS`, `--max-io N`; anything
/// else is skipped (the solutions run as `sockstep kata solved NAME ...`).
fn parse(mut args: impl Iterator<Item = String>) -> Flags {
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut flags = Flags {
        ctx: Ctx {
            addr: SocketAddr::new(localhost, 0),
            peer: SocketAddr::new(localhost, crate::server::DEFAULT_PORT),
        },
        events: None,
        interrupt: None,
        max_io: None,
    };
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--port" | "--peer" | "--events" | "--interrupt" | "--max-io" => {
                args.next().unwrap_or_default()
            }
            _ => continue,
        };
        let ctx = &mut flags.ctx;
        match arg.as_str() {
            "--port" => ctx.addr.set_port(value.parse().unwrap_or(0)),
            "--peer" => ctx.peer = value.parse().unwrap_or(ctx.peer),
            "--interrupt" => {
                flags.interrupt = value
                    .parse()
                    .ok()
                    .filter(|&ms| ms > 0)
                    .map(Duration::from_millis)
            }
            "--max-io" => flags.max_io = value.parse().ok(),
            _ => flags.events = Some(PathBuf::from(value)),
        }
    }
    flags
}

/// The server setup the katas share, once its own kata has taught it: `socket`,
/// `setsockopt(SO_REUSEADDR)`, `bind` to `ctx.addr`, `listen`, `getsockname`, and the
/// `listening on` line.
pub fn listener(ctx: &Ctx) -> sys::Result<Socket> {
    listener_of(ctx, Blocking::Yes)
}

/// [`listener`], non-blocking (`socket(..., SOCK_STREAM|SOCK_NONBLOCK, ...)`), for an event
/// loop's katas: its `accept4()` says EAGAIN once the queue is empty.
pub fn nonblocking_listener(ctx: &Ctx) -> sys::Result<Socket> {
    listener_of(ctx, Blocking::No)
}

fn listener_of(ctx: &Ctx, blocking: Blocking) -> sys::Result<Socket> {
    let listen_fd = sys::socket(&ctx.addr, blocking)?;
    sys::setsockopt(&listen_fd, SockOpt::ReuseAddr(true))?;
    sys::bind(&listen_fd, &ctx.addr)?;
    sys::listen(&listen_fd, BACKLOG)?;
    listening_on(sys::getsockname(&listen_fd)?);
    Ok(listen_fd)
}

/// The katas' backlog: room for the scenario's few clients.
pub const BACKLOG: i32 = 8;

/// The course's buffer size.
pub const BUF_SIZE: usize = 1024;

/// Prints the `listening on IP:PORT` line that the scenario waits for, in one write.
pub fn listening_on(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {addr}");
    let _ = out.flush();
}

/// Prints what a client kata received, in one write.
pub fn print(data: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(data);
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_scenario_s_flags_and_skips_the_rest() {
        let args = [
            "solved",
            "x",
            "--port",
            "7000",
            "--events",
            "e.jsonl",
            "--peer",
            "127.0.0.1:9",
            "--interrupt",
            "10",
            "--max-io",
            "1",
        ];
        let flags = parse(args.iter().map(|s| s.to_string()));
        assert_eq!(flags.ctx.addr, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(flags.ctx.peer, "127.0.0.1:9".parse().unwrap());
        assert_eq!(flags.events, Some(PathBuf::from("e.jsonl")));
        assert_eq!(flags.interrupt, Some(Duration::from_millis(10)));
        assert_eq!(flags.max_io, Some(1));
        let none = parse(["--interrupt", "0"].iter().map(|s| s.to_string()));
        assert_eq!(none.interrupt, None);
    }
}
