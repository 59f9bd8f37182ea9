//! A kata's scenario: the program under test, the peers it meets over loopback, the steps told
//! as they go (minnow-style: `1. expected BONJOUR back  *** got B`), and the event record of the
//! program's calls, read back to grade the calls themselves.

use std::fmt::{self, Write as _};
use std::io::Read;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::Value;

use crate::narrate::{strace_bytes, strace_sockaddr};

/// How the program under test is started: the student's build of the kata, or sockstep running
/// the kata's solution.
#[derive(Clone, Debug)]
pub struct Program {
    pub exe: PathBuf,
    pub args: Vec<String>,
}

/// Why a scenario failed: what came instead of what was expected, and the calls to look at.
#[derive(Debug)]
pub struct Fail {
    pub got: String,
    pub calls: Vec<String>,
}

/// A scenario under way.
pub struct Scene {
    program: Program,
    /// The event record every process of the program appends to.
    pub events: PathBuf,
    /// What has been told so far.
    pub told: String,
    step: usize,
    /// CLOCK_REALTIME (the record's clock) when the previous step began: a failed step quotes
    /// the calls of the step before it too, where what it expected was done.
    prev_t: u64,
    /// When the current step began.
    step_t: u64,
    procs: Vec<Proc>,
}

/// One run of the program under test.
pub struct Proc {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    exited: Option<ExitStatus>,
}

/// How long a scenario waits for what should come at once on loopback.
pub const PATIENCE: Duration = Duration::from_secs(2);

impl Scene {
    pub fn new(program: Program, events: PathBuf) -> Scene {
        Scene {
            program,
            events,
            told: String::new(),
            step: 0,
            prev_t: now(),
            step_t: now(),
            procs: Vec::new(),
        }
    }

    /// Tells the next step, and starts counting its calls.
    pub fn step(&mut self, what: impl fmt::Display) {
        let _ = writeln!(self.told, "  {}. {what}", self.step);
        self.step += 1;
        self.prev_t = self.step_t;
        self.step_t = now();
    }

    /// The step failed: `got` came instead; the calls of this step and the one before are
    /// quoted.
    pub fn fail(&self, got: impl Into<String>) -> Fail {
        let since = self.prev_t;
        let calls = self.calls();
        let calls: Vec<&Ev> = calls.iter().filter(|ev| ev.t_exit() >= since).collect();
        Fail {
            got: got.into(),
            calls: quote(&calls),
        }
    }

    /// An assertion on the calls failed: `got` says how, and `looked_at` are the calls it read.
    pub fn fail_calls(&self, got: impl Into<String>, looked_at: &[&Ev]) -> Fail {
        Fail {
            got: got.into(),
            calls: quote(looked_at),
        }
    }

    /// Starts the program with `args` (and `--events`), in its own process group so that
    /// forked children go with it at the end.
    pub fn start(&mut self, args: &[&str]) -> Result<usize, Fail> {
        let mut command = Command::new(&self.program.exe);
        command
            .args(&self.program.args)
            .args(args)
            .arg("--events")
            .arg(&self.events)
            .env("LANG", "C")
            .env_remove("LC_ALL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| self.fail(format!("cannot start {}: {e}", self.program.exe.display())))?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        self.procs.push(Proc {
            child,
            stdout,
            stderr,
            exited: None,
        });
        Ok(self.procs.len() - 1)
    }

    /// Waits for run `p`'s `listening on IP:PORT` line.
    pub fn listening(&mut self, p: usize) -> Result<SocketAddr, Fail> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let out = self.stdout(p);
            if let Some(line) = out.lines().find(|l| l.starts_with("listening on ")) {
                let addr = line["listening on ".len()..].split_whitespace().next();
                return match addr.and_then(|a| a.parse::<SocketAddr>().ok()) {
                    Some(addr) if addr.port() != 0 => Ok(addr),
                    _ => Err(self.fail(format!(
                        "`{line}`: no client can connect to port 0, the kernel picks the real \
                         port at bind()"
                    ))),
                };
            }
            if let Some(status) = self.try_exit(p) {
                return Err(self.fail(format!("the program ended ({status}): {}", self.stderr(p))));
            }
            if Instant::now() > deadline {
                return Err(self.fail("no `listening on` line after 2 s"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A run that has ended, said with its status and its last words on stderr.
    pub fn ended(&mut self) -> Option<String> {
        let ended = (0..self.procs.len()).find(|&p| self.try_exit(p).is_some())?;
        let status = self.procs[ended].exited?;
        Some(format!(
            "the program has ended ({status}): {}",
            self.stderr(ended)
        ))
    }

    /// Has run `p` ended?
    pub fn try_exit(&mut self, p: usize) -> Option<ExitStatus> {
        let proc = &mut self.procs[p];
        if proc.exited.is_none() {
            proc.exited = proc.child.try_wait().ok().flatten();
        }
        proc.exited
    }

    /// Waits up to `within` for run `p` to end.
    pub fn wait_exit(&mut self, p: usize, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.try_exit(p) {
                // Its pipes close with it: let the readers catch up.
                std::thread::sleep(Duration::from_millis(10));
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// What run `p` printed on stdout so far.
    pub fn stdout(&self, p: usize) -> String {
        text(&self.procs[p].stdout)
    }

    /// What run `p` printed on stderr so far.
    pub fn stderr(&self, p: usize) -> String {
        text(&self.procs[p].stderr).trim_end().to_string()
    }

    /// The calls recorded so far.
    pub fn calls(&self) -> Vec<Ev> {
        let text = std::fs::read_to_string(&self.events).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|v| v["kind"] == "call")
            .map(Ev)
            .collect()
    }

    /// Waits up to `within` until the record's calls satisfy `pred`.
    pub fn wait_calls(&self, within: Duration, mut pred: impl FnMut(&[Ev]) -> bool) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if pred(&self.calls()) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Ends every run still going (SIGKILL to its process group, forked children included).
    pub fn end(&mut self) {
        for proc in &mut self.procs {
            if proc.exited.is_none() {
                let _ = killpg(Pid::from_raw(proc.child.id() as i32), Signal::SIGKILL);
                proc.exited = proc.child.wait().ok();
            }
        }
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        self.end();
    }
}

/// Reads a pipe to its end in a thread, into a buffer the scene can look at meanwhile.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    if let Some(mut pipe) = pipe {
        let into = Arc::clone(&buf);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                if let Ok(mut buf) = into.lock() {
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        });
    }
    buf
}

fn text(buf: &Mutex<Vec<u8>>) -> String {
    buf.lock()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// CLOCK_REALTIME in nanoseconds, the record's clock.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// At most this many calls are quoted under a failed step: its last ones.
const QUOTED: usize = 12;

fn quote(calls: &[&Ev]) -> Vec<String> {
    let skip = calls.len().saturating_sub(QUOTED);
    let mut lines = Vec::new();
    if skip > 0 {
        lines.push(format!("... ({skip} calls before)"));
    }
    lines.extend(calls[skip..].iter().map(|ev| ev.strace()));
    lines
}

/// One call of the event record (`docs/src/events.md`).
#[derive(Clone, Debug)]
pub struct Ev(pub Value);

/// The order of the man pages' arguments, to render a record's arguments (a JSON object,
/// which does not keep its order once parsed) as strace does.
const ARG_ORDER: &[&str] = &[
    "fd",
    "fds",
    "nfds",
    "readfds",
    "writefds",
    "exceptfds",
    "op",
    "target_fd",
    "event",
    "events",
    "maxevents",
    "timeout",
    "sigmask",
    "domain",
    "type",
    "protocol",
    "level",
    "optname",
    "optval",
    "addr",
    "buf",
    "len",
    "flags",
    "src_addr",
    "dest_addr",
    "addrlen",
    "backlog",
    "how",
    "pid",
    "wstatus",
    "options",
    "rusage",
    "status",
    "signum",
    "act",
    "oldact",
    "which",
    "new_value",
    "old_value",
    "sig",
    "set",
    "info",
    "oldset",
    "sigsetsize",
];

impl Ev {
    /// The course's name of the call: `recv`, `send`, `accept`...
    pub fn call(&self) -> &str {
        self.0["call"].as_str().unwrap_or("")
    }
    pub fn fd(&self) -> Option<i64> {
        self.0["fd"].as_i64()
    }
    pub fn ret(&self) -> Option<i64> {
        self.0["ret"].as_i64()
    }
    pub fn errno(&self) -> Option<&str> {
        self.0["errno"].as_str()
    }
    pub fn pid(&self) -> Option<i64> {
        self.0["pid"].as_i64()
    }
    pub fn t_enter(&self) -> u64 {
        self.0["t_enter"].as_u64().unwrap_or(0)
    }
    pub fn t_exit(&self) -> u64 {
        self.0["t_exit"].as_u64().unwrap_or(0)
    }
    /// An argument as the record has it, as text: `SO_REUSEADDR`, `[1], 4`.
    pub fn arg(&self, name: &str) -> String {
        match &self.0["args"][name] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
    /// The bytes the call moved (the record keeps the first 64).
    pub fn bytes(&self) -> Vec<u8> {
        let hex = self.0["bytes"]["hex"].as_str().unwrap_or("");
        (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect()
    }
    /// Is it `call` on `fd`?
    pub fn is(&self, call: &str, fd: i64) -> bool {
        self.call() == call && self.fd() == Some(fd)
    }

    /// The call in strace's notation: `recvfrom(4, "B", 1024, 0, NULL, NULL) = 1`.
    pub fn strace(&self) -> String {
        let syscall = self.0["syscall"].as_str().unwrap_or("?");
        let mut args: Vec<(&String, &Value)> = match &self.0["args"] {
            Value::Object(map) => map.iter().collect(),
            _ => Vec::new(),
        };
        let rank = |name: &str| match (syscall, name) {
            // accept4(fd, addr, addrlen, flags), where recvfrom has its flags before addrlen;
            // sigtimedwait(set, info, timeout, sigsetsize), where the waits have it earlier.
            ("accept4", "flags") => 100,
            ("rt_sigtimedwait", "timeout") => {
                ARG_ORDER.iter().position(|n| *n == "info").unwrap_or(99) + 1
            }
            _ => ARG_ORDER.iter().position(|n| *n == name).unwrap_or(99),
        };
        args.sort_by_key(|(name, _)| rank(name));
        let shown: Vec<String> = args
            .iter()
            .map(|(name, value)| match (name.as_str(), value) {
                // strace_bytes shows the first 32 bytes, then `...`, as strace does.
                ("buf", _) if self.0["bytes"].is_object() => strace_bytes(&self.bytes()),
                // A failed call moved nothing, and the record kept no bytes.
                ("buf", _) => "...".into(),
                (_, Value::Object(addr)) => {
                    let ip = addr.get("ip").and_then(Value::as_str).unwrap_or("");
                    let port = addr.get("port").and_then(Value::as_u64).unwrap_or(0);
                    match ip.parse() {
                        Ok(ip) => strace_sockaddr(&SocketAddr::new(ip, port as u16)),
                        Err(_) => value.to_string(),
                    }
                }
                (_, Value::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            })
            .collect();
        let ret = match (self.errno(), self.ret()) {
            (Some(errno), _) => format!("-1 {errno}"),
            (None, Some(ret)) => ret.to_string(),
            (None, None) => "?".into(),
        };
        let who = self
            .pid()
            .map_or(String::new(), |pid| format!("[pid {pid}] "));
        format!("{who}{syscall}({}) = {ret}", shown.join(", "))
    }
}

/// A client of the scenario, on loopback, with timeouts so that no step waits for ever.
pub fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE)?;
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A UDP client of the scenario: a socket bound to 127.0.0.1, port 0 (the kernel picks one),
/// whose reads give up after 50 ms, so that no step waits for ever.
pub fn udp_peer() -> std::io::Result<UdpSocket> {
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    sock.set_read_timeout(Some(Duration::from_millis(50)))?;
    sock.set_write_timeout(Some(PATIENCE))?;
    Ok(sock)
}

/// The next datagram that comes to `sock` within `within`, and who sent it.
pub fn read_datagram(sock: &UdpSocket, within: Duration) -> Option<(Vec<u8>, SocketAddr)> {
    let deadline = Instant::now() + within;
    let mut buf = vec![0u8; 65536];
    loop {
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => return Some((buf[..n].to_vec(), from)),
            Err(_) if Instant::now() < deadline => {}
            Err(_) => return None,
        }
    }
}

/// A client whose receive buffer is `rcvbuf` bytes, set before `connect()` (the window scale
/// is agreed in the handshake, and a buffer set by hand is not grown by the kernel's
/// autotuning, which on recent kernels grows to tcp_rmem's maximum, 32 MiB).
pub fn connect_with_rcvbuf(addr: SocketAddr, rcvbuf: usize) -> nix::Result<TcpStream> {
    use nix::sys::socket::{self as nix_socket, AddressFamily, SockFlag, SockType, SockaddrIn};
    let SocketAddr::V4(v4) = addr else {
        return Err(nix::errno::Errno::EAFNOSUPPORT);
    };
    let fd = nix_socket::socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )?;
    nix_socket::setsockopt(&fd, nix_socket::sockopt::RcvBuf, &rcvbuf)?;
    nix_socket::connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrIn::from(v4))?;
    let stream = TcpStream::from(fd);
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|_| nix::errno::Errno::EINVAL)?;
    Ok(stream)
}

/// What a read of the scenario's client ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The expected number of bytes came.
    Enough,
    /// The peer closed (its FIN came).
    Eof,
    /// Nothing more came in time.
    Timeout,
    /// What came already differs from what was expected.
    Differs,
    /// The connection failed.
    Error(String),
}

/// Reads until `want` bytes came, the peer closed, `within` passed, or `stop` says so (it is
/// asked between reads, with what came so far).
pub fn read_some(
    stream: &mut TcpStream,
    want: usize,
    within: Duration,
    mut stop: impl FnMut(&[u8]) -> bool,
) -> (Vec<u8>, End) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        if got.len() >= want {
            return (got, End::Enough);
        }
        if stop(&got) {
            return (got, End::Differs);
        }
        if Instant::now() > deadline {
            return (got, End::Timeout);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return (got, End::Eof),
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return (got, End::Error(e.to_string())),
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Enough | End::Differs => Ok(()),
            End::Eof => f.write_str(", then the end of the stream"),
            End::Timeout => f.write_str(", and nothing more in time"),
            End::Error(e) => write!(f, ", then {e}"),
        }
    }
}

/// Bytes as a person reads them: `"BONJOUR\n"`, or their length when long.
pub fn show(data: &[u8]) -> String {
    if data.len() > 80 {
        format!("{} bytes", data.len())
    } else {
        strace_bytes(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(syscall: &str, args: Value) -> String {
        Ev(serde_json::json!({ "syscall": syscall, "args": args, "ret": 0 })).strace()
    }

    /// Arguments come in strace's order, whatever the record's (alphabetical) order.
    #[test]
    fn arguments_in_strace_order() {
        let accept4 = quoted(
            "accept4",
            serde_json::json!({"fd": 3, "flags": "SOCK_NONBLOCK", "addr": "NULL", "addrlen": "NULL"}),
        );
        assert!(
            accept4.starts_with("accept4(3, NULL, NULL, SOCK_NONBLOCK)"),
            "{accept4}"
        );
        let wait = quoted(
            "rt_sigtimedwait",
            serde_json::json!({"set": "[CHLD]", "info": "{...}", "timeout": "NULL", "sigsetsize": 8}),
        );
        assert!(
            wait.starts_with("rt_sigtimedwait([CHLD], {...}, NULL, 8)"),
            "{wait}"
        );
    }
}
