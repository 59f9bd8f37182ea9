//! A pseudo-terminal as the controlling terminal of a `sockstep` process, for `--step`: the
//! program opens `/dev/tty` and writes its stops there; the test reads them on the master side
//! and types Enter, as a student would.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::fcntl::{FcntlArg, FdFlag, fcntl};

use super::Lines;

/// The master side of a pseudo-terminal that a child uses as its controlling terminal.
pub struct Terminal {
    master: File,
    /// Held open for as long as the test runs: while no process has the slave side open, a read
    /// on the master fails with EIO, and the child opens /dev/tty only after it has started.
    _slave: OwnedFd,
    /// What the child wrote on its terminal, line by line (`\r` removed).
    pub lines: Lines,
}

/// Collects the lines of a child's pipe (its stdout, say) as [`Lines`].
pub fn collect_lines(pipe: impl std::io::Read + Send + 'static) -> Lines {
    Lines::collect(pipe)
}

/// The last line of each `--step` stop.
pub const ENTER: &str = "press Enter to make the call";

impl Terminal {
    /// Prepares `command` to run in a new session whose controlling terminal is a new
    /// pseudo-terminal; call before `spawn`.
    pub fn attach(command: &mut Command) -> Terminal {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        // Neither side may leak into the program: its first socket must be descriptor 3.
        for fd in [&pty.master, &pty.slave] {
            fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).expect("FD_CLOEXEC");
        }
        let slave = pty.slave.as_raw_fd();
        // SAFETY: setsid and ioctl are async-signal-safe, as pre_exec requires.
        unsafe {
            command.pre_exec(move || {
                // A new session, then the terminal becomes its controlling terminal: /dev/tty.
                if libc::setsid() < 0 || libc::ioctl(slave, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let master = File::from(pty.master);
        let reader = master.try_clone().expect("dup the pty master");
        Terminal {
            master,
            _slave: pty.slave,
            lines: Lines::collect(CrLf(reader)),
        }
    }

    /// Waits for the `n`th stop (from 1) and returns its lines, from `next:` to `press Enter`,
    /// each with the lines that go on from it joined again (a stop's line longer than 100
    /// columns goes on, indented, on the next ones: see [`super::unwrapped`]).
    pub fn stop(&self, n: usize) -> Vec<String> {
        self.lines
            .wait_count(&format!("stop {n}"), n, |l| l.ends_with(ENTER));
        let all = self.lines.all();
        let ends: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].ends_with(ENTER))
            .collect();
        let end = ends[n - 1];
        let start = (0..end)
            .rev()
            .find(|&i| all[i].contains("next: "))
            .expect("a stop starts with next:");
        super::unwrapped(&all[start..=end].join("\n"))
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The call a stop announces: `connect(3, {...}, 16)` from `[client] next: connect(...)`.
    pub fn call_of(stop: &[String]) -> String {
        stop[0]
            .split_once("next: ")
            .map(|(_, call)| call.to_string())
            .expect("next:")
    }

    /// Types Enter.
    pub fn enter(&mut self) {
        self.master.write_all(b"\n").expect("type Enter");
    }

    /// Answers stop `n`, then the next ones, with Enter until one is about to make `call`
    /// (`"accept("`); returns that stop, `n` then being its number. Panics past stop `most`.
    pub fn enter_until(&mut self, n: &mut usize, call: &str, most: usize) -> Vec<String> {
        loop {
            let stop = self.stop(*n);
            if Terminal::call_of(&stop).starts_with(call) {
                return stop;
            }
            assert!(*n < most, "no {call} stop:\n{}", self.lines.text());
            self.enter();
            *n += 1;
        }
    }

    /// Types `bytes` at once, as a student's fingers would: `b"\n\n\n"` is three Enters
    /// typed ahead, `b"\x03"` is Ctrl-C (the terminal turns it into SIGINT for the
    /// foreground process group).
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("type on the terminal");
    }
}

/// Removes the `\r` the terminal puts before each `\n` (its `onlcr` setting).
struct CrLf(File);

impl std::io::Read for CrLf {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = match self.0.read(buf) {
                // The slave side is closed for good once the child has exited: EIO.
                Err(e) if e.raw_os_error() == Some(libc::EIO) => 0,
                other => other?,
            };
            let mut kept = 0;
            for i in 0..n {
                if buf[i] != b'\r' {
                    buf[kept] = buf[i];
                    kept += 1;
                }
            }
            if kept > 0 || n == 0 {
                return Ok(kept);
            }
        }
    }
}
