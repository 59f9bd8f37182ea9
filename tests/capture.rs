//! `scripts/capture.sh`: the packets of one dialogue beside the calls that caused them. The
//! test checks the timeline's lessons, in order: the handshake happens inside connect() and
//! before accept() returns; a data segment follows each sendto(); FIN follows shutdown() and
//! close(); in the `rst` scenario, a client's close() that leaves the server's reply unread
//! sends RST, not FIN, and the server's recv() fails with ECONNRESET; in the `queued` scenario,
//! closing the listening socket resets a queued connection that sent nothing (so the RST does
//! not need unread bytes); and in the `big` scenario with `--nagle`, a reply's second piece
//! waits for the client's delayed ACK.
//!
//! It needs tcpdump, strace, and the right to capture (root or CAP_NET_RAW), and perl for the
//! rst and queued scenarios (perl-base, Essential on Debian and Ubuntu); without them it
//! skips, saying so in one line (and fails under `SOCKSTEP_REQUIRE_TOOLS=1`, as in `.ci/run`,
//! which installs tcpdump and strace).
//!
//! Last, the script's cleanup: made to fail (tcpdump cannot capture) or stopped midway, it
//! leaves no process of its own running. Those two need strace only (a stand-in plays
//! tcpdump).

mod common;

use std::process::Command;

use common::BIN;
use common::strace::root;
use common::tools::{Tool, have};

/// Runs the script with `args` and returns the timeline's lines (without the header); `None`
/// when tcpdump or strace cannot be used here (the test skips).
fn timeline(args: &[&str]) -> Option<Vec<String>> {
    if !have(&[Tool::Tcpdump, Tool::Strace]) {
        return None;
    }
    let output = Command::new(root().join("scripts/capture.sh"))
        .args(args)
        .env("SOCKSTEP", BIN)
        .env("LANG", "C")
        .output()
        .expect("run scripts/capture.sh (bash)");
    assert!(
        output.status.success(),
        "scripts/capture.sh {args:?} failed, although tcpdump, strace and CAP_NET_RAW are \
         here:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect(),
    )
}

/// The index of the first line (at or after `from`) that contains every one of `words`.
fn find(lines: &[String], from: usize, words: &[&str]) -> usize {
    (from..lines.len())
        .find(|&i| words.iter().all(|w| lines[i].contains(w)))
        .unwrap_or_else(|| {
            panic!(
                "no line with {words:?} after line {from} in the timeline:\n{}",
                lines.join("\n")
            )
        })
}

#[test]
fn each_segment_follows_its_call() {
    let Some(lines) = timeline(&["--scenario", "dialogue"]) else {
        return;
    };
    let connect = find(&lines, 0, &["client1", "connect("]);
    // connect() is placed at its entry, before the handshake it causes, and says so: its
    // result is what it will return, not what it has returned.
    assert!(
        lines[connect].contains("(enters; returns 0 after"),
        "{}",
        lines[connect]
    );
    let syn = find(&lines, connect, &["wire", "SYN ", "client:"]);
    let syn_ack = find(&lines, syn, &["wire", "SYN-ACK", "server ->"]);
    let ack = find(&lines, syn_ack, &["wire", "ACK ", "-> server"]);
    let accept = find(&lines, 0, &["server", "accept(", "(returns)"]);
    assert!(
        ack < accept,
        "the handshake is over before accept() returns"
    );
    // The client may send before the server has accepted: the kernel took the connection, and
    // takes the bytes too. So the client's sendto() is looked for after connect(), not accept().
    let send = find(&lines, connect, &["client1", "sendto("]);
    find(&lines, send, &["wire", "PSH", "-> server", "length 8"]);
    let reply = find(&lines, send, &["server", "sendto("]);
    find(&lines, reply, &["wire", "PSH", "server ->", "length 8"]);
    let shutdown = find(&lines, reply, &["client1", "shutdown("]);
    find(&lines, shutdown, &["wire", "FIN", "-> server"]);
    let close = find(&lines, shutdown, &["server", "close(4)"]);
    find(&lines, close, &["wire", "FIN", "server ->"]);
    assert!(
        !lines.iter().any(|l| l.contains("RST")),
        "{}",
        lines.join("\n")
    );
}

/// The client's reply is in its receive buffer, unread, when it calls close(): its kernel
/// sends RST instead of FIN (RFC 2525, section 2.17), and the server's recv() fails. No FIN
/// at all in the capture.
#[test]
fn a_close_that_leaves_unread_bytes_sends_rst() {
    let Some(lines) = timeline(&["--scenario", "rst"]) else {
        return;
    };
    let sent = find(&lines, 0, &["client1", "write(3, \"salut\\n\", 6)"]);
    let reply = find(&lines, sent, &["server", "sendto(4, \"SALUT\\n\""]);
    find(&lines, reply, &["wire", "PSH", "server ->", "length 6"]);
    let close = find(&lines, reply, &["client1", "close(3)"]);
    assert!(
        !lines[reply..close]
            .iter()
            .any(|l| l.contains("client1  read(3")),
        "the client read its reply:\n{}",
        lines.join("\n")
    );
    let rst = find(&lines, close, &["wire", "RST", "-> server"]);
    find(&lines, rst, &["server", "recvfrom(4", "ECONNRESET"]);
    assert!(
        !lines.iter().any(|l| l.contains("FIN")),
        "{}",
        lines.join("\n")
    );
}

/// A connection queued on the listening socket, never accepted, that sent no byte: closing the
/// listening socket resets it all the same, and its read() fails with ECONNRESET. The RST comes
/// from the listener's close, not from unread data.
#[test]
fn closing_the_listener_resets_a_queued_connection_that_sent_nothing() {
    let Some(lines) = timeline(&["--scenario", "queued"]) else {
        return;
    };
    let connect = find(&lines, 0, &["client2", "connect(3"]);
    let syn = find(&lines, connect, &["wire", "SYN ", "-> server"]);
    // `client:PORT `, the queued client's end, as the SYN names it (the space ends the port).
    let queued = lines[syn]
        .split_whitespace()
        .find(|w| w.starts_with("client:"))
        .map(|w| format!("{w} "))
        .unwrap();
    let ack = find(&lines, syn, &["wire", "ACK ", &queued, "-> server"]);
    let close = find(&lines, ack, &["server", "close(3)"]);
    assert!(
        !lines
            .iter()
            .any(|l| l.contains(&queued) && l.contains("PSH") || l.contains("client2  write(")),
        "the queued client sent something:\n{}",
        lines.join("\n")
    );
    let rst = find(&lines, close, &["wire", "RST", "server ->", &queued]);
    find(&lines, rst, &["client2", "read(3", "ECONNRESET"]);
}

/// The time, in ms, at the start of a timeline line.
fn ms(line: &str) -> f64 {
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// With Nagle's algorithm left on, the server's reply to a 4096-byte message leaves in two
/// segments: the first kilobyte at once, and the rest only after the client's ACK of it, which
/// the client's TCP delays by 40 ms at least (once past the quick ACKs of the connection's
/// start). The second message shows it: its reply's first segment, then an ACK from the
/// client 30 ms or more later, then the rest.
#[test]
fn with_nagle_a_reply_waits_for_the_delayed_ack() {
    let Some(lines) = timeline(&["--scenario", "big", "--nagle"]) else {
        return;
    };
    let first = find(&lines, 0, &["wire", "PSH", "-> server", "length 4096"]);
    let second = find(
        &lines,
        first + 1,
        &["wire", "PSH", "-> server", "length 4096"],
    );
    let piece = find(&lines, second, &["wire", "PSH", "server ->", "length 1024"]);
    let ack = find(&lines, piece, &["wire", "ACK ", "-> server"]);
    let rest = find(&lines, ack, &["wire", "PSH", "server ->", "length 3072"]);
    let waited = ms(&lines[ack]) - ms(&lines[piece]);
    assert!(
        waited >= 30.0,
        "the ACK came {waited} ms after the first piece:\n{}",
        lines[piece..=rest].join("\n")
    );
}

// Whatever fails, every process the script started ends (scripts/lib/end-all.sh): strace takes
// SIGTERM as "detach" and would leave its tracee, the server, running. The two tests below make
// the script fail on purpose with a stand-in for tcpdump, first in PATH, so they need strace
// only: one that cannot capture (it says so and exits, as tcpdump without CAP_NET_RAW does),
// and one that never starts capturing while the script is stopped with SIGTERM. Every process
// the script starts inherits its environment, so a marker variable finds them all in /proc
// afterwards, wherever they were reparented.

/// The live processes (not zombies) whose environment holds `name=value`, with their command
/// names.
fn marked(name: &str, value: &str) -> Vec<(u32, String)> {
    let needle = format!("{name}={value}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc") {
        let Some(pid) = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<u32>().ok())
        else {
            continue;
        };
        // A process that just exited, or another user's, cannot be read: it is none of ours.
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if environ
            .split(|&b| b == 0)
            .any(|var| var == needle.as_bytes())
        {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            found.push((pid, comm.trim_end().to_string()));
        }
    }
    found
}

/// The processes of run `run` still alive: ended here (SIGKILL, by pid) so that a failing
/// test leaves none behind either, and returned for the test to complain about.
fn leftovers(run: &str) -> Vec<(u32, String)> {
    let left = marked("SOCKSTEP_CAPTURE_RUN", run);
    for (pid, _) in &left {
        // SAFETY: kill(2) of a process this test's script started (its marker says so).
        unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
    }
    left
}

/// `scripts/capture.sh ARGS` with `fake` as tcpdump (a shell script's body), the marker
/// `SOCKSTEP_CAPTURE_RUN=run` in its environment, ready to run.
fn with_fake_tcpdump(run: &str, fake: &str, args: &[&str]) -> Command {
    let dir = common::scratch_dir(run);
    let tcpdump = dir.join("tcpdump");
    std::fs::write(&tcpdump, format!("#!/bin/sh\n{fake}\n")).unwrap();
    std::fs::set_permissions(
        &tcpdump,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(root().join("scripts/capture.sh"));
    command
        .args(args)
        .env("SOCKSTEP", BIN)
        .env("LANG", "C")
        .env("PATH", path)
        .env("SOCKSTEP_CAPTURE_RUN", run);
    command
}

/// tcpdump cannot capture: the script says so and fails, and the traced server it had started,
/// and strace, are gone when it returns.
#[test]
fn capture_ends_every_process_when_tcpdump_fails() {
    if !have(&[Tool::Strace]) {
        return;
    }
    let run = format!("capture-fails-{}", std::process::id());
    let output = with_fake_tcpdump(
        &run,
        "echo \"tcpdump: lo: You don't have permission to perform this capture on that device\" >&2; exit 1",
        &["--scenario", "dialogue"],
    )
    .output()
    .expect("run scripts/capture.sh (bash)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("tcpdump did not start"), "{stderr}");
    assert!(stderr.contains("capturing needs root"), "{stderr}");
    assert_eq!(leftovers(&run), [], "{stderr}");
}

/// The script is stopped (SIGTERM) while it waits for tcpdump, its server running under
/// strace: the server, strace and the stand-in are gone when it has exited.
#[test]
fn capture_ends_every_process_when_stopped_midway() {
    if !have(&[Tool::Strace]) {
        return;
    }
    let run = format!("capture-stopped-{}", std::process::id());
    // Never says `listening on`: the script waits (10 s at most) with its server up.
    let mut script = with_fake_tcpdump(&run, "exec sleep 30", &["--scenario", "dialogue"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run scripts/capture.sh (bash)");
    common::wait_until("the server and the stand-in for tcpdump", || {
        let names: Vec<String> = marked("SOCKSTEP_CAPTURE_RUN", &run)
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        ["sockstep", "strace", "sleep"]
            .iter()
            .all(|n| names.iter().any(|name| name == n))
    });
    // SAFETY: kill(2) of the child this test started.
    let r = unsafe { libc::kill(script.id() as i32, libc::SIGTERM) };
    assert_eq!(r, 0, "kill(script, SIGTERM)");
    let status = common::wait_exit(&mut script);
    assert!(!status.success(), "{status:?}");
    assert_eq!(leftovers(&run), []);
}
