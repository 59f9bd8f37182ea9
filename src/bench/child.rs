//! The server under test, as a child process: started from this very binary on a free loopback
//! port, watched through `/proc`, counted by `perf` or `strace`, and stopped.
//!
//! What `/proc` gives, and how it is read:
//! - CPU time: the first field of `/proc/PID/task/TID/schedstat`, the time each thread has
//!   run, in nanoseconds, summed over every thread of the server and of every process below
//!   it (a forked child is a process of its own). Nanoseconds, because /proc/PID/stat's
//!   utime and stime are clock ticks (10 ms) per process: a hundred forked children that each
//!   ran 5 ms would all read 0. A thread that has exited is no longer there to be read, but
//!   none exits during a run (every connection stays open until the counters are read); a
//!   child process that exited and was collected with `waitpid()` is in its parent's cutime
//!   and cstime (field 16 and 17 of `/proc/PID/stat`), which are added, in ticks.
//! - Peak memory: `VmHWM` ("high water mark", the peak resident set) of each process, summed
//!   over the tree. For the fork model the sum overstates: the children share the parent's
//!   pages copy-on-write, and each counts them.
//! - Processes and threads: the processes of the tree, and the `Threads` line of each.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

use crate::Error;
use crate::bench::words::Bench;
use crate::server::Model;
use crate::service::Service;

/// How long a server may take to print its `listening on` line.
const START_LIMIT: Duration = Duration::from_secs(10);
/// How long a server may take to exit after SIGTERM, before SIGKILL.
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// A running server under test. Dropping it kills it.
pub struct ServerChild {
    child: Child,
    pub addr: SocketAddr,
}

/// What to start.
pub struct Launch<'a> {
    pub exe: &'a Path,
    pub model: Model,
    pub service: Service,
    pub backlog: i32,
    /// Where the server's stderr goes.
    pub log: &'a Path,
    /// The CPU to pin the server to.
    pub cpu: Option<usize>,
    /// `--max-clients` for the models that cap their clients (fork, threads).
    pub max_clients: usize,
    /// `--nagle`: leave Nagle's algorithm on for the server's connections.
    pub nagle: bool,
    /// `--buf`: bytes the server asks of each `recv()`.
    pub buf: usize,
}

impl ServerChild {
    /// Starts `sockstep server` on 127.0.0.1, port 0, and waits for its `listening on` line.
    pub fn start(launch: &Launch<'_>) -> Result<ServerChild, Error> {
        let model = launch.model.to_string();
        let failed = |why: &str| {
            Error::Problem(
                Bench::ServerDidNotStart {
                    model: &model,
                    why,
                    log: launch.log,
                }
                .to_string(),
            )
        };
        let log = File::options()
            .create(true)
            .append(true)
            .open(launch.log)
            .map_err(|e| failed(&e.to_string()))?;
        let mut command = Command::new(launch.exe);
        command
            .args(["server", "--model", &model, "--bind", "127.0.0.1"])
            .args(["--backlog", &launch.backlog.to_string(), "--log", "quiet"])
            .arg("--lang=en");
        if matches!(launch.model, Model::Fork | Model::Threads) {
            command.args(["--max-clients", &launch.max_clients.to_string()]);
        }
        if launch.nagle {
            command.arg("--nagle");
        }
        command.args(["--buf", &launch.buf.to_string()]);
        // The parrot is the server's one listener on --port; the other services need --listen.
        match launch.service {
            Service::Upper => command.args(["--port", "0"]),
            other => command.args(["--listen", &format!("{}:0", other.name())]),
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| failed(&e.to_string()))?;
        if let Some(cpu) = launch.cpu {
            // The server has one thread until its first client: pinning that thread pins
            // every thread and process it will create, which inherit its CPU set.
            if let Err(errno) = super::machine::pin(child.id() as i32, cpu) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(&format!("sched_setaffinity: {errno}")));
            }
        }
        let Some(stdout) = child.stdout.take() else {
            return Err(failed("no stdout"));
        };
        let (tx, rx) = mpsc::channel();
        // Reads the server's stdout to its end, so that the server never blocks on a full
        // pipe, and passes on the first `listening on` line.
        thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        });
        let mut server = ServerChild {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        match rx.recv_timeout(START_LIMIT) {
            Ok(addr) => match addr.parse() {
                Ok(addr) => server.addr = addr,
                Err(_) => return Err(failed(&format!("listening on {addr:?}"))),
            },
            Err(_) => {
                // Stdout closed (the server exited) or the time is up: its log says why.
                let last = last_line(launch.log);
                return Err(failed(&last));
            }
        }
        Ok(server)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGTERM, as a user's `kill` would; SIGKILL if the server has not exited in time.
    pub fn stop(mut self) {
        let pid = Pid::from_raw(self.pid());
        let _ = signal::kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + STOP_LIMIT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(5)); // polling an exit
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last non-empty line of a file, or a word saying there is none.
fn last_line(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no listening line")
        .to_string()
}

/// What `/proc` says about a server and its processes at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Time the tree's threads have run, collected children included, in nanoseconds.
    pub cpu_ns: u64,
    /// Sum of the processes' peak resident sets, in KiB.
    pub peak_rss_kib: u64,
    pub procs: usize,
    pub threads: usize,
}

/// Reads the usage of `root` and of every process below it.
pub fn usage(root: i32) -> Usage {
    let mut total = Usage::default();
    for pid in process_tree(root) {
        let Some(fields) = stat_fields(pid) else {
            continue; // exited in between: its time is now in its parent's cutime
        };
        // After the command name: state is field 3, cutime 16, cstime 17.
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok());
        let collected = [16, 17].iter().filter_map(|&n| field(n)).sum::<u64>();
        total.cpu_ns += collected * 1_000_000_000 / ticks_per_second();
        total.cpu_ns += threads_run_ns(pid);
        total.peak_rss_kib += status_field(pid, "VmHWM").unwrap_or(0);
        total.threads += status_field(pid, "Threads").unwrap_or(0) as usize;
        total.procs += 1;
    }
    total
}

/// The time every live thread of process `pid` has run, in nanoseconds.
fn threads_run_ns(pid: i32) -> u64 {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Clock ticks per second, the unit of /proc/PID/stat's CPU times.
fn ticks_per_second() -> u64 {
    // SAFETY: sysconf() only reads a value of the system; it touches no memory of ours.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

/// The fields of /proc/PID/stat after the command name (which may itself hold spaces and
/// parentheses, hence the search for the last `)`).
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// The first number of a line of /proc/PID/status, such as `VmHWM:  1234 kB`.
fn status_field(pid: i32, name: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// `root` and every process below it, from the parent pids in /proc.
fn process_tree(root: i32) -> Vec<i32> {
    let mut parents = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse::<i32>().ok()) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|&&(_, p)| p == parent)
                .map(|&(c, _)| c),
        );
        i += 1;
    }
    tree
}

/// How system calls are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Syscalls {
    /// perf if it works here, else strace, else not at all.
    Auto,
    /// `perf stat -e raw_syscalls:sys_enter`: a counter in the kernel, cheap.
    Perf,
    /// `strace -c -f`: stops the server at every call, slows it down a lot.
    Strace,
    /// Do not count.
    Off,
}

/// A tool that works on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Perf,
    Strace,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Perf => "perf stat -e raw_syscalls:sys_enter",
            Tool::Strace => "strace -c -f",
        }
    }
}

/// Picks the tool: the one asked for if it runs here, else (auto) the first that does. Err
/// says why none does.
pub fn pick_tool(wanted: Syscalls) -> Result<Option<Tool>, String> {
    let works = |tool: Tool| -> Result<(), String> {
        let mut command = match tool {
            Tool::Perf => {
                let mut c = Command::new("perf");
                c.args(["stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"]);
                c
            }
            Tool::Strace => {
                let mut c = Command::new("strace");
                c.args(["-c", "-o", "/dev/null", "true"]);
                c
            }
        };
        let out = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{}: {e}", tool.name()))?;
        if out.status.success() {
            Ok(())
        } else {
            let why = String::from_utf8_lossy(&out.stderr);
            let why = why.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            Err(format!("{}: {}", tool.name(), why.trim()))
        }
    };
    match wanted {
        Syscalls::Off => Ok(None),
        Syscalls::Perf => works(Tool::Perf).map(|()| Some(Tool::Perf)),
        Syscalls::Strace => works(Tool::Strace).map(|()| Some(Tool::Strace)),
        Syscalls::Auto => match works(Tool::Perf) {
            Ok(()) => Ok(Some(Tool::Perf)),
            Err(perf) => match works(Tool::Strace) {
                Ok(()) => Ok(Some(Tool::Strace)),
                Err(strace) => Err(format!("{perf}; {strace}")),
            },
        },
    }
}

/// A syscall counter attached to a running server.
pub struct Counter {
    tool: Tool,
    child: Child,
    receiver: mpsc::Receiver<String>,
    /// What the tool has printed so far.
    lines: Vec<String>,
}

/// How long the counter may take to attach or to report.
const COUNTER_LIMIT: Duration = Duration::from_secs(5);

impl Counter {
    /// Attaches `tool` to process `pid` (its threads, and the threads and processes it will
    /// create), and waits until it is counting. None if it could not attach in time.
    pub fn attach(tool: Tool, pid: i32) -> Option<Counter> {
        let pid = pid.to_string();
        let mut command = match tool {
            // -I 100: a line every 100 ms; the first one says the counter is attached. perf
            // reads a process's counter with the counters its children inherited added in.
            Tool::Perf => {
                let mut c = Command::new("perf");
                c.args(["stat", "-x,", "-I", "100", "-e", "raw_syscalls:sys_enter"])
                    .args(["-p", &pid]);
                c
            }
            // strace says `Process N attached` once it is, and prints its table on SIGINT.
            Tool::Strace => {
                let mut c = Command::new("strace");
                c.args(["-c", "-f", "-p", &pid]);
                c
            }
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let stderr = child.stderr.take()?;
        let (tx, receiver) = mpsc::channel();
        // Both tools report on stderr; each line goes to the bench as it comes.
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut counter = Counter {
            tool,
            child,
            receiver,
            lines: Vec::new(),
        };
        let deadline = Instant::now() + COUNTER_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = counter.receiver.recv_timeout(left) else {
                counter.kill();
                return None;
            };
            let attached = match tool {
                Tool::Perf => perf_count(&line).is_some(),
                Tool::Strace => line.contains("attached"),
            };
            counter.lines.push(line);
            if attached {
                return Some(counter);
            }
        }
    }

    /// Stops counting (SIGINT, as Ctrl-C would) and returns the number of system calls made
    /// since the counter attached; None if the tool's report did not come.
    pub fn finish(mut self) -> Option<u64> {
        let _ = signal::kill(Pid::from_raw(self.child.id() as i32), Signal::SIGINT);
        let deadline = Instant::now() + COUNTER_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(line) => self.lines.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.kill();
                    return None;
                }
            }
        }
        let _ = self.child.wait();
        match self.tool {
            // -I prints each interval's count: the total is their sum.
            Tool::Perf => Some(self.lines.iter().filter_map(|l| perf_count(l)).sum()),
            Tool::Strace => self.lines.iter().find_map(|l| strace_total(l)),
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The count on one of perf's interval lines, in CSV (`-x,`):
/// `     0.100091622,1234,,raw_syscalls:sys_enter,...`. `<not counted>` (the process did not
/// run during the interval) is 0.
fn perf_count(line: &str) -> Option<u64> {
    let fields: Vec<&str> = line.split(',').collect();
    if fields.get(3).map(|f| f.trim()) != Some("raw_syscalls:sys_enter") {
        return None;
    }
    let count = fields.get(1)?.trim();
    if count.starts_with('<') {
        Some(0)
    } else {
        count.parse().ok()
    }
}

/// The calls column of the `total` line of strace's `-c` table:
/// `100.00    0.001234           1      1234        12 total` (the errors column may be
/// empty, so the calls are counted from the left).
fn strace_total(line: &str) -> Option<u64> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.last() != Some(&"total") {
        return None;
    }
    fields.get(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn perf_interval_lines_are_read() {
        assert_eq!(
            perf_count("     0.100091622,1234,,raw_syscalls:sys_enter,204409,100.00,,"),
            Some(1234)
        );
        assert_eq!(
            perf_count("     0.1,<not counted>,,raw_syscalls:sys_enter,0,100.00,,"),
            Some(0)
        );
        assert_eq!(perf_count("# started on Sat Nov 21"), None);
    }

    #[test]
    fn strace_total_line_is_read() {
        assert_eq!(
            strace_total("100.00    0.001234           1      1234        12 total"),
            Some(1234)
        );
        assert_eq!(
            strace_total("100.00    0.001234           1      1234           total"),
            Some(1234)
        );
        assert_eq!(strace_total(" 50.00  0.000617  1  617  recvfrom"), None);
    }

    #[test]
    fn this_process_has_a_usage() {
        let me = usage(std::process::id() as i32);
        assert!(me.procs >= 1);
        assert!(me.threads >= 1);
        assert!(me.peak_rss_kib > 0);
    }
}
