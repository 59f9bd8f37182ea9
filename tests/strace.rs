//! Under strace: `--io` picks the system calls (`recvfrom`/`sendto` or `read`/`write`), and
//! the narration prints the very line strace prints for each of them.
//!
//! These tests need strace and the right to trace (ptrace); without them they skip, saying so
//! in one line (and fail under `SOCKSTEP_REQUIRE_TOOLS=1`, as in `.ci/run`, which installs
//! strace).

mod common;

use std::process::Command;

use common::tools::{Tool, have};
use common::{Server, echo, narration};
use pretty_assertions::assert_eq;

/// Runs the real server under `strace -f`, serves one `bonjour`, and returns the system calls
/// strace saw on the connected socket, as strace printed them, and the narration's lines for
/// the same descriptor; `None` when strace cannot be used here (the test skips).
fn trace_one_dialogue(io: &str) -> Option<(String, Vec<String>, Vec<String>)> {
    if !have(&[Tool::Strace]) {
        return None;
    }
    let trace_file =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("strace-io-{io}.txt"));
    let mut command = Command::new("strace");
    command
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=read,write,recvfrom,sendto,recvmsg,sendmsg,readv,writev",
        ])
        .arg("-o")
        .arg(&trace_file)
        .args([
            common::BIN,
            "server",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--once",
            "--narrate",
        ])
        .args(["--io", io]);
    let mut server = Server::start_with(&mut command, 1);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    drop(client);
    assert!(server.wait_exit().success(), "strace or the server failed");
    server.stderr.wait_closed();
    let log = server.stderr.text();
    let conn_fd = log
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("[iterative] fd ")?;
            rest.contains("connection from").then(|| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
        })
        .unwrap_or_else(|| panic!("no connection in the log:\n{log}"));
    let on_conn = |line: &str| {
        line.split_once('(')
            .is_some_and(|(_, args)| args.starts_with(&format!("{conn_fd},")))
    };
    let trace = std::fs::read_to_string(&trace_file).expect("read strace's output");
    let traced: Vec<String> = trace
        .lines()
        // `strace -f -o` starts each line with the pid.
        .map(|l| {
            l.trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start()
        })
        .filter(|l| on_conn(l))
        // strace pads the result to a column: `read(4, "", 1024)                 = 0`.
        .map(|l| match l.rsplit_once(" = ") {
            Some((call, result)) => format!("{} = {result}", call.trim_end()),
            None => l.to_string(),
        })
        .collect();
    let narrated: Vec<String> = narration(&log)
        .into_iter()
        .map(|n| n.strace)
        .filter(|l| on_conn(l))
        // Calls that move no bytes, which this trace's filter leaves out (the TCP state's
        // getsockopt and TCP_NODELAY's setsockopt among them).
        .filter(|l| {
            !["getpeername", "getsockopt", "setsockopt", "close"]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .collect();
    Some((conn_fd, traced, narrated))
}

/// `--io send-recv` (the default): strace sees `recvfrom` and `sendto` on the connected
/// socket, never `read` or `write`, each exactly as the narration printed it.
#[test]
fn send_recv_is_recvfrom_and_sendto_under_strace() {
    let Some((fd, traced, narrated)) = trace_one_dialogue("send-recv") else {
        return;
    };
    assert_eq!(
        traced,
        [
            format!("recvfrom({fd}, \"bonjour\\n\", 1024, 0, NULL, NULL) = 8"),
            format!("sendto({fd}, \"BONJOUR\\n\", 8, 0, NULL, 0) = 8"),
            format!("recvfrom({fd}, \"\", 1024, 0, NULL, NULL) = 0"),
        ]
    );
    assert_eq!(narrated, traced);
}

/// `--io read-write`: strace sees `read` and `write` on the connected socket, never
/// `recvfrom` or `sendto`, each exactly as the narration printed it.
#[test]
fn read_write_is_read_and_write_under_strace() {
    let Some((fd, traced, narrated)) = trace_one_dialogue("read-write") else {
        return;
    };
    assert_eq!(
        traced,
        [
            format!("read({fd}, \"bonjour\\n\", 1024) = 8"),
            format!("write({fd}, \"BONJOUR\\n\", 8) = 8"),
            format!("read({fd}, \"\", 1024) = 0"),
        ]
    );
    assert_eq!(narrated, traced);
}

/// Without `--narrate` (and with `--log quiet`) the server writes nothing on stderr: the
/// narration costs no system call at all, and strace sees no `write(2, ...)` from a whole
/// dialogue.
#[test]
fn without_narration_no_write_to_stderr() {
    if !have(&[Tool::Strace]) {
        return;
    }
    let trace_file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("strace-quiet.txt");
    let mut command = Command::new("strace");
    command
        .args(["-f", "-qq", "-e", "trace=write,writev"])
        .arg("-o")
        .arg(&trace_file)
        .args([
            common::BIN,
            "server",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--once",
        ])
        .args(["--log", "quiet"]);
    let mut server = Server::start_with(&mut command, 1);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    drop(client);
    assert!(server.wait_exit().success(), "strace or the server failed");
    server.stderr.wait_closed();
    assert_eq!(server.stderr.text(), "");
    let trace = std::fs::read_to_string(&trace_file).expect("read strace's output");
    let to_stderr: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("write(2,") || l.contains("writev(2,"))
        .collect();
    assert_eq!(to_stderr, Vec::<&str>::new());
    assert!(
        trace.contains("write(1, \"listening on"),
        "the trace saw stdout:\n{trace}"
    );
}
