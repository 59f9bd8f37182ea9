//! One system call as it happened, built once: the value that the narration line and the
//! event record are both rendered from, so that they cannot disagree.
//!
//! A wrapper of [`crate::sys`] describes its call's arguments as a list of [`Arg`]s, each with
//! strace's rendering (for the narration and `--step`), a structured value (for the record) and
//! the short form an error message names. After the call it says what the call did in a
//! [`Told`]. The helper `sys::call` puts both into one [`Call`], and hands it to
//! [`super::happened`].

use std::cell::Cell;
use std::fs::File;
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, RawFd};
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Log, strace_bytes};
use crate::layers;
use crate::sys::SysError;
use crate::text::{Lang, Msg, Note, TcpState};

/// One argument of a call: its name, how strace prints it, its value for the record, and what
/// an error message says of it (nothing, for most).
#[derive(Clone, Debug)]
pub struct Arg {
    /// The argument's name in the man page: `sockfd`, `addr`, `backlog`...
    pub name: &'static str,
    /// How strace prints it: `{sa_family=AF_INET, sin_port=htons(6789), ...}`.
    pub shown: String,
    /// Its value in the record: `{"ip": "0.0.0.0", "port": 6789}`.
    pub value: Value,
    /// What an error message says of it: `0.0.0.0:6789`; `None` to leave it out.
    pub blamed: Option<String>,
}

impl Arg {
    /// An argument strace prints as it is, and the record keeps as a string (a flag, a
    /// constant's name, a structure only strace's notation describes well).
    pub fn shown(name: &'static str, shown: impl Into<String>) -> Arg {
        let shown = shown.into();
        Arg {
            name,
            value: Value::String(shown.clone()),
            shown,
            blamed: None,
        }
    }

    /// A number: a descriptor, a length, a backlog.
    pub fn int(name: &'static str, n: impl Into<i64>) -> Arg {
        let n = n.into();
        Arg {
            name,
            shown: n.to_string(),
            value: json!(n),
            blamed: None,
        }
    }

    /// The descriptor the call acts on (the record's `fd`); named in errors.
    pub fn fd(fd: RawFd) -> Arg {
        Arg::int("fd", fd).blamed()
    }

    /// A socket address: strace's `{sa_family=AF_INET, ...}`, the record's `{ip, port}`; an
    /// error names it `IP:PORT`.
    pub fn addr(name: &'static str, addr: &SocketAddr) -> Arg {
        Arg {
            name,
            shown: super::strace_sockaddr(addr),
            value: json!({ "ip": addr.ip().to_string(), "port": addr.port() }),
            blamed: Some(addr.to_string()),
        }
    }

    /// A buffer of bytes: strace's quoted string; the record keeps its length here (the bytes
    /// themselves go in the record's `bytes`).
    pub fn bytes(name: &'static str, data: &[u8]) -> Arg {
        Arg {
            name,
            shown: strace_bytes(data),
            value: json!(data.len()),
            blamed: None,
        }
    }

    /// Named in errors as strace prints it.
    pub fn blamed(mut self) -> Arg {
        self.blamed = Some(self.shown.clone());
        self
    }

    /// Named in errors as `short`.
    pub fn blamed_as(mut self, short: impl Into<String>) -> Arg {
        self.blamed = Some(short.into());
        self
    }
}

/// strace's rendering of a list of arguments: `3, {sa_family=...}, 16`.
pub fn shown(args: &[Arg]) -> String {
    let parts: Vec<&str> = args.iter().map(|arg| arg.shown.as_str()).collect();
    parts.join(", ")
}

/// What an error message says of the arguments: `0.0.0.0:6789`.
pub fn blamed(args: &[Arg]) -> String {
    let parts: Vec<&str> = args
        .iter()
        .filter_map(|arg| arg.blamed.as_deref())
        .collect();
    parts.join(", ")
}

/// What a call did, as its wrapper tells it once it has returned successfully.
pub struct Told {
    /// The return value; `None` for a call that never returns (`_exit`).
    pub ret: Option<i64>,
    /// How strace prints the return value when it says more than the number: `1 (in [5])`.
    pub shown: Option<String>,
    /// What happened, in the course's terms.
    pub note: Note,
    /// The bytes the call moved (received or sent).
    pub bytes: Option<Vec<u8>>,
    /// The TCP state the call reported (`getsockopt(TCP_INFO)`).
    pub tcp_state: Option<TcpState>,
    /// `--max-io` cut the buffer: the length the caller asked for (the kernel was given less).
    pub clamped_from: Option<usize>,
}

impl Told {
    /// The call returned `ret`, which strace prints as a number.
    pub fn new(ret: impl Into<i64>, note: Note) -> Told {
        Told {
            ret: Some(ret.into()),
            shown: None,
            note,
            bytes: None,
            tcp_state: None,
            clamped_from: None,
        }
    }

    /// The call never returns (`_exit`): strace prints `= ?`.
    pub fn never(note: Note) -> Told {
        Told {
            ret: None,
            shown: None,
            note,
            bytes: None,
            tcp_state: None,
            clamped_from: None,
        }
    }

    /// strace prints the return value as `shown`.
    pub fn shown(mut self, shown: impl Into<String>) -> Told {
        self.shown = Some(shown.into());
        self
    }

    /// The call moved these bytes.
    pub fn bytes(mut self, data: &[u8]) -> Told {
        self.bytes = Some(data.to_vec());
        self
    }

    /// `--max-io` cut the buffer from this length, if it did.
    pub fn clamped_from(mut self, asked: Option<usize>) -> Told {
        self.clamped_from = asked;
        self
    }

    /// The call reported this TCP state.
    pub fn tcp_state(mut self, state: TcpState) -> Told {
        self.tcp_state = Some(state);
        self
    }
}

/// One system call as it happened.
pub struct Call {
    /// The course's name, the layer table's key: `recv`.
    pub name: &'static str,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// What it did, or the errno it failed with.
    pub outcome: Result<Told, Errno>,
    /// When it was made and when it returned: CLOCK_REALTIME in nanoseconds (the clock tcpdump
    /// stamps packets with), read only when the record is on (0 otherwise).
    pub t_enter: u64,
    pub t_exit: u64,
}

impl Call {
    /// The descriptor the call acts on: its `fd` argument.
    pub fn fd(&self) -> Option<i64> {
        self.args
            .iter()
            .find(|arg| arg.name == "fd")
            .and_then(|arg| arg.value.as_i64())
    }

    /// The return value as strace prints it: `8`, `1 (in [5])`, `-1 EAGAIN (Resource
    /// temporarily unavailable)`, `?`.
    pub fn returned(&self) -> String {
        match &self.outcome {
            Ok(Told {
                shown: Some(shown), ..
            }) => shown.clone(),
            Ok(Told { ret: Some(ret), .. }) => ret.to_string(),
            Ok(Told { ret: None, .. }) => "?".into(),
            Err(errno) => format!(
                "-1 {} ({})",
                super::errno_name(*errno),
                super::strerror(*errno)
            ),
        }
    }

    /// What happened, in the course's terms; a failure's note names the errno.
    pub fn note(&self) -> Note {
        match &self.outcome {
            Ok(told) => told.note,
            Err(errno) => Note::Failed { errno: *errno },
        }
    }
}

// The event record (`--events FILE`): one JSON object per line, appended as it happens.

/// The schema's version, the `v` of every line.
pub const VERSION: u32 = 1;

/// At most this many bytes of the data a call moved are kept in a line (`bytes.hex`); `len` is
/// the whole length.
pub const BYTES_KEPT: usize = 64;

/// Who writes the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Server,
    Client,
}

/// The open record: its file, who writes it, and the server model.
struct Record {
    file: File,
    role: Role,
    model: Option<String>,
}

static RECORD: OnceLock<Record> = OnceLock::new();

/// This process's id, as the last narrated `getpid()` said (or `start` read); 0 while unknown.
static PID: AtomicI32 = AtomicI32::new(0);

/// The process's first thread: its thread id is its process id.
const MAIN_THREAD: i32 = -1;

thread_local! {
    /// This thread's id, as its narrated `gettid()` said; [`MAIN_THREAD`] for the process's
    /// first thread; 0 while unknown.
    static TID: Cell<i32> = const { Cell::new(0) };
}

/// Is the record on?
#[inline]
pub fn recording() -> bool {
    RECORD.get().is_some()
}

/// Turns the record on: opens `path` for appending (O_APPEND, so that every `write` lands at
/// the end, whole, whichever process or thread makes it; O_CLOEXEC), creating it if need be,
/// and moves the descriptor out of the sockets' way, to 20 or above, so that the first socket
/// is still descriptor 3. A forked child shares the open file.
///
/// These are the record's only system calls besides one `write` per line; none is narrated.
pub fn start(path: &Path, role: Role, model: Option<String>) -> Result<(), SysError> {
    let failed = |errno: Errno| SysError {
        call: "open",
        args: format!("{}, O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC", path.display()),
        errno,
    };
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| failed(Errno::from_raw(e.raw_os_error().unwrap_or(0))))?;
    let high =
        nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(20)).map_err(|errno| {
            SysError {
                call: "fcntl",
                args: "F_DUPFD_CLOEXEC, 20".into(),
                errno,
            }
        })?;
    // SAFETY: fcntl just returned this descriptor, and nothing else owns it.
    let file = unsafe { File::from_raw_fd(high) };
    PID.store(std::process::id() as i32, Ordering::Relaxed);
    TID.with(|t| t.set(MAIN_THREAD));
    let _ = RECORD.set(Record { file, role, model });
    Ok(())
}

/// A narrated `getpid()` said this process's id.
pub fn know_pid(pid: i32) {
    PID.store(pid, Ordering::Relaxed);
}

/// A narrated `gettid()` said this thread's id.
pub fn know_tid(tid: i32) {
    TID.with(|t| t.set(tid));
}

/// In a child just forked: its id is not known until its `getpid()`, and its one thread is its
/// first.
pub fn forked() {
    PID.store(0, Ordering::Relaxed);
    TID.with(|t| t.set(MAIN_THREAD));
}

/// CLOCK_REALTIME in nanoseconds, when the record is on (read through the vDSO: no system
/// call); 0 otherwise.
pub fn now() -> u64 {
    if !recording() {
        return 0;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// What every line starts with.
#[derive(Serialize)]
struct Head<'a> {
    v: u32,
    kind: &'static str,
    t_enter: u64,
    t_exit: u64,
    pid: Option<i32>,
    tid: Option<i32>,
    role: Role,
    model: Option<&'a str>,
}

impl Head<'_> {
    fn new<'r>(record: &'r Record, kind: &'static str, t_enter: u64, t_exit: u64) -> Head<'r> {
        let pid = PID.load(Ordering::Relaxed);
        let pid = (pid > 0).then_some(pid);
        let tid = match TID.with(Cell::get) {
            MAIN_THREAD => pid,
            0 => None,
            tid => Some(tid),
        };
        Head {
            v: VERSION,
            kind,
            t_enter,
            t_exit,
            pid,
            tid,
            role: record.role,
            model: record.model.as_deref(),
        }
    }
}

/// A call's line.
#[derive(Serialize)]
struct CallLine<'a> {
    #[serde(flatten)]
    head: Head<'a>,
    call: &'static str,
    /// `null` for a library call.
    syscall: Option<&'static str>,
    /// Present, and true, only on a library call's line (`getaddrinfo`), which strace never
    /// shows: the lines of schema 1 before it are unchanged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    library: bool,
    fd: Option<i64>,
    args: Args<'a>,
    ret: Option<i64>,
    errno: Option<String>,
    bytes: Option<Bytes>,
    layer: Layer,
    tcp_state: Option<String>,
    note: String,
    /// `--max-io` cut the buffer: the length asked for; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    clamped_from: Option<usize>,
}

/// A call's arguments as a JSON object, in the man page's order. (Written by hand rather than
/// collected into a map: serde_json's ordered map hashes with a random key, which costs a
/// `getrandom` system call the first time a thread makes one.)
struct Args<'a>(&'a [Arg]);

impl Serialize for Args<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for arg in self.0 {
            map.serialize_entry(arg.name, &arg.value)?;
        }
        map.end()
    }
}

/// The data a call moved: its length, and its first [`BYTES_KEPT`] bytes in hex.
#[derive(Serialize)]
struct Bytes {
    len: usize,
    hex: String,
}

/// The call's row of the layer table (`sockstep layers`): its key and the layers, in English.
#[derive(Serialize)]
struct Layer {
    row: &'static str,
    internet: &'static str,
    osi: &'static str,
}

/// A log event's line.
#[derive(Serialize)]
struct LogLine<'a> {
    #[serde(flatten)]
    head: Head<'a>,
    fd: Option<i32>,
    level: &'static str,
    msg: String,
}

/// Appends one line in one `write(2)`, so that the lines of forked children and threads
/// interleave whole. A record that cannot be written is not the program's business: the line is
/// lost, the program goes on.
fn append(record: &Record, line: &impl Serialize) {
    if let Ok(mut text) = serde_json::to_vec(line) {
        text.push(b'\n');
        let _ = (&record.file).write_all(&text);
    }
}

/// Records a call, if the record is on.
pub fn write_call(call: &Call) {
    let Some(record) = RECORD.get() else { return };
    let row = layers::row(call.name);
    let told = call.outcome.as_ref().ok();
    let bytes = told.and_then(|t| t.bytes.as_deref()).map(|data| Bytes {
        len: data.len(),
        hex: data[..data.len().min(BYTES_KEPT)]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    });
    let line = CallLine {
        head: Head::new(record, "call", call.t_enter, call.t_exit),
        call: call.name,
        syscall: (!row.is_library()).then_some(row.syscall),
        library: row.is_library(),
        fd: call.fd(),
        args: Args(&call.args),
        ret: match &call.outcome {
            Ok(told) => told.ret,
            Err(_) => Some(-1),
        },
        errno: call.outcome.as_ref().err().map(|e| super::errno_name(*e)),
        bytes,
        layer: Layer {
            row: row.call,
            internet: row.internet.en,
            osi: row.osi,
        },
        tcp_state: told.and_then(|t| t.tcp_state).map(TcpState::name),
        note: Lang::En.speaking(|| call.note().to_string()),
        clamped_from: told.and_then(|t| t.clamped_from),
    };
    append(record, &line);
}

/// Records a log event, if the record is on, whatever the log level shows on stderr; the
/// message in English whatever `--lang` says, so that programs can read it.
pub fn write_log(level: Log, fd: Option<i32>, msg: &Msg<'_>) {
    let Some(record) = RECORD.get() else { return };
    let t = now();
    let level = match level {
        Log::Quiet => "quiet",
        Log::Conn => "conn",
        Log::Data => "data",
    };
    let line = LogLine {
        head: Head::new(record, "log", t, t),
        fd,
        level,
        msg: Lang::En.speaking(|| msg.to_string()),
    };
    append(record, &line);
}
