//! The client: the course's client sequence, `socket`, `connect`, then per line `send` and
//! `recv`, and `close`.
//!
//! On a terminal it prompts with the course's `>>> `; from a pipe it is a filter:
//! `printf 'bonjour\nça va ?\n' | sockstep client` prints `BONJOUR\nÇA VA ?\n`. Replies alone go
//! to stdout; the prompt, the log and the narration go to stderr.
//!
//! Two details the course's Python client leaves out, both needed for a real tool:
//! - a reply may come in several pieces (TCP is a stream): the client reads until the reply's
//!   end of line has arrived, not just one `recv(1024)`;
//! - at the end of its input the client half-closes (`shutdown(SHUT_WR)`: FIN →) and reads
//!   until the server closes too, so that no reply still on its way is lost.
//!
//! Run it:    `sockstep client --port 6789` (after `sockstep server`)
//! Watch it:  `strace -e trace=network,close sockstep client`

use std::io::{BufRead, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use nix::errno::Errno;

use crate::Error;
use crate::dialogue::BUF_SIZE;
use crate::narrate::{self, Log};
use crate::stream::{Io, send_all};
use crate::sys::{self, Blocking, Socket};
use crate::text::{Msg, Problem};

/// What the client connects to, and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// A name or an IP address.
    pub host: String,
    pub port: u16,
    pub io: Io,
}

/// The course's prompt.
const PROMPT: &str = ">>> ";

pub fn run(options: &Options) -> Result<(), Error> {
    narrate::set_tag("client");
    let server_addrs = resolve(&options.host, options.port)?;
    let sock = connect_first(&options.host, &server_addrs)?;
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut replies = Replies::default();
    loop {
        if interactive {
            prompt(PROMPT);
        }
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|why| Error::Problem(Problem::Input { why: &why }.to_string()))?;
        if n == 0 {
            break;
        }
        send_all(options.io, &sock, &line)?;
        replies.owed += line.iter().filter(|&&b| b == b'\n').count();
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

/// Writes the prompt on stderr. Unlike `eprint!`, which panics when stderr cannot be written
/// (a closed pipe), a prompt nobody can see is no reason to stop.
fn prompt(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// An IP address is used as it is; a name is looked up with getaddrinfo (which reads
/// /etc/hosts and may ask DNS: library code, not one system call, so it is not narrated).
fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match (host, port).to_socket_addrs() {
        Ok(addrs) => Ok(addrs.collect()),
        Err(why) => Err(Error::Problem(
            Problem::UnknownHost { host, why: &why }.to_string(),
        )),
    }
}

/// `socket` and `connect` to each address in turn (a name may have an IPv6 and an IPv4
/// address) until one answers; the error of the last one otherwise.
fn connect_first(host: &str, server_addrs: &[SocketAddr]) -> Result<Socket, Error> {
    let mut last_error = Error::Problem(Problem::NoAddress { host }.to_string());
    for server_addr in server_addrs {
        let sock = sys::socket(server_addr, Blocking::Yes)?;
        match sys::connect(&sock, server_addr) {
            Ok(()) => {
                narrate::log(Log::Conn, None, Msg::ConnectedTo { addr: *server_addr });
                return Ok(sock);
            }
            Err(error) => {
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
    fn read(&mut self, io: Io, sock: &Socket, until: Until) -> Result<(), Error> {
        let mut buf = [0u8; BUF_SIZE];
        let mut stdout = std::io::stdout().lock();
        loop {
            if matches!(until, Until::LinesAnswered) && self.owed == 0 {
                return Ok(());
            }
            let n = match io.recv(sock, &mut buf) {
                Ok(n) => n,
                Err(e) if e.errno == Errno::EINTR => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                return match until {
                    // The server closed while a reply was still owed.
                    Until::LinesAnswered => {
                        Err(Error::Problem(Problem::ServerVanished.to_string()))
                    }
                    Until::ServerCloses => Ok(()),
                };
            }
            let answered = buf[..n].iter().filter(|&&b| b == b'\n').count();
            self.owed = self.owed.saturating_sub(answered);
            stdout
                .write_all(&buf[..n])
                .and_then(|()| stdout.flush())
                .map_err(|why| Error::Problem(Problem::Output { why: &why }.to_string()))?;
        }
    }
}
