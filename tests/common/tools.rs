//! The tools a few tests need besides a Rust toolchain: strace (and the right to trace),
//! tcpdump (and the right to capture, CAP_NET_RAW, which root has), rsvg-convert, ss, for the
//! course's own programs `cc` and `python3`, and mdbook (a crate, installed with cargo, not a
//! Debian package).
//!
//! On a machine without one of them, such a test prints one line on the terminal, for example
//! `skipped: capture::each_segment_follows_its_call needs tcpdump and CAP_NET_RAW; apt-get
//! install tcpdump; run as root`, records the skip, and passes: `cargo test` passes on a fresh
//! machine. `tests/zz_tools.rs`, the test binary cargo runs last, counts the skips of the run and
//! says how many tests each missing tool cost.
//!
//! With `SOCKSTEP_REQUIRE_TOOLS=1` (what `.ci/run` sets, after installing every tool) a missing
//! tool fails the test instead, so that CI never passes without having run everything.
//!
//! The skip line is written to the process's stderr directly, not with `eprintln!`: libtest
//! captures what `println!` and `eprintln!` print in a test that passes, and would hide it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A tool some tests need, with what its absence is called and how to get it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// strace, allowed to trace (ptrace).
    Strace,
    /// tcpdump, allowed to capture on the loopback device (CAP_NET_RAW).
    Tcpdump,
    /// rsvg-convert (librsvg), to render the diagrams as a browser would.
    RsvgConvert,
    /// iproute2's `ss`, which shows sockets and their queues.
    Ss,
    /// A C compiler, `cc`: builds the course's C programs (`examples/c/`).
    Cc,
    /// `python3`: runs the course's Python programs (`examples/python/`).
    Python3,
    /// mdBook, which builds the book in `docs/` as HTML.
    Mdbook,
}

impl Tool {
    pub const ALL: [Tool; 7] = [
        Tool::Strace,
        Tool::Tcpdump,
        Tool::RsvgConvert,
        Tool::Ss,
        Tool::Cc,
        Tool::Python3,
        Tool::Mdbook,
    ];

    /// The name of its skip records and of its report.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Strace => "strace",
            Tool::Tcpdump => "tcpdump",
            Tool::RsvgConvert => "rsvg-convert",
            Tool::Ss => "ss",
            Tool::Cc => "cc",
            Tool::Python3 => "python3",
            Tool::Mdbook => "mdbook",
        }
    }

    /// What a test without it needs.
    pub fn what(self) -> &'static str {
        match self {
            Tool::Strace => "strace",
            Tool::Tcpdump => "tcpdump and CAP_NET_RAW",
            Tool::RsvgConvert => "rsvg-convert",
            Tool::Ss => "ss",
            Tool::Cc => "a C compiler (cc)",
            Tool::Python3 => "python3",
            Tool::Mdbook => "mdbook",
        }
    }

    /// The Debian or Ubuntu package that brings it, if one does.
    pub fn package(self) -> Option<&'static str> {
        match self {
            Tool::RsvgConvert => Some("librsvg2-bin"),
            Tool::Ss => Some("iproute2"),
            Tool::Cc => Some("gcc"),
            Tool::Python3 => Some("python3-minimal"),
            Tool::Mdbook => None,
            tool => Some(tool.name()),
        }
    }

    /// What to do besides, or instead of, installing a package.
    pub fn also(self) -> Option<&'static str> {
        match self {
            Tool::Strace | Tool::RsvgConvert | Tool::Ss | Tool::Cc | Tool::Python3 => None,
            Tool::Tcpdump => Some("run as root"),
            Tool::Mdbook => Some("cargo install --locked mdbook"),
        }
    }

    /// Why the tool cannot be used here, or `None` when it can. Probed once per test binary.
    pub fn missing(self) -> Option<&'static str> {
        static STRACE: OnceLock<Option<String>> = OnceLock::new();
        static TCPDUMP: OnceLock<Option<String>> = OnceLock::new();
        static RSVG: OnceLock<Option<String>> = OnceLock::new();
        static SS: OnceLock<Option<String>> = OnceLock::new();
        static CC: OnceLock<Option<String>> = OnceLock::new();
        static PYTHON3: OnceLock<Option<String>> = OnceLock::new();
        static MDBOOK: OnceLock<Option<String>> = OnceLock::new();
        match self {
            Tool::Strace => STRACE.get_or_init(probe_strace).as_deref(),
            Tool::Tcpdump => TCPDUMP.get_or_init(probe_tcpdump).as_deref(),
            Tool::RsvgConvert => RSVG
                .get_or_init(|| {
                    (!on_path("rsvg-convert"))
                        .then(|| "rsvg-convert is not on the PATH".to_string())
                })
                .as_deref(),
            Tool::Ss => SS
                .get_or_init(|| (!on_path("ss")).then(|| "ss is not on the PATH".to_string()))
                .as_deref(),
            Tool::Cc => CC.get_or_init(|| not_on_path("cc")).as_deref(),
            Tool::Python3 => PYTHON3.get_or_init(|| not_on_path("python3")).as_deref(),
            Tool::Mdbook => MDBOOK.get_or_init(|| not_on_path("mdbook")).as_deref(),
        }
    }
}

/// strace can run and trace a child: `strace true` succeeds.
fn probe_strace() -> Option<String> {
    let probe = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=none", "-o", "/dev/null", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match probe {
        Err(e) => Some(format!("strace could not be run ({e})")),
        Ok(out) if !out.status.success() => Some(format!(
            "strace cannot trace here (ptrace refused? see /proc/sys/kernel/yama/ptrace_scope, \
             or the container's seccomp and CAP_SYS_PTRACE): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    }
}

/// tcpdump is on the PATH and this process has CAP_NET_RAW (bit 13 of CapEff in
/// /proc/self/status; root has it unless a container dropped it), which tcpdump inherits.
fn probe_tcpdump() -> Option<String> {
    if !on_path("tcpdump") {
        return Some("tcpdump is not on the PATH".to_string());
    }
    const CAP_NET_RAW: u32 = 13;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let effective = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    (effective & (1 << CAP_NET_RAW) == 0)
        .then(|| "this process lacks CAP_NET_RAW, which capturing needs".to_string())
}

/// `None` when `name` is on the PATH, else why it cannot be used.
fn not_on_path(name: &str) -> Option<String> {
    (!on_path(name)).then(|| format!("{name} is not on the PATH"))
}

/// Is there an executable file named `name` in a directory of the PATH?
pub fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Does `SOCKSTEP_REQUIRE_TOOLS=1` ask that a missing tool fail the test?
pub fn required() -> bool {
    std::env::var("SOCKSTEP_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Can the calling test use every one of `tools`? If so, true. If not, under
/// `SOCKSTEP_REQUIRE_TOOLS=1` the test fails, saying what is missing; otherwise it prints its
/// skip line, records the skip, and the caller returns at once:
/// `if !tools::have(&[Tool::Strace]) { return; }`.
pub fn have(tools: &[Tool]) -> bool {
    let missing: Vec<Tool> = tools
        .iter()
        .copied()
        .filter(|t| t.missing().is_some())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let test = test_name();
    let needs = remedy(&missing);
    let why = missing
        .iter()
        .filter_map(|t| t.missing())
        .collect::<Vec<_>>()
        .join("; ");
    if required() {
        panic!("{test} needs {needs} ({why}), and SOCKSTEP_REQUIRE_TOOLS=1 forbids skipping it");
    }
    let line = format!("skipped: {test} needs {needs}\n");
    // Straight to the file descriptor, past libtest's capture (see the module's doc).
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    for tool in missing {
        record(tool, &test);
    }
    false
}

/// `tcpdump and CAP_NET_RAW and strace; apt-get install tcpdump strace; run as root`: what
/// `tools` are, how to install them, and what else to do.
pub fn remedy(tools: &[Tool]) -> String {
    let list = |f: fn(Tool) -> Option<&'static str>, sep: &str| {
        tools
            .iter()
            .filter_map(|&t| f(t))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let mut remedy = list(|t| Some(t.what()), " and ");
    let packages = list(Tool::package, " ");
    if !packages.is_empty() {
        remedy.push_str("; apt-get install ");
        remedy.push_str(&packages);
    }
    let also = list(Tool::also, "; ");
    if !also.is_empty() {
        remedy.push_str("; ");
        remedy.push_str(&also);
    }
    remedy
}

/// `binary::test`, from the test binary's name (`capture-0123abcd` → `capture`) and the test
/// thread's name, which libtest sets to the test's path.
fn test_name() -> String {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|stem| match stem.rsplit_once('-') {
            Some((name, _hash)) => name.to_string(),
            None => stem,
        })
        .unwrap_or_default();
    let thread = std::thread::current();
    match thread.name() {
        Some(name) if name != "main" => format!("{binary}::{name}"),
        _ => binary,
    }
}

/// The directory of this `cargo test` run's skip records: every test binary of one run is a
/// child of the same cargo process, so the parent's pid and start time name the run.
pub fn run_dir() -> PathBuf {
    let parent = std::os::unix::process::parent_id();
    // Field 22 of /proc/PID/stat, the start time: a pid reused by a later run gets another.
    let started = std::fs::read_to_string(format!("/proc/{parent}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            rest.split_whitespace().nth(19).map(str::to_string)
        })
        .unwrap_or_default();
    skips_dir().join(format!("run-{parent}-{started}"))
}

/// Where every run's skip records live.
pub fn skips_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tool-skips")
}

/// Records that `test` was skipped for want of `tool`: one file per skip (named by the test
/// binary's pid and a counter), so that tests running in parallel never write the same file.
fn record(tool: Tool, test: &str) {
    static SKIPS: AtomicUsize = AtomicUsize::new(0);
    let dir = run_dir().join(tool.name());
    let n = SKIPS.fetch_add(1, Ordering::Relaxed);
    let file = dir.join(format!("{}-{n}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, test)) {
        panic!("record the skip in {}: {e}", file.display());
    }
}
