//! A wrong fix of kata 7 · framing · `recv(2)` is not one message · application layer (OSI 7)
//!
//! This parrot numbers its replies: `1 UN`, `2 DEUX`... one per line the client sends. It
//! counts `recv()`s instead of lines. A client that sends two lines in one `send()` gets them
//! in one `recv()`, and one reply; a line that arrives in two segments gets two numbers. The
//! bytes of a stream carry no boundaries: the application draws them itself, here at each '\n',
//! keeping what follows the last one for the next `recv()`.
//!
//! The scenario sends `un\ndeux\n` in one segment, then `trois\n` in two.
//!
//! Check it: `sockstep kata check framing`; stuck: `sockstep kata hint framing`.
//!
//! Wrong on purpose: splits each recv() at its '\n's, but forgets the end of a line cut by recv(). `sockstep kata verify`
//! checks that the scenario rejects it.

use std::process::ExitCode;

use sockstep::Error;
use sockstep::kata::harness::{self, BUF_SIZE, Ctx};
use sockstep::stream::{Io, send_all};
use sockstep::sys;

pub fn main() -> ExitCode {
    harness::server(run)
}

pub fn run(ctx: &Ctx) -> Result<(), Error> {
    let listen_fd = harness::listener(ctx)?;
    loop {
        let conn_fd = sys::accept(&listen_fd)?;
        let mut buf = [0u8; BUF_SIZE];
        let mut count = 0;
        loop {
            let n = sys::recv(&conn_fd, &mut buf)?;
            if n == 0 {
                break;
            }
            for line in buf[..n].split_inclusive(|&b| b == b'\n') {
                count += 1;
                let reply = format!("{count} {}", String::from_utf8_lossy(line).to_uppercase());
                send_all(Io::SendRecv, &conn_fd, reply.as_bytes())?;
            }
        }
        sys::close(conn_fd)?;
    }
}
