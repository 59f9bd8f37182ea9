//! The client: the course's client sequence, `socket`, `connect`, then per line `send` and
//! `recv`, and `close`.
//!
//! On a terminal it prompts with the course's `>>> `; from a pipe it is a filter:
//! `printf 'bonjour\nça va ?\n' | sockstep client` prints `BONJOUR\nÇA VA ?\n`. Replies alone go
//! to stdout; the prompt, the log and the narration go to stderr.
//!
//! Three details the course's Python client leaves out, all needed for a real tool:
//! - a reply may come in several pieces (TCP is a stream): the client reads until the reply's
//!   end of line has arrived, not just one `recv(1024)`;
//! - a line longer than the course's 1024 bytes goes out in pieces of 1024, and between two
//!   pieces `poll()` says whether replies are waiting, which are read first (see [`send_line`]:
//!   a client that only sends would deadlock with the parrot on a long enough line);
//! - at the end of its input the client half-closes (`shutdown(SHUT_WR)`: FIN →) and reads
//!   until the server closes too, so that no reply still on its way is lost.
//!
//! Run it:    `sockstep client --port 6789` (after `sockstep server`)
//! Watch it:  `strace -e trace=network,close sockstep client`

pub mod udp;

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;

use std::os::fd::AsFd;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};
use nix::sys::socket::SockType;

use crate::Error;
use crate::dialogue::BUF_SIZE;
use crate::narrate::{self, Log};
use crate::signals;
use crate::stream::{Io, send_all};
use crate::sys::{self, Blocking, Purpose, SockOpt, Socket};
use crate::text::{Msg, Problem};

/// What the client connects to, and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// A name or an IP address.
    pub host: String,
    pub port: u16,
    pub io: Io,
    /// Leave Nagle's algorithm on (`--nagle`) instead of setting TCP_NODELAY.
    pub nagle: bool,
}

/// The course's prompt.
const PROMPT: &str = ">>> ";

// ANCHOR: run
pub fn run(options: &Options) -> Result<(), Error> {
    narrate::set_tag("client");
    let server_addrs = sys::resolve(
        &options.host,
        options.port,
        Purpose::Connect,
        SockType::Stream,
    )?;
    let sock = connect_first(&options.host, &server_addrs)?;
    if !options.nagle {
        // A line longer than 1024 bytes leaves in pieces (see send_line): with Nagle's
        // algorithm, a piece could wait in the send buffer for the ACK of the one before.
        sys::setsockopt(&sock, SockOpt::NoDelay(true))?;
    }
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut replies = Replies::default();
    loop {
        if interactive {
            prompt(PROMPT);
            if !wait_for_typing(options.io, &sock, &mut replies)? {
                prompt("\n");
                return Err(Error::Problem(Problem::ServerClosed.to_string()));
            }
        }
        let sent = send_line(options.io, &sock, &mut input, &mut replies)?;
        if sent == 0 {
            break;
        }
        // The parrot answers each line with one line: wait for its end before the next prompt.
        replies.read(options.io, &sock, Until::LinesAnswered)?;
    }
    if interactive {
        // End the prompt's line, so that what follows starts on a line of its own.
        prompt("\n");
    }
    narrate::log(Log::Conn, None, Msg::EndOfInput);
    sys::shutdown_write(&sock)?;
    replies.read(options.io, &sock, Until::ServerCloses)?;
    narrate::log(Log::Conn, None, Msg::Disconnecting);
    sys::close(sock)?;
    Ok(())
}
// ANCHOR_END: run

/// Sends the next line of `input` (or what is left of it, at the end of the input without a
/// last end of line) and returns its length: 0 at the end of the input.
///
/// A short line goes out in one `send()`, as in the course. A longer one goes out in pieces of
/// [`BUF_SIZE`] bytes, and that needs care. The parrot replies to each piece as soon as it
/// has received it, while the rest of the line is still coming. If the client only sent, those
/// replies would pile up in its receive buffer, then in the server's send buffer; once both are
/// full the server blocks in `send()` and stops reading, its receive buffer fills up in turn,
/// and the client blocks in `send()` too: each waits for the other, forever (UNP 6.5 shows
/// this deadlock). So before each piece after the first, the client asks `poll()` both
/// questions, "is a reply waiting?" (POLLIN) and "is there room to send?" (POLLOUT), reads and
/// prints what is waiting, and sends only when there is room.
fn send_line(
    io: Io,
    sock: &Socket,
    input: &mut impl BufRead,
    replies: &mut Replies,
) -> Result<usize, Error> {
    let mut sent = 0;
    let mut piece = Vec::with_capacity(BUF_SIZE);
    loop {
        let line_ends = next_piece(input, &mut piece)?;
        if piece.is_empty() {
            return Ok(sent);
        }
        if sent > 0 {
            wait_for_room(io, sock, replies)?;
        }
        send_all(io, sock, &piece)?;
        sent += piece.len();
        if line_ends {
            replies.owed += 1;
            return Ok(sent);
        }
    }
}

/// Takes the next piece of input into `piece`: up to the end of the line, at most
/// [`BUF_SIZE`] bytes; empty at the end of the input. Returns whether the piece ends the line.
fn next_piece(input: &mut impl BufRead, piece: &mut Vec<u8>) -> Result<bool, Error> {
    piece.clear();
    let available = loop {
        match input.fill_buf() {
            Ok(available) => break available,
            // A signal interrupted the read before anything came: read again.
            Err(why) if why.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(why) => return Err(Error::Problem(Problem::Input { why: &why }.to_string())),
        }
    };
    let (len, line_ends) = match available.iter().position(|&b| b == b'\n') {
        Some(end) if end < BUF_SIZE => (end + 1, true),
        _ => (available.len().min(BUF_SIZE), false),
    };
    piece.extend_from_slice(&available[..len]);
    input.consume(len);
    Ok(line_ends)
}

/// Waits until the socket has room for a piece, reading and printing the replies that arrive
/// meanwhile (see [`send_line`]). `POLLOUT` means the send buffer has at least a third of its
/// size free, never less than [`BUF_SIZE`] bytes: the piece's `send()` will not block.
fn wait_for_room(io: Io, sock: &Socket, replies: &mut Replies) -> Result<(), Error> {
    loop {
        let mut fds = [PollFd::new(
            sock.as_fd(),
            PollFlags::POLLIN | PollFlags::POLLOUT,
        )];
        match sys::poll(&mut fds, None) {
            Ok(_) => {}
            Err(e) if e.errno == Errno::EINTR => {
                signals::retrying(None, e.call);
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let ready = fds[0].revents().unwrap_or(PollFlags::empty());
        // POLLHUP and POLLERR come unasked: the recv() that follows tells what happened.
        if ready.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
            if replies.receive(io, sock)? == 0 {
                return Err(Error::Problem(Problem::ServerVanished.to_string()));
            }
        } else if ready.contains(PollFlags::POLLOUT) {
            return Ok(());
        }
    }
}

/// Writes a reply to stdout at once.
fn write_out(data: &[u8]) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(data)
        .and_then(|()| stdout.flush())
        .map_err(|why| Error::Problem(Problem::Output { why: &why }.to_string()))
}

/// On a terminal, waits for the user to type a line or for the server to close, whichever
/// comes first: `poll()` on the terminal and the socket at once. Returns false when the server
/// has closed (`recv()` returned 0), so that the user learns it now, not after typing a line
/// that could no longer be answered. Bytes the server sends unasked are printed meanwhile.
///
/// A terminal in its usual (canonical) mode hands over one line per `read()`, and the line
/// before was read whole: nothing typed waits in stdin's buffer, unseen by `poll()`. From a
/// pipe the client does not wait here: it reads its input as it comes, and `tests/sequences`
/// keeps its calls as the course's.
fn wait_for_typing(io: Io, sock: &Socket, replies: &mut Replies) -> Result<bool, Error> {
    let stdin = std::io::stdin();
    loop {
        let mut fds = [
            PollFd::new(stdin.as_fd(), PollFlags::POLLIN),
            PollFd::new(sock.as_fd(), PollFlags::POLLIN),
        ];
        match sys::poll(&mut fds, None) {
            Ok(_) => {}
            Err(e) if e.errno == Errno::EINTR => continue,
            Err(e) => return Err(e.into()),
        }
        let any = PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR;
        // The socket first: a FIN (or RST) that came while the user was typing still counts.
        if fds[1].revents().is_some_and(|r| r.intersects(any)) {
            if replies.receive(io, sock)? == 0 {
                return Ok(false);
            }
            continue;
        }
        if fds[0].revents().is_some_and(|r| r.intersects(any)) {
            return Ok(true);
        }
    }
}

/// Writes the prompt on stderr. Unlike `eprint!`, which panics when stderr cannot be written
/// (a closed pipe), a prompt nobody can see is no reason to stop.
fn prompt(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

// ANCHOR: connect_first
/// `socket` and `connect` to each address in turn, in the order getaddrinfo returned them (a
/// name may have an IPv6 and an IPv4 address), until one answers: Beej's loop. Each failure but
/// the last is logged with the address tried next; the last one's error is the client's.
fn connect_first(host: &str, server_addrs: &[SocketAddr]) -> Result<Socket, Error> {
    let mut last_error = Error::Problem(Problem::NoAddress { host }.to_string());
    for (i, server_addr) in server_addrs.iter().enumerate() {
        // A new socket for each address: its family must be the address's (AF_INET6 for ::1).
        let sock = sys::socket(server_addr, Blocking::Yes)?;
        match sys::connect(&sock, server_addr) {
            Ok(()) => {
                narrate::log(Log::Conn, None, Msg::ConnectedTo { addr: *server_addr });
                return Ok(sock);
            }
            Err(error) => {
                // The last address's failure is the client's error, said once by main.
                if let Some(&next) = server_addrs.get(i + 1) {
                    let (addr, error) = (*server_addr, &error);
                    narrate::log(Log::Conn, None, Msg::ConnectFailed { addr, error, next });
                }
                // A socket whose connect() failed cannot portably connect again: close it, and
                // try the next address with a new one. A failure of this close() would only
                // hide the connect() error, which is the one that matters.
                let _ = sys::close(sock);
                last_error = error.into();
            }
        }
    }
    Err(last_error)
}
// ANCHOR_END: connect_first

/// How long to read.
enum Until {
    /// Until every line sent has had its reply's end of line.
    LinesAnswered,
    /// Until recv() returns 0.
    ServerCloses,
}

/// The replies: how many lines are still owed, written to stdout as they arrive.
#[derive(Default)]
struct Replies {
    owed: usize,
}

impl Replies {
    /// Reads and prints replies until `until`.
    fn read(&mut self, io: Io, sock: &Socket, until: Until) -> Result<(), Error> {
        loop {
            if matches!(until, Until::LinesAnswered) && self.owed == 0 {
                return Ok(());
            }
            if self.receive(io, sock)? == 0 {
                return match until {
                    // The server closed while a reply was still owed.
                    Until::LinesAnswered => {
                        Err(Error::Problem(Problem::ServerVanished.to_string()))
                    }
                    Until::ServerCloses => Ok(()),
                };
            }
        }
    }

    /// One `recv()`: prints what it gives and counts the lines answered. Returns how many
    /// bytes came: 0 when the server has closed.
    fn receive(&mut self, io: Io, sock: &Socket) -> Result<usize, Error> {
        let mut buf = [0u8; BUF_SIZE];
        let n = loop {
            match io.recv(sock, &mut buf) {
                Ok(n) => break n,
                // A signal interrupted the wait before anything came: wait again.
                Err(e) if e.errno == Errno::EINTR => {
                    signals::retrying(Some(sock.fd()), e.call);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let answered = buf[..n].iter().filter(|&&b| b == b'\n').count();
        self.owed = self.owed.saturating_sub(answered);
        write_out(&buf[..n])?;
        Ok(n)
    }
}
