//! The server: one service, several ways of serving many clients.
//!
//! Every model starts the same way, with the course's four calls in the course's order
//! ([`open_listener`]: `socket`, `setsockopt`, `bind`, `listen`), prints `listening on IP:PORT`,
//! and serves each client with the same per-connection code (`dialogue` for the blocking
//! models). What differs from one model to the next is only how clients are accepted and
//! multiplexed:
//!
//! - [`iterative`]: one client at a time, the course's server.
//! - [`fork`]: a process per client, UNP's `tcpserv01`.
//! - [`threads`]: a thread per client.
//!
//!   These three share their loop around `accept()`, written once in [`accept_loop`].
//! - [`select`], [`poll`], [`mio_loop`]: one thread serves every client (and every listening
//!   socket) by asking the kernel which sockets are ready, with `select()`, `poll()` or epoll
//!   through mio. Their turn (wait, then the connections, then the listeners, then what closed)
//!   is written once in [`event_loop`], their per-connection code in [`readiness`]; each model
//!   says only how it waits and how it learns which descriptors are ready.
//!
//! Every model stops the same way on SIGINT or SIGTERM ([`crate::signals`]): it closes its
//! listening socket, lets the clients still connected have `--grace` seconds to leave, prints
//! a [`summary`] on stderr, and exits 0.

pub mod accept_loop;
pub mod datagram;
pub mod event_loop;
pub mod fork;
pub mod iterative;
pub mod mio_loop;
pub mod poll;
pub mod readiness;
pub mod select;
pub mod threads;

use std::fmt;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use nix::errno::Errno;

use crate::Error;
use crate::dialogue::{BUF_SIZE, Tally};
use crate::narrate::{self, Log};
use crate::service::Service;
use crate::signals;
use crate::stream::Io;
use crate::sys::{self, Blocking, SockOpt, Socket};
use crate::text::{Msg, Problem};

/// The course's port: « supérieur à 1000, ici 6789 ».
pub const DEFAULT_PORT: u16 = 6789;
/// The course's `''`: every local IPv4 address.
pub const DEFAULT_BIND: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
/// A UDP listener's address when `--bind` does not say: the loopback address, so that a
/// parrot started to learn answers no datagram from the network (see [`datagram`]).
pub const DEFAULT_UDP_BIND: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// The course's `listen(1)`.
pub const BACKLOG: i32 = 1;

/// How the server serves many clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    /// One client at a time, in the only thread: the course's server.
    Iterative,
    /// A child process per client (fork).
    Fork,
    /// A thread per client.
    Threads,
    /// One thread, select(2): level-triggered bit sets, descriptors below 1024 only.
    Select,
    /// One thread, poll(2): level-triggered, an array of descriptors.
    Poll,
    /// One thread, epoll(7) through mio: edge-triggered, cost independent of idle clients.
    Mio,
}

impl Model {
    /// How many clients the model serves at once when `--max-clients` does not say. A
    /// process per client costs more than a thread per client; the iterative model serves one.
    pub fn default_max_clients(self) -> usize {
        match self {
            Model::Iterative => 1,
            Model::Fork => 64,
            Model::Threads => 1024,
            // The event loops take every client the descriptor limit allows.
            Model::Select | Model::Poll | Model::Mio => usize::MAX,
        }
    }

    /// Bytes a TCP connection asks of each `recv()` when `--buf` does not say: the course's
    /// `recv(1024)` for the blocking models, whose buffer is one per client; 64 KiB for the
    /// event loops, whose one buffer serves every client (see [`readiness::READ_BUF_SIZE`]).
    pub fn default_buf(self) -> usize {
        match self {
            Model::Iterative | Model::Fork | Model::Threads => BUF_SIZE,
            Model::Select | Model::Poll | Model::Mio => readiness::READ_BUF_SIZE,
        }
    }

    /// The default backlog for `listen()` (Linux queues backlog + 1 completed connections,
    /// tests/backlog.rs). The course's `listen(1)` for its iterative
    /// server; `SOMAXCONN` (the kernel's maximum, 4096 by default) for every model that serves
    /// clients side by side. The event loops accept whenever the loop comes round, the fork
    /// and thread models between two `fork()`s or spawns, and at `--max-clients` not at all:
    /// a burst of clients connecting meanwhile would otherwise overflow a queue of two, and the
    /// kernel would drop their SYNs (each such client retries a second later).
    pub fn default_backlog(self) -> i32 {
        match self {
            Model::Select | Model::Poll | Model::Mio | Model::Fork | Model::Threads => {
                libc::SOMAXCONN
            }
            Model::Iterative => BACKLOG,
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Model::Iterative => "iterative",
            Model::Fork => "fork",
            Model::Threads => "threads",
            Model::Select => "select",
            Model::Poll => "poll",
            Model::Mio => "mio",
        };
        f.write_str(name)
    }
}

/// The transport a listener serves, as `/etc/services` writes it after the port: `6789/tcp`,
/// `6789/udp`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Proto {
    /// A TCP listening socket: `listen`, then `accept` a connection per client.
    #[default]
    Tcp,
    /// A UDP socket: no connection, one `recvfrom` and one `sendto` per datagram.
    Udp,
}

/// A listening socket to open: which service, on which address and port, over TCP or UDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listen {
    pub service: Service,
    pub addr: SocketAddr,
    pub proto: Proto,
}

/// Everything a server model needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    pub model: Model,
    pub listens: Vec<Listen>,
    pub backlog: i32,
    /// Serve one client, then close the listening socket and exit, as the course's example does.
    pub once: bool,
    pub io: Io,
    pub reuseaddr: bool,
    /// `IPV6_V6ONLY` on an IPv6 listening socket: false (dual stack) unless `--v6only`.
    pub v6only: bool,
    /// The most clients served at once (the fork and thread models).
    pub max_clients: usize,
    /// How long the clients still connected at a shutdown have to leave.
    pub grace: Duration,
    /// Leave Nagle's algorithm on for the connections (`--nagle`) instead of setting
    /// TCP_NODELAY on each.
    pub nagle: bool,
    /// Bytes asked of each `recv()`/`read()` (`--buf`); `None`: each model's own default
    /// (see [`Config::stream_buf`] and [`Config::datagram_buf`]).
    pub buf: Option<usize>,
}

impl Config {
    /// Bytes a TCP connection asks of each `recv()`: `--buf`, or the model's default
    /// ([`Model::default_buf`]).
    pub fn stream_buf(&self) -> usize {
        self.buf.unwrap_or(self.model.default_buf())
    }

    /// Bytes a UDP socket asks of each `recvfrom()`, the most a datagram keeps: `--buf`, or
    /// the course's 1024 on every model, so that a longer datagram is cut and the cut shown.
    pub fn datagram_buf(&self) -> usize {
        self.buf.unwrap_or(BUF_SIZE)
    }
}

/// Runs the server until it is done (`--once`, SIGINT, SIGTERM) or fails to set up.
pub fn run(config: &Config) -> Result<(), Error> {
    narrate::set_tag(config.model.to_string());
    check_udp(config)?;
    match config.model {
        Model::Iterative => iterative::run(config),
        Model::Fork => fork::run(config),
        Model::Threads => threads::run(config),
        Model::Select => select::run(config),
        Model::Poll => poll::run(config),
        Model::Mio => mio_loop::run(config),
    }
}

/// Refuses what cannot be served over UDP, before any socket is made: the fork and thread
/// models (they hand each accepted connection to a process or a thread, and UDP has none), and
/// daytime (an amplifier: it answers any datagram with a whole line).
fn check_udp(config: &Config) -> Result<(), Error> {
    let udp: Vec<&Listen> = config
        .listens
        .iter()
        .filter(|l| l.proto == Proto::Udp)
        .collect();
    if udp.is_empty() {
        return Ok(());
    }
    if matches!(config.model, Model::Fork | Model::Threads) {
        let model = config.model.to_string();
        return Err(Error::Problem(
            Problem::UdpNotForModel { model: &model }.to_string(),
        ));
    }
    if udp.iter().any(|l| l.service == Service::Daytime) {
        return Err(Error::Problem(Problem::NoDaytimeOverUdp.to_string()));
    }
    for listen in udp {
        datagram::check_bind(&listen.addr)?;
    }
    Ok(())
}

/// The first line of a shutdown: which signal came, how many clients are still connected, and
/// how long they have to leave (`--grace`).
pub fn log_shutting_down(signal: nix::sys::signal::Signal, clients: usize) {
    narrate::log(
        Log::Conn,
        None,
        Msg::ShuttingDown {
            signal,
            clients,
            grace: signals::grace(),
        },
    );
}

/// The last line of a server stopped by SIGINT or SIGTERM, on stderr at every log level: how
/// many clients it served and how many bytes it received and sent. A server that stops after
/// `--once` ends as the course's example does, on « On se débranche », with no summary.
pub fn summary(tally: Tally) {
    if signals::shutdown_signal().is_none() {
        return;
    }
    narrate::log(
        Log::Quiet,
        None,
        Msg::Summary {
            clients: tally.clients,
            bytes_in: tally.bytes_in,
            bytes_out: tally.bytes_out,
        },
    );
}

// ANCHOR: open_listener
/// The course's server setup: `socket`, `setsockopt(SO_REUSEADDR)` (and `IPV6_V6ONLY` on an
/// IPv6 socket), `bind`, `listen`; then
/// `getsockname` to learn the real port (port 0 asks the kernel for any free one), and the
/// `listening on IP:PORT SERVICE` line on stdout that scripts and tests wait for (the address
/// is its first word).
pub fn open_listener(listen: &Listen, config: &Config, blocking: Blocking) -> sys::Result<Socket> {
    let listen_fd = sys::socket(&listen.addr, blocking)?;
    if config.reuseaddr {
        // Without SO_REUSEADDR, a server restarted while connections it served wait in
        // TIME_WAIT (60 s on Linux, when the server closed them first: a server stopped with
        // clients connected, or daytime) cannot bind its port again: EADDRINUSE.
        // `--no-reuseaddr` and scripts/time-wait.sh show that lesson.
        sys::setsockopt(&listen_fd, SockOpt::ReuseAddr(true))?;
    }
    if listen.addr.is_ipv6() {
        // Said explicitly rather than left to the machine's default
        // (/proc/sys/net/ipv6/bindv6only): with 0, `--bind ::` serves IPv4 clients too.
        sys::setsockopt(&listen_fd, SockOpt::V6Only(config.v6only))?;
    }
    if let Err(error) = sys::bind(&listen_fd, &listen.addr) {
        if error.errno == Errno::EADDRINUSE && !config.reuseaddr {
            // The errno's hint names the listening servers; only here can TIME-WAIT hold the
            // port too, and waiting free it.
            narrate::error(None, Msg::InUseWithoutReuseAddr);
        }
        return Err(error);
    }
    sys::listen(&listen_fd, config.backlog)?;
    let server_addr = sys::getsockname(&listen_fd)?;
    // Rust's stdout is line-buffered: this line leaves at its '\n', pipe or terminal. If
    // stdout is a closed pipe the line is lost, but the server can still serve: no panic.
    let _ = writeln!(
        std::io::stdout(),
        "listening on {server_addr} {}",
        listen.service.name()
    );
    Ok(listen_fd)
}
// ANCHOR_END: open_listener

// ANCHOR: set_nodelay
/// Turns Nagle's algorithm off on a connection just accepted (`TCP_NODELAY`), unless `--nagle`
/// asked to leave it on. Every model calls it before the connection's first byte: the blocking
/// models in their accept loop, the event loops when they admit a connection.
///
/// Why: a reply may leave in several small segments (the blocking dialogue answers each
/// 1024-byte `recv()` at once). With Nagle's algorithm, Linux holds a small segment while an
/// earlier small one is unacknowledged, and the client's TCP delays that ACK by 40 ms at
/// least: each long message would wait 40 ms. A failure is logged and the client served
/// anyway: the connection works with Nagle too, only slower.
pub fn set_nodelay(conn_fd: &Socket, nagle: bool) {
    if nagle {
        return;
    }
    if let Err(error) = sys::setsockopt(conn_fd, SockOpt::NoDelay(true)) {
        narrate::error(Some(conn_fd.fd()), Msg::NoDelayFailed { error: &error });
    }
}
// ANCHOR_END: set_nodelay

/// What to do after `accept()` failed.
pub enum AcceptError {
    /// Nothing serious for the server: log it and accept again.
    Transient(sys::SysError),
    /// The listening socket itself is broken.
    Fatal(sys::SysError),
}

/// Sorts an `accept()` failure: a client that reset before it was accepted (ECONNABORTED), a
/// signal (EINTR) or a full descriptor table (EMFILE, ENFILE) must not stop the server.
pub fn sort_accept_error(error: sys::SysError) -> AcceptError {
    use nix::errno::Errno::*;
    match error.errno {
        EINTR | ECONNABORTED | EMFILE | ENFILE | ENOBUFS | ENOMEM | EPROTO | EPERM | ETIMEDOUT => {
            AcceptError::Transient(error)
        }
        _ => AcceptError::Fatal(error),
    }
}

/// Logs a transient accept failure (except EINTR, which is no news).
pub fn log_accept_error(error: &sys::SysError) {
    if error.errno != nix::errno::Errno::EINTR {
        narrate::log(Log::Quiet, None, Msg::AcceptFailed { error });
    }
}
