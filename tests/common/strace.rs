//! Traces of the real binary, read back: run `scripts/strace.sh`, parse strace's output, keep
//! the socket story, normalise what changes from run to run, and compare with a committed file.
//!
//! strace is needed: when it is missing, or when ptrace is not allowed (a container without
//! CAP_SYS_PTRACE), [`run_script`] gives nothing and the test skips, saying so in one line
//! (or fails, under `SOCKSTEP_REQUIRE_TOOLS=1`: see [`super::tools`]). It never skips silently.
//!
//! What the normalisation changes, and why:
//! - pids become `<pid 1>`, `<pid 2>`... in order of appearance (the kernel picks them);
//! - ports other than 0 become `PORT` (the first one seen: the server's) and `CLIENT_PORT`,
//!   `CLIENT_PORT_2`... (the kernel picks them: the server binds port 0, clients get ephemeral
//!   ports);
//! - pointers (`0x7ffd...`) become `0xADDR` (address-space randomisation);
//! - strace's column padding before ` = ` is removed;
//! - a readiness wait followed by another wait with nothing done in between (a wakeup with
//!   nothing to do: how many of those happen depends on timing) is left out.
//!
//! File descriptors are kept as the kernel numbered them: `strace.sh` closes every inherited
//! descriptor before starting the server, so its first socket is 3 and its first connection 4,
//! as in a student's terminal, and "the lowest free descriptor" is part of the lesson.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::BIN;

/// Where the repository is (scripts, expected files, the book).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The two traces of one `scripts/strace.sh` run.
pub struct Traces {
    /// `strace -f` of the server.
    pub server: String,
    /// `strace` of the client.
    pub client: String,
}

/// Runs `scripts/strace.sh ARGS` on the binary under test and returns both traces; `None`
/// when strace cannot be used here (the test has printed its skip line: return at once);
/// panics with the script's explanation when the dialogue fails.
pub fn run_script(args: &[&str]) -> Option<Traces> {
    if !super::tools::have(&[super::tools::Tool::Strace]) {
        return None;
    }
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sockstep-strace-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    let out = dir.join("server.strace");
    let output = Command::new(root().join("scripts/strace.sh"))
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .env("SOCKSTEP", BIN)
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run scripts/strace.sh (bash)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "scripts/strace.sh {args:?} failed ({}), although strace can trace here. Its \
         output:\n{stderr}",
        output.status
    );
    let read = |path: &Path| {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    };
    let traces = Traces {
        server: read(&out),
        client: read(&dir.join("server.strace.client")),
    };
    let _ = std::fs::remove_dir_all(&dir);
    Some(traces)
}

/// One line of strace, put back together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A system call: `name(args) = ret`. `ret` is `None` when it never returned (the process
    /// ended while it waited, or it is `exit_group`).
    Call {
        pid: u32,
        name: String,
        args: String,
        ret: Option<String>,
    },
    /// `--- SIGCHLD {...} ---`
    Signal { pid: u32, name: String },
    /// `+++ exited with 0 +++`
    Exit { pid: u32, how: String },
}

impl Event {
    pub fn pid(&self) -> u32 {
        match self {
            Event::Call { pid, .. } | Event::Signal { pid, .. } | Event::Exit { pid, .. } => *pid,
        }
    }
}

/// Parses a whole strace output (`-f` or not; without `-f` every event gets pid 0). A call cut
/// by another process's event (`<unfinished ...>`, later `<... accept resumed>`) is joined and
/// placed where it returned.
pub fn parse(trace: &str) -> Vec<Event> {
    let mut events = Vec::new();
    let mut pending: HashMap<u32, String> = HashMap::new();
    for line in trace.lines() {
        let (pid, rest) = split_pid(line);
        let rest = skip_timestamp(rest);
        if let Some(signal) = rest.strip_prefix("--- ") {
            let name = signal.split_whitespace().next().unwrap_or("").to_string();
            events.push(Event::Signal { pid, name });
        } else if let Some(how) = rest.strip_prefix("+++ ") {
            // A call still pending when the process ends never returned.
            if let Some(start) = pending.remove(&pid) {
                events.push(call(pid, &start, None));
            }
            let how = how.trim_end_matches(" +++").to_string();
            events.push(Event::Exit { pid, how });
        } else if let Some(start) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid, start.to_string());
        } else if let Some(resumed) = rest.strip_prefix("<... ") {
            let (_, tail) = resumed
                .split_once(" resumed>")
                .unwrap_or_else(|| panic!("odd strace line {line:?}"));
            let start = pending
                .remove(&pid)
                .unwrap_or_else(|| panic!("resumed without a start: {line:?}"));
            events.push(split_call(pid, &format!("{start}{tail}")));
        } else if !rest.is_empty() {
            events.push(split_call(pid, rest));
        }
    }
    for (pid, start) in pending {
        events.push(call(pid, &start, None));
    }
    events
}

fn split_pid(line: &str) -> (u32, &str) {
    let rest = line.strip_prefix("[pid ").unwrap_or(line);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && rest[digits..].starts_with([' ', ']']) {
        let pid = rest[..digits].parse().unwrap();
        (pid, rest[digits..].trim_start_matches(']').trim_start())
    } else {
        (0, line)
    }
}

/// `-tt` puts `12:34:56.789012 ` before each event.
fn skip_timestamp(rest: &str) -> &str {
    let is_time = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    };
    match rest.split_once(' ') {
        Some((first, after)) if is_time(first) && first.contains(['.', ':']) => after,
        _ => rest,
    }
}

fn call(pid: u32, start: &str, ret: Option<String>) -> Event {
    let (name, args) = start.split_once('(').unwrap_or((start, ""));
    Event::Call {
        pid,
        name: name.to_string(),
        args: args.trim_end().to_string(),
        ret,
    }
}

/// `name(args)   = ret` → its parts; the arguments end at the parenthesis that closes the
/// first one, outside strings.
fn split_call(pid: u32, text: &str) -> Event {
    let open = text
        .find('(')
        .unwrap_or_else(|| panic!("not a call: {text:?}"));
    let bytes = text.as_bytes();
    let (mut depth, mut in_string, mut i) = (0i32, false, open);
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') => in_string = false,
            (false, b'"') => in_string = true,
            (false, b'(' | b'[' | b'{') => depth += 1,
            (false, b')' | b']' | b'}') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let args = text[open + 1..i.min(text.len())].to_string();
    let after = text.get(i + 1..).unwrap_or("").trim();
    let ret = after
        .strip_prefix("= ")
        .map(str::to_string)
        .filter(|r| r != "?");
    Event::Call {
        pid,
        name: text[..open].to_string(),
        args,
        ret,
    }
}

/// The network calls (strace's `%network` class, as far as sockstep uses it): every one is
/// about a socket.
pub const NETWORK: &[&str] = &[
    "socket",
    "bind",
    "listen",
    "accept",
    "accept4",
    "connect",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "shutdown",
];
/// Calls that make a descriptor this story follows.
const MAKE_FD: &[&str] = &[
    "socket",
    "accept",
    "accept4",
    "epoll_create",
    "epoll_create1",
];
/// Calls that are about a descriptor, kept when it is one of the story's.
pub const ON_FD: &[&str] = &["read", "write", "readv", "writev", "close"];
/// Readiness calls: kept once the story has begun.
pub const READINESS: &[&str] = &[
    "epoll_create",
    "epoll_create1",
    "select",
    "pselect6",
    "poll",
    "ppoll",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
];
/// Process calls: a new process or thread. (Not wait4: how many times a parent finds no child
/// to collect yet depends on the scheduler.)
const PROCESS: &[&str] = &["clone", "clone3", "fork", "vfork"];

/// Keeps the socket story of a trace: the network calls, read/write/close on the descriptors
/// that socket(), accept() or epoll_create() returned, the readiness calls, the creation of
/// processes and threads, and how each process ended. The program's start-up (before the first
/// network call), writes to the terminal (fds 0, 1, 2, and the narration on 2), signals and
/// waits for children are left out.
///
/// Descriptors are followed per descriptor table: a thread shares its creator's (CLONE_FILES),
/// a forked child starts with a copy.
pub fn story(events: &[Event]) -> Vec<Event> {
    drop_idle_wakeups(story_with_every_wait(events))
}

/// [`story`] with every readiness wait kept, the idle wakeups too: for comparing one run's
/// trace with the same run's own record (`--events`), where timing changes nothing.
pub fn story_with_every_wait(events: &[Event]) -> Vec<Event> {
    // Which table each pid uses, and the tables.
    let mut table_of: HashMap<u32, usize> = HashMap::new();
    let mut tables: Vec<HashSet<String>> = Vec::new();
    // Each child's creator, and whether it shares its table (CLONE_FILES), from the whole
    // trace: a child can make calls before its creator's clone() returns in the trace
    // (`clone(... <unfinished ...>`), and those must be read with the right descriptors.
    let mut parent_of: HashMap<u32, (u32, bool)> = HashMap::new();
    for event in events {
        if let Event::Call {
            pid,
            name,
            args,
            ret,
        } = event
            && matches!(name.as_str(), "clone" | "clone3" | "fork" | "vfork")
            && let Some(child) = ret.as_deref().and_then(|r| r.parse::<u32>().ok())
        {
            parent_of.insert(child, (*pid, args.contains("CLONE_FILES")));
        }
    }
    let mut started = false;
    let mut kept = Vec::new();
    for event in events {
        let pid = event.pid();
        if !table_of.contains_key(&pid) {
            // A child's table is its creator's (a thread), or a copy of it as it is while the
            // creator is in clone() (a process); the first process starts with an empty one.
            let table = match parent_of
                .get(&pid)
                .and_then(|(p, shares)| table_of.get(p).map(|&t| (t, *shares)))
            {
                Some((parent_table, true)) => parent_table,
                Some((parent_table, false)) => {
                    tables.push(tables[parent_table].clone());
                    tables.len() - 1
                }
                None => {
                    tables.push(HashSet::new());
                    tables.len() - 1
                }
            };
            table_of.insert(pid, table);
        }
        let table = table_of[&pid];
        let Event::Call {
            name, args, ret, ..
        } = event
        else {
            if started && matches!(event, Event::Exit { .. }) {
                kept.push(event.clone());
            }
            continue;
        };
        let first_arg = args.split(',').next().unwrap_or("").trim().to_string();
        let is_network = NETWORK.contains(&name.as_str());
        started |= is_network;
        if !started {
            continue;
        }
        let keep = is_network
            || READINESS.contains(&name.as_str())
            || PROCESS.contains(&name.as_str())
            || (ON_FD.contains(&name.as_str()) && tables[table].contains(&first_arg));
        if !keep {
            continue;
        }
        if MAKE_FD.contains(&name.as_str())
            && let Some(fd) = ret.as_deref().filter(|r| !r.starts_with('-'))
        {
            tables[table].insert(fd.to_string());
        }
        if name == "close" {
            tables[table].remove(&first_arg);
        }
        // A child that has made no call yet gets its table now, as it was at the clone().
        if let Some(child) = ret.as_deref().and_then(|r| r.parse::<u32>().ok())
            && parent_of.get(&child).is_some_and(|&(p, _)| p == pid)
            && !table_of.contains_key(&child)
        {
            let shares = parent_of[&child].1;
            let child_table = if shares {
                table
            } else {
                tables.push(tables[table].clone());
                tables.len() - 1
            };
            table_of.insert(child, child_table);
        }
        kept.push(event.clone());
    }
    kept
}

/// Drops a readiness wait (select, poll, epoll_wait) that the same thread follows with another
/// wait, doing nothing in between: a wakeup with nothing to do. How many of those happen
/// depends on timing (an edge-triggered socket reports "writable" at once, and "readable" too
/// if the client's bytes have already arrived, or in a second wakeup if not), not on the model.
fn drop_idle_wakeups(events: Vec<Event>) -> Vec<Event> {
    let is_wait = |e: &Event| {
        matches!(e, Event::Call { name, .. }
            if READINESS.contains(&name.as_str()) && !name.starts_with("epoll_c"))
    };
    let mut kept: Vec<Event> = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let next_in_thread = events[i + 1..].iter().find(|e| e.pid() == event.pid());
        if is_wait(event) && next_in_thread.is_some_and(is_wait) {
            continue;
        }
        kept.push(event.clone());
    }
    kept
}

/// The events of a trace, one per line, normalised (see the module's doc), grouped by process
/// or thread in order of appearance: a block `[pid 1]`, then `[pid 2]`... when there is more
/// than one, so that what each process did reads in its own order, whatever the interleaving.
pub fn render(events: &[Event]) -> String {
    let mut pids: Vec<u32> = Vec::new();
    for event in events {
        if !pids.contains(&event.pid()) {
            pids.push(event.pid());
        }
    }
    let mut text = String::new();
    for &pid in &pids {
        if pids.len() > 1 {
            text.push_str(&format!("[{}]\n", pid_label(&pids, pid)));
        }
        for event in events.iter().filter(|e| e.pid() == pid) {
            text.push_str(&line(event));
            text.push('\n');
        }
    }
    normalise(&text, &pids)
}

fn pid_label(pids: &[u32], pid: u32) -> String {
    format!("pid {}", pids.iter().position(|&p| p == pid).unwrap() + 1)
}

/// One event as strace prints it, without pid and padding.
pub fn line(event: &Event) -> String {
    match event {
        Event::Call {
            name, args, ret, ..
        } => match ret {
            Some(ret) => format!("{name}({args}) = {ret}"),
            None => format!("{name}({args}) = ?"),
        },
        Event::Signal { name, .. } => format!("--- {name} ---"),
        Event::Exit { how, .. } => format!("+++ {how} +++"),
    }
}

/// Replaces pids, ports and pointers (see the module's doc).
pub fn normalise(text: &str, pids: &[u32]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut ports: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let len = from
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(from.len());
        let token = &from[..len];
        let prev = out.chars().last();
        let word_start = !prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if token.starts_with("0x") && word_start {
            out.push_str("0xADDR");
        } else if out.ends_with("htons(") && token != "0" {
            let index = ports.iter().position(|p| p == token).unwrap_or_else(|| {
                ports.push(token.to_string());
                ports.len() - 1
            });
            out.push_str(&match index {
                0 => "PORT".to_string(),
                1 => "CLIENT_PORT".to_string(),
                n => format!("CLIENT_PORT_{n}"),
            });
        } else if word_start
            && let Some(pid) = token
                .parse::<u32>()
                .ok()
                .filter(|p| *p > 0 && pids.contains(p))
        {
            out.push_str(&format!("<{}>", pid_label(pids, pid)));
        } else {
            out.push_str(token);
        }
        rest = &from[len..];
    }
    out.push_str(rest);
    out
}

/// The normalised socket story of a trace, ready to compare with a committed file.
pub fn socket_story(trace: &str) -> String {
    render(&story(&parse(trace)))
}

/// Compares `actual` with the committed file `path` (relative to the repository), showing the
/// difference with pretty_assertions. With `SOCKSTEP_BLESS=1` (what `scripts/gen-docs.sh`
/// sets) it writes `actual` to the file instead: review the change with `git diff`.
pub fn check_or_bless(path: &str, actual: &str) {
    let file = root().join(path);
    if std::env::var_os("SOCKSTEP_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, actual).unwrap_or_else(|e| panic!("write {path}: {e}"));
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!("read {path}: {e}; create it with scripts/gen-docs.sh (SOCKSTEP_BLESS=1)")
    });
    pretty_assertions::assert_eq!(
        expected,
        actual,
        "{path} no longer matches what the program does; if the change is intended, \
         regenerate with scripts/gen-docs.sh and review the diff"
    );
}

/// The text of a string argument as strace printed it (`"a\n\303\251"`), decoded to bytes.
pub fn unquote(quoted: &str) -> Vec<u8> {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix("...").unwrap_or(q).strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a strace string: {quoted:?}"));
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'r') => bytes.push(b'\r'),
            Some(b'f') => bytes.push(0x0c),
            Some(b'v') => bytes.push(0x0b),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            chars.next();
                        }
                        _ => break,
                    }
                }
                bytes.push(value as u8);
            }
            Some(other) => bytes.push(other),
            None => panic!("a string ending in a backslash: {quoted:?}"),
        }
    }
    bytes
}

/// A line as strace's default `-s 32` would print it: every string argument cut after its
/// first 32 bytes, with `...` after the quote when there were more. Used to compare a trace
/// taken with a large `-s` (to read whole narration lines) with the narration, which prints
/// buffers as strace does by default.
pub fn cut_strings(line: &str, shown: usize) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '"' {
            continue;
        }
        // Inside a string: copy escape units until `shown` bytes, skip the rest.
        let mut count = 0;
        let mut cut = false;
        let mut last_octal_at = None;
        while let Some((_, c)) = chars.next() {
            if c == '"' {
                break;
            }
            let mut unit = String::from(c);
            if c == '\\' {
                let (_, next) = chars.next().expect("escape");
                unit.push(next);
                if next.is_digit(8) {
                    while unit.len() < 4 && chars.peek().is_some_and(|(_, d)| d.is_digit(8)) {
                        unit.push(chars.next().unwrap().1);
                    }
                }
            }
            if count == shown {
                cut = true;
                continue;
            }
            last_octal_at =
                (unit.len() > 1 && unit.as_bytes()[1].is_ascii_digit()).then_some(out.len());
            out.push_str(&unit);
            // strace escapes every byte that is not printable ASCII: one unit, one byte.
            count += 1;
        }
        if cut {
            // strace writes `\0` rather than `\000` when no digit is shown after it.
            if let Some(at) = last_octal_at {
                let value = unquote(&format!("\"{}\"", &out[at..]))[0];
                out.truncate(at);
                out.push_str(&format!("\\{value:o}"));
            }
            out.push_str("\"...");
        } else {
            out.push('"');
        }
    }
    out
}

/// Compares `actual` with the generated block `NAME` of the committed Markdown page `page`
/// (relative to the repository): the text between the lines `<!-- generated: NAME -->` and
/// `<!-- end generated: NAME -->`. With `SOCKSTEP_BLESS=1` it rewrites the block instead. The
/// page's prose around the block is written by hand; only the block comes from the program.
pub fn check_or_bless_block(page: &str, name: &str, actual: &str) {
    let file = root().join(page);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {page}: {e}"));
    let begin = format!("<!-- generated: {name} -->\n");
    let end = format!("<!-- end generated: {name} -->");
    let (before, rest) = text
        .split_once(&begin)
        .unwrap_or_else(|| panic!("no {begin:?} in {page}"));
    let (committed, after) = rest
        .split_once(&end)
        .unwrap_or_else(|| panic!("no {end:?} in {page}"));
    if std::env::var_os("SOCKSTEP_BLESS").is_some() {
        let updated = format!("{before}{begin}{actual}{end}{after}");
        std::fs::write(&file, updated).unwrap_or_else(|e| panic!("write {page}: {e}"));
        return;
    }
    pretty_assertions::assert_eq!(
        committed,
        actual,
        "the block {name:?} of {page} no longer matches what the program does; if the change \
         is intended, regenerate with scripts/gen-docs.sh and review the diff"
    );
}

/// A trace as the book shows it: a `text` code block.
pub fn text_block(body: &str) -> String {
    format!("```text\n{body}```\n")
}

/// The TCP story's `socket()` and `connect()` lines of a plain `strace` of the client (no
/// `-f`, no pids), whitespace squeezed, leaving out the calls getaddrinfo makes for a name.
///
/// The rule, and why it holds: getaddrinfo is glibc code in the client's process, so strace
/// shows its system calls among the client's. Measured with `--host localhost`: it tries the
/// nscd cache over an AF_UNIX socket (`socket(AF_UNIX, ...)`, `connect(..., {sa_family=AF_UNIX,
/// sun_path="/var/run/nscd/socket"}, ...)`), opens its configuration and /etc/hosts, and for a
/// name not found there would ask DNS over UDP (`SOCK_DGRAM`, port 53). The client's own
/// sockets are TCP: AF_INET or AF_INET6 and SOCK_STREAM. So a `socket()` is the story's when
/// it is AF_INET* and SOCK_STREAM, and a `connect()` when it names an AF_INET* address on a
/// descriptor such a `socket()` returned.
pub fn tcp_story_lines(trace: &str) -> Vec<String> {
    let squeeze = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut tcp_fds = HashSet::new();
    let mut lines = Vec::new();
    for line in trace.lines() {
        if line.starts_with("socket(AF_INET") && line.contains("SOCK_STREAM") {
            if let Some(fd) = line
                .rsplit(" = ")
                .next()
                .and_then(|r| r.trim().parse::<i32>().ok())
            {
                tcp_fds.insert(fd);
            }
            lines.push(squeeze(line));
        } else if let Some(rest) = line.strip_prefix("connect(") {
            let fd = rest.split(',').next().and_then(|fd| fd.parse::<i32>().ok());
            if fd.is_some_and(|fd| tcp_fds.contains(&fd)) && rest.contains("sa_family=AF_INET") {
                lines.push(squeeze(line));
            }
        } else if let Some(rest) = line.strip_prefix("close(") {
            // A closed descriptor's number may come back for another kind of socket.
            if let Some(fd) = rest.split(')').next().and_then(|fd| fd.parse::<i32>().ok()) {
                tcp_fds.remove(&fd);
            }
        }
    }
    lines
}
