//! sockstep: TCP/IP socket programming, one system call at a time.
//!
//! sockstep brings a socket course to life: the parrot server (« perroquet ») on port 6789 that
//! answers every message in upper case, and its client. Every system call the course names
//! (`socket()`, `bind()`, `listen()`, `accept()`, `connect()`, `read()`/`write()`,
//! `send()`/`recv()`, `close()`) is made explicitly, in the course's order, so that a student can
//! follow it with `strace` and see which layer of the OSI and Internet models each call acts on.
//!
//! Linux only: the narration speaks strace's Linux notation, and the server models use Linux's
//! system calls as they are.
//!
//! # Architecture
//!
//! Read the modules in this order; each teaches one idea.
//!
//! - [`sys`]: one wrapper per system call, named after it, in one file per family (`socket`,
//!   `io`, `wait`, `process`, `signal`...). Each makes exactly that call through `sys::call`, the
//!   one helper that stops for `--step`, narrates, records and names the error: an error names
//!   the call, its arguments and the errno. A `Socket` knows its kind (stream, listening,
//!   datagram, epoll).
//! - [`layers`]: the one table mapping each call to its Internet-model and OSI layers, what the
//!   kernel does and what goes on the wire (`sockstep layers` prints it).
//! - [`narrate`]: the narration (`--narrate`: each call in strace's notation, with its layer),
//!   `--step`'s stop before each call, the log of the course's events, each line in one
//!   `write(2)`, and the event record (`--events FILE`: a JSON line per call and event). The
//!   narration line and the record's line come from one value per call, [`narrate::Call`].
//! - [`text`]: every sentence said to a person, in English and in French (`--lang`), one file
//!   per audience: the log (`Msg`), the narration's notes (`Note`, `TcpState`), errors and
//!   hints (`Problem`, `errno_hint`), the `--step` prompts; the bench's words are in `bench`.
//! - [`service`]: what the server answers, written once for every model: the parrot, as a
//!   stream transform that survives cut UTF-8 characters and bytes that are not UTF-8.
//! - [`stream`]: `send()`/`recv()` or `write()`/`read()` (`--io`), and `send_all`, the
//!   course's `n != len` check done right.
//! - [`dialogue`]: the per-client loop of the blocking servers, written once.
//! - [`server`]: the setup every server shares (`socket`, `setsockopt`, `bind`, `listen`) and
//!   the server models, which differ only in how they accept and multiplex clients: the
//!   blocking models (iterative, fork, threads) around one accept loop, the event loops
//!   (select, poll, mio) around one turn, each model's file holding only what makes it that
//!   model. The UDP parrot (`server::datagram`) is served by the iterative model and the
//!   event loops: a bound socket, one datagram in and one out, no connection.
//! - [`signals`]: SIGINT and SIGTERM (shutdown) and SIGCHLD (a forked child left), each
//!   handler a store to an atomic, installed without SA_RESTART so blocked calls return EINTR.
//! - [`sockaddr`]: `sockstep addr`, the `struct sockaddr_in` the kernel receives, byte by
//!   byte: `htons` and network byte order.
//! - [`client`]: the course's client, interactive with `>>> ` or a filter in a pipe; and
//!   `client::udp`, a datagram per line.
//! - [`diagram`]: `sockstep diagram`, UNP's figure 2.5 drawn from a run: the calls of the event
//!   record on the process lines, the segments of a capture (or those the calls imply) between
//!   the two TCPs, as SVG or Mermaid.
//! - [`kata`]: `sockstep kata`, exercises broken on purpose under `exercises/`, graded by their
//!   behaviour over loopback and by their calls, read back from the event record.
//! - [`bench`]: `sockstep bench`, the server models measured side by side (bench code, not
//!   course code: its load generator is a plain mio client that narrates nothing).

// The katas' solutions are files written as a student writes them, against `sockstep::...`;
// compiled inside this crate too, they need the crate to answer to its own name.
extern crate self as sockstep;

pub mod bench;
pub mod client;
pub mod diagram;
pub mod dialogue;
pub mod kata;
pub mod layers;
pub mod narrate;
pub mod server;
pub mod service;
pub mod signals;
pub mod sockaddr;
pub mod stream;
pub mod sys;
pub mod text;

use std::fmt;

/// Why a command failed: a system call, or something that is not one.
#[derive(Debug)]
pub enum Error {
    /// A failed system call, named with its arguments and errno.
    Sys(sys::SysError),
    /// Anything else, already worded in the user's language.
    Problem(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sys(error) => error.fmt(f),
            Error::Problem(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}

impl From<sys::SysError> for Error {
    fn from(error: sys::SysError) -> Error {
        Error::Sys(error)
    }
}
