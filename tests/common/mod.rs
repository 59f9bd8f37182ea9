//! What every test shares: start the real `sockstep` binary on port 0, wait for its
//! `listening on` line, talk to it over real loopback sockets, and read its log.
//!
//! Nothing here sleeps to synchronise: every wait is for an event (a line on stdout or stderr,
//! bytes on a socket, a process exit), and every wait is bounded by [`LIMIT`], after which the
//! test fails with what it was waiting for.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub mod strace;
pub mod terminal;
pub mod tools;

/// The longest any single wait may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(30);

/// The binary under test, built by cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_sockstep");

/// Lines a child process wrote on one of its pipes, collected by a thread, with a condition
/// variable to wait for the next one.
#[derive(Clone, Default)]
pub struct Lines {
    inner: Arc<(Mutex<Collected>, Condvar)>,
}

/// The lines so far, and whether the pipe has closed.
#[derive(Default)]
struct Collected {
    lines: Vec<String>,
    closed: bool,
}

impl Lines {
    /// Collects the lines of `pipe` until it closes.
    pub fn collect(pipe: impl Read + Send + 'static) -> Lines {
        let lines = Lines::default();
        let sink = lines.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf)
                            .trim_end_matches('\n')
                            .to_string();
                        let (lock, cvar) = &*sink.inner;
                        lock.lock().unwrap().lines.push(line);
                        cvar.notify_all();
                    }
                }
            }
            let (lock, cvar) = &*sink.inner;
            lock.lock().unwrap().closed = true;
            cvar.notify_all();
        });
        lines
    }

    /// Every line so far.
    pub fn all(&self) -> Vec<String> {
        self.inner.0.lock().unwrap().lines.clone()
    }

    /// Every line so far, joined.
    pub fn text(&self) -> String {
        self.all().join("\n")
    }

    /// Waits until some line satisfies `pred`, and returns it; panics after [`LIMIT`] or when
    /// the pipe closes first.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_count(what, 1, pred).remove(0)
    }

    /// Waits until `count` lines satisfy `pred`; returns them.
    pub fn wait_count(&self, what: &str, count: usize, pred: impl Fn(&str) -> bool) -> Vec<String> {
        self.wait_lines(what, count, pred, |lines| lines.to_vec())
    }

    /// Waits until some line, whole again (see [`unwrapped`]: a long log line goes on,
    /// indented, on the next lines), satisfies `pred`, and returns it.
    pub fn wait_for_whole(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let whole = |lines: &[String]| {
            unwrapped(&lines.join("\n"))
                .lines()
                .map(str::to_string)
                .collect()
        };
        self.wait_lines(what, 1, pred, whole).remove(0)
    }

    /// Waits until `count` of the lines seen through `view` satisfy `pred`; returns them.
    fn wait_lines(
        &self,
        what: &str,
        count: usize,
        pred: impl Fn(&str) -> bool,
        view: impl Fn(&[String]) -> Vec<String>,
    ) -> Vec<String> {
        let deadline = Instant::now() + LIMIT;
        let (lock, cvar) = &*self.inner;
        let mut state = lock.lock().unwrap();
        loop {
            let found: Vec<String> = view(&state.lines).into_iter().filter(|l| pred(l)).collect();
            if found.len() >= count {
                return found;
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                panic!(
                    "waited for {count} line(s) {what:?}, found {}; {}; lines so far:\n{}",
                    found.len(),
                    if state.closed {
                        "the pipe closed"
                    } else {
                        "time is up"
                    },
                    state.lines.join("\n")
                );
            }
            state = cvar.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Waits until the pipe closes (the process exited or closed it).
    pub fn wait_closed(&self) {
        let deadline = Instant::now() + LIMIT;
        let (lock, cvar) = &*self.inner;
        let mut state = lock.lock().unwrap();
        while !state.closed {
            let now = Instant::now();
            assert!(now < deadline, "the pipe did not close in time");
            state = cvar.wait_timeout(state, deadline - now).unwrap().0;
        }
    }
}

/// A running `sockstep server`, killed when dropped.
pub struct Server {
    pub child: Child,
    /// The addresses of its `listening on` lines, in order.
    pub addrs: Vec<SocketAddr>,
    pub stdout: Lines,
    pub stderr: Lines,
}

impl Server {
    /// Starts `sockstep server ARGS` and waits for one `listening on` line. Pass `--port 0`
    /// (or a `--listen` with port 0) yourself: the binary's default is the course's 6789.
    pub fn start(args: &[&str]) -> Server {
        Server::start_with(Command::new(BIN).arg("server").args(args), 1)
    }

    /// Starts `sockstep server --bind 127.0.0.1 --port 0 ARGS`: the usual test server.
    pub fn loopback(args: &[&str]) -> Server {
        let mut all = vec!["--bind", "127.0.0.1", "--port", "0"];
        all.extend_from_slice(args);
        Server::start(&all)
    }

    /// Starts the prepared command and waits for `listeners` `listening on` lines.
    /// The environment is English (see [`english_by_default`]) unless the command sets it.
    pub fn start_with(command: &mut Command, listeners: usize) -> Server {
        let mut child = english_by_default(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sockstep");
        let stdout = Lines::collect(child.stdout.take().unwrap());
        let stderr = Lines::collect(child.stderr.take().unwrap());
        let mut server = Server {
            child,
            addrs: Vec::new(),
            stdout,
            stderr,
        };
        let lines = server.stdout.wait_count("listening on", listeners, |l| {
            l.starts_with("listening on ")
        });
        server.addrs = lines.iter().map(|l| parse_listening(l)).collect();
        server
    }

    /// The address of the first listener.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Connects a new client to the first listener.
    pub fn connect(&self) -> TcpStream {
        connect(self.addr())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the server to exit by itself; panics after [`LIMIT`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        wait_exit(&mut self.child)
    }

    /// Sends a signal to the server, once it sleeps in a blocking call (at most [`ASLEEP`]).
    ///
    /// A shutdown signal that lands while a server runs between two waits, after its loop has
    /// looked at the flag and before its next wait, is noticed only when that wait returns: the
    /// race that `pselect`, `ppoll` and `epoll_pwait` exist to close, which the book states
    /// (models/index.md). A test that has just had its reply catches the server right there,
    /// after its `send()`, far more often than a person pressing Ctrl-C does, and on a loaded
    /// machine often enough to fail. So the signal goes once the server sleeps in the kernel
    /// ([`all_asleep`]): in its wait, which the signal interrupts.
    pub fn signal(&self, signal: i32) {
        let deadline = Instant::now() + ASLEEP;
        while !all_asleep(self.child.id()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: kill(2) with a pid we own.
        let r = unsafe { libc_kill(self.child.id() as i32, signal) };
        assert_eq!(r, 0, "kill({}, {signal})", self.child.id());
    }
}

/// How long [`Server::signal`] waits for the server to sleep before it signals anyway.
const ASLEEP: Duration = Duration::from_secs(2);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// `listening on 127.0.0.1:40123` or `listening on 127.0.0.1:40123/udp` (maybe followed by a
/// service name) → the address.
pub fn parse_listening(line: &str) -> SocketAddr {
    let rest = line
        .strip_prefix("listening on ")
        .expect("a listening line");
    let addr = rest.split_whitespace().next().expect("an address");
    // A UDP listener's line says `127.0.0.1:40123/udp`, as /etc/services writes a port.
    let addr = addr.strip_suffix("/udp").unwrap_or(addr);
    addr.parse()
        .unwrap_or_else(|e| panic!("bad address in {line:?}: {e}"))
}

/// Waits for `child` to exit; after [`LIMIT`], kills it (so that a hung process outlives
/// no test, and the threads reading its pipes see them close) and panics.
pub fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process did not exit in time: killed");
        }
        thread::sleep(Duration::from_millis(10)); // polling an exit, not synchronising
    }
}

/// A client socket to `addr`, with read and write timeouts so no test can hang.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, LIMIT).expect("connect");
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream.set_write_timeout(Some(LIMIT)).unwrap();
    stream
}

/// Reads exactly `n` bytes.
pub fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream
        .read_exact(&mut buf)
        .unwrap_or_else(|e| panic!("reading {n} bytes: {e}"));
    buf
}

/// Reads until the peer closes.
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).expect("read to end");
    buf
}

/// Sends `data` and reads `reply_len` bytes back.
pub fn exchange(stream: &mut TcpStream, data: &[u8], reply_len: usize) -> Vec<u8> {
    stream.write_all(data).expect("send");
    read_n(stream, reply_len)
}

/// Sends `data` and reads back as many bytes, for services whose reply has the request's
/// length (the parrot on ASCII, echo).
pub fn echo(stream: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    exchange(stream, data, data.len())
}

/// Makes `command` speak English whatever the test runner's locale, unless the test chose a
/// locale itself: `LANG=C`, and no `LC_ALL` or `LC_MESSAGES`, for each of them it did not set.
pub fn english_by_default(command: &mut Command) -> &mut Command {
    let set: Vec<String> = command
        .get_envs()
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .collect();
    let chosen = |name: &str| set.iter().any(|s| s == name);
    if !chosen("LANG") {
        command.env("LANG", "C");
    }
    for name in ["LC_ALL", "LC_MESSAGES"] {
        if !chosen(name) {
            command.env_remove(name);
        }
    }
    command
}

/// `sockstep ARGS`, ready to run.
pub fn sockstep(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    command
}

/// The output of a finished `sockstep` run (a client, or a server that failed to start).
pub struct ClientRun {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl ClientRun {
    /// stdout as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `sockstep client ARGS` with `input` on its stdin, to the end.
pub fn run_client(args: &[&str], input: &[u8]) -> ClientRun {
    run_to_end(Command::new(BIN).arg("client").args(args), input)
}

/// Runs `command` with `input` on its stdin, to the end (bounded by [`LIMIT`]).
pub fn run_to_end(command: &mut Command, input: &[u8]) -> ClientRun {
    let mut child = english_by_default(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sockstep client");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        // The client may exit early (refused connection): a broken pipe is not our failure.
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let stderr = Lines::collect(child.stderr.take().unwrap());
    let status = wait_exit(&mut child);
    writer.join().unwrap();
    stderr.wait_closed();
    ClientRun {
        status,
        stdout: reader.join().unwrap(),
        stderr: stderr.text(),
    }
}

/// The number of open file descriptors of process `pid`, from /proc.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/PID/fd")
        .count()
}

/// A field of /proc/PID/status, such as `Threads` or `VmRSS` (its first number).
pub fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// A port on 127.0.0.1 where nothing listens: the kernel gives a free one, and it is released
/// at once. (Another program could take it in between; on a test machine none does.)
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

/// One line of `--narrate`: `[tag] syscall(args) = result   [layer: note]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Narrated {
    /// `iterative`, `client`...
    pub tag: String,
    /// The system call strace shows: `recvfrom`, not `recv`.
    pub syscall: String,
    /// `recvfrom(4, "bonjour\n", 1024, 0, NULL, NULL) = 8`: what strace prints for it.
    pub strace: String,
    /// What is inside the trailing brackets: `application ↔ transport · OSI 7 ↔ 4: ...`.
    pub bracket: String,
}

/// The narration lines of a log, in order; log lines and anything else are left out.
pub fn narration(log: &str) -> Vec<Narrated> {
    unwrapped(log).lines().filter_map(parse_narrated).collect()
}

/// A log with each narration on one line again: a narration keeps within 100 columns by going
/// on, indented, on the next lines (the rest of a long call indented by 8, then the bracket,
/// `    [` and the rest of it indented by 5); here those lines join their first, the pieces
/// with a space and the bracket after three, as `[tag] call(args) = result   [layer: note]`.
pub fn unwrapped(log: &str) -> String {
    let mut out = String::new();
    for line in log.lines() {
        if let Some(bracket) = line.strip_prefix("    [") {
            out.push_str("   [");
            out.push_str(bracket);
        } else if line.starts_with("     ") && !out.is_empty() {
            out.push(' ');
            out.push_str(line.trim_start());
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}

/// The system calls a log narrates, in order.
pub fn narrated_calls(log: &str) -> Vec<String> {
    narration(log).into_iter().map(|n| n.syscall).collect()
}

fn parse_narrated(line: &str) -> Option<Narrated> {
    let rest = line.strip_prefix('[')?;
    let (tag, rest) = rest.split_once("] ")?;
    let (strace, bracket) = rest.split_once("   [")?;
    let (syscall, _) = strace.split_once('(')?;
    let is_name = !syscall.is_empty()
        && syscall
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !is_name || !strace.contains(") = ") {
        return None;
    }
    Some(Narrated {
        tag: tag.to_string(),
        syscall: syscall.to_string(),
        strace: strace.to_string(),
        bracket: bracket.strip_suffix(']')?.to_string(),
    })
}

/// Runs `sockstep client ARGS` with its stdin on a pseudo-terminal, as a person at a terminal
/// would: `typed` is what they type (end it with `\x04`, Ctrl-D, to end the input). stdout and
/// stderr are pipes, so the test sees which text went where.
pub fn run_client_on_tty(args: &[&str], typed: &[u8]) -> ClientRun {
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let mut child = english_by_default(Command::new(BIN).arg("client").args(args))
        .stdin(Stdio::from(pty.slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sockstep client");
    // `Command` keeps no copy of the slave: from now on only the child holds it.
    let mut master = std::fs::File::from(pty.master);
    master.write_all(typed).expect("type on the terminal");
    // The terminal echoes what is typed back to the master side: drain it, so that the echo
    // never fills the pty's buffer. The read ends (EIO) when the child has exited.
    let mut echo = master.try_clone().expect("dup the pty master");
    let drain = thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = echo.read_to_end(&mut sink);
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let stderr = Lines::collect(child.stderr.take().unwrap());
    let status = wait_exit(&mut child);
    stderr.wait_closed();
    drop(master);
    drain.join().unwrap();
    ClientRun {
        status,
        stdout: reader.join().unwrap(),
        stderr: stderr.text(),
    }
}

pub mod models;

/// Polls `cond` until it holds; panics after [`LIMIT`] with `what`. For states that no line or
/// byte announces, such as a thread that has finished exiting or a zombie in /proc.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "waited in vain for: {what}");
        thread::sleep(Duration::from_millis(10)); // polling a state, not synchronising
    }
}

/// The children of process `pid`, each with its state letter from /proc (`Z`: a zombie).
pub fn children_of(pid: u32) -> Vec<(u32, char)> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // /proc/PID/stat: `pid (comm) state ppid ...`; comm may hold spaces, so split after
        // its closing parenthesis. A process may vanish while we look: skip it.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid == pid {
            children.push((child, state));
        }
    }
    children
}

/// The state letter of thread `tid` of process `pid` in /proc (`S`: asleep, blocked in a
/// system call; `R`: running or ready to). The first thread's tid is the pid.
pub fn thread_state(pid: u32, tid: u32) -> char {
    state_of(pid, tid).expect("read /proc/PID/task/TID/stat")
}

/// [`thread_state`], or `None` when the thread is gone (or its line unreadable).
fn state_of(pid: u32, tid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().next()?.chars().next()
}

/// Is every thread of process `pid`, and of each of its children, asleep (blocked in a system
/// call), or gone (exited, a zombie)? Once a server has answered everything it was sent, its
/// threads and processes sleep only in their waits: accept(), recv(), select(), poll(),
/// epoll_wait().
pub fn all_asleep(pid: u32) -> bool {
    std::iter::once(pid)
        .chain(children_of(pid).into_iter().map(|(child, _)| child))
        .all(|p| {
            std::fs::read_dir(format!("/proc/{p}/task"))
                .map(|tasks| {
                    tasks.flatten().all(|task| {
                        task.file_name()
                            .to_string_lossy()
                            .parse()
                            .is_ok_and(|tid| matches!(state_of(p, tid), Some('S' | 'Z') | None))
                    })
                })
                .unwrap_or(true) // the process has just exited: nothing of it runs
        })
}

/// Has the server sent nothing on `stream` so far? Looks without waiting.
pub fn nothing_received(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let result = stream.peek(&mut byte);
    stream.set_nonblocking(false).unwrap();
    matches!(result, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Resets the connection: SO_LINGER with a zero timeout, then close, sends RST instead of FIN.
pub fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

/// Starts `sockstep server --bind 127.0.0.1 ARGS` with one `--listen SERVICE:0` per service,
/// and waits for as many `listening on` lines; `addrs` follows the order of `services`.
pub fn serve(model: &str, services: &[&str], args: &[&str]) -> Server {
    let mut command = Command::new(BIN);
    command.args(["server", "--model", model, "--bind", "127.0.0.1"]);
    for service in services {
        command.args(["--listen", &format!("{service}:0")]);
    }
    command.args(args);
    Server::start_with(&mut command, services.len())
}

/// The open-file flags of descriptor `fd` of process `pid`, from /proc/PID/fdinfo/FD (octal,
/// as the kernel prints them).
pub fn fd_flags(pid: u32, fd: i32) -> u32 {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/fdinfo/{fd}: {e}"));
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .unwrap_or_else(|| panic!("no flags in /proc/{pid}/fdinfo/{fd}"))
}

/// O_NONBLOCK, as /proc/PID/fdinfo shows it: 04000 in octal.
pub const O_NONBLOCK: u32 = 0o4000;

/// The server's descriptor number in a log line such as `[mio] fd 8: connection from ...`.
pub fn logged_fd(line: &str) -> i32 {
    line.split("fd ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|fd| fd.trim().parse().ok())
        .unwrap_or_else(|| panic!("no fd in {line:?}"))
}

/// Raises this process's limit of open descriptors to its hard limit, and returns it, for
/// tests that open more than a thousand sockets.
pub fn raise_nofile_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit with a valid pointer to a plain struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_cur
}

/// The lines of the ```` ```text ```` block that follows `<!-- transcript: NAME -->` in the
/// book page `page` (a path under docs/src).
pub fn book_transcript(page: &str, name: &str) -> Vec<String> {
    let path = format!("{}/docs/src/{page}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let marker = format!("<!-- transcript: {name} -->");
    let after = text
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no {marker} in {path}"))
        .1;
    let block = after
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .unwrap_or_else(|| panic!("no text block after {marker} in {path}"))
        .0;
    block.lines().map(str::to_string).collect()
}

/// Log lines grouped by speaker (the `[tag]`), each group in its order, with what changes from
/// run to run replaced: pids and tids by `P1`, `P2`... in increasing numeric order,
/// descriptors by `FD`, ports by `PORT`. Two runs of one scenario give the same groups even
/// when the processes' or threads' lines interleave differently.
///
/// Ids are ranked by value, not by first appearance: a forked child may write its first line
/// before its parent writes `fork() = PID`, and the kernel hands out pids and tids in
/// increasing order, so a parent always ranks before the children it forked.
pub fn by_speaker(lines: &[String]) -> std::collections::BTreeMap<String, Vec<String>> {
    // Each log line whole again: where a long one is cut depends on the width of its pids.
    let whole = unwrapped(&lines.join("\n"));
    let lines: Vec<String> = whole.lines().map(str::to_string).collect();
    let mut ids: Vec<String> = Vec::new();
    for line in &lines {
        normalise(line, &mut ids);
    }
    ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(u64::MAX));
    let mut groups = std::collections::BTreeMap::<String, Vec<String>>::new();
    for line in &lines {
        let line = normalise(line, &mut ids);
        let tag = line
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .map_or("", |(tag, _)| tag)
            .to_string();
        groups.entry(tag).or_default().push(line);
    }
    groups
}

/// One line of [`by_speaker`]'s normalisation.
fn normalise(line: &str, ids: &mut Vec<String>) -> String {
    const IDS: [&str; 4] = ["pid ", "tid ", "child ", "fork() = "];
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        let digits_after = |prefix: &str| {
            rest.strip_prefix(prefix).map(|after| {
                let n = after.bytes().take_while(u8::is_ascii_digit).count();
                (&after[..n], &after[n..])
            })
        };
        if let Some((prefix, (number, after))) = IDS
            .iter()
            .find_map(|p| digits_after(p).map(|found| (*p, found)))
            .filter(|(_, (number, _))| !number.is_empty())
        {
            let k = match ids.iter().position(|id| id == number) {
                Some(k) => k,
                None => {
                    ids.push(number.to_string());
                    ids.len() - 1
                }
            };
            out.push_str(&format!("{prefix}P{}", k + 1));
            rest = after;
        } else if let Some((_, after)) = digits_after("fd ").filter(|(n, _)| !n.is_empty()) {
            out.push_str("fd FD");
            rest = after;
        } else if let Some((_, after)) = digits_after(":").filter(|(n, _)| n.len() >= 4) {
            out.push_str(":PORT");
            rest = after;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The output of a finished `sockstep bench` run.
pub struct BenchRun {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `sockstep bench ARGS` to its end (bounded by [`LIMIT`]), in English.
pub fn run_bench(args: &[&str]) -> BenchRun {
    let mut child = Command::new(BIN)
        .arg("bench")
        .args(args)
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sockstep bench");
    let stdout = Lines::collect(child.stdout.take().unwrap());
    let stderr = Lines::collect(child.stderr.take().unwrap());
    let status = wait_exit(&mut child);
    stdout.wait_closed();
    stderr.wait_closed();
    BenchRun {
        status,
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

/// A fresh, empty directory for one test's files, under the system's temporary directory.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sockstep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// `ss -Htan` (no header) on `port`: the lines of the TCP sockets whose local or peer port it
/// is, listening ones included, their columns joined by one space.
pub fn ss_tan(port: u16) -> Vec<String> {
    let filter = format!("( sport = :{port} or dport = :{port} )");
    let out = Command::new("ss")
        .args(["-Htan", &filter])
        .output()
        .expect("run ss (iproute2)");
    assert!(out.status.success(), "ss -Htan {filter} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}
