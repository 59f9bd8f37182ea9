//! TIME_WAIT and the restart it refuses. The side of a connection that closes first keeps
//! TIME_WAIT (RFC 9293, section 3.6), 60 s on Linux; a `bind()` without SO_REUSEADDR
//! (`--no-reuseaddr`) is refused while a connection of the port waits in it, and the default
//! (SO_REUSEADDR on) binds anyway.
//!
//! `scripts/time-wait.sh` shows it, and the tests check each of its facts in its output: the
//! server closes first (stopped with a client connected, or daytime); `ss -tan` shows TIME-WAIT
//! on the server's port; the restart with `--no-reuseaddr` fails with EADDRINUSE, with a hint
//! that speaks of TIME-WAIT; the restart with SO_REUSEADDR listens. And the contrast the README
//! states: after the parrot's own dialogue the client closed first, TIME-WAIT is on the
//! client's port, and even a `--no-reuseaddr` restart works.
//!
//! They need `ss` (iproute2); without it they skip, saying so in one line.

mod common;

use std::net::Shutdown;
use std::process::Command;

use common::strace::root;
use common::tools::{Tool, have};
use common::{BIN, Server, echo, read_to_end};

/// Runs `scripts/time-wait.sh --how HOW` to its end and returns its output: stdout, then
/// stderr. `None` without ss.
fn run_script(how: &str) -> Option<String> {
    if !have(&[Tool::Ss]) {
        return None;
    }
    let output = Command::new(root().join("scripts/time-wait.sh"))
        .args(["--how", how])
        .env("SOCKSTEP", BIN)
        .env("LANG", "C")
        .output()
        .expect("run scripts/time-wait.sh (bash)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "scripts/time-wait.sh --how {how} failed:\n{text}"
    );
    Some(text)
}

/// The part of the script's output under the heading that starts with `== N.`.
fn section(text: &str, n: u32) -> &str {
    let start = text
        .find(&format!("== {n}."))
        .unwrap_or_else(|| panic!("no section {n} in:\n{text}"));
    let rest = &text[start..];
    let end = rest[3..].find("\n== ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

/// Checks the script's three facts, on the port of its `listening on` line.
fn check_facts(text: &str) {
    let first = section(text, 1);
    let port: u16 = first
        .lines()
        .find_map(|l| l.strip_prefix("listening on 127.0.0.1:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no listening line in:\n{first}"));
    // 1. ss: TIME-WAIT with the server's port as the local one.
    let ss = section(text, 2);
    assert!(
        ss.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.first() == Some(&"TIME-WAIT") && f.get(3) == Some(&&*format!("127.0.0.1:{port}"))
        }),
        "no TIME-WAIT on the server's port {port}:\n{ss}"
    );
    // 2. The restart without SO_REUSEADDR: EADDRINUSE, the hint for a listener (another port,
    // --port 0), and the line that says TIME-WAIT holds the port too and waiting frees it.
    let refused = section(text, 3);
    assert!(
        refused.contains(&format!(
            "sockstep: error: bind(127.0.0.1:{port}): EADDRINUSE: Address already in use ("
        )),
        "{refused}"
    );
    assert!(refused.contains("--port 0 for any free one"), "{refused}");
    assert!(
        refused.contains("SO_REUSEADDR is off (--no-reuseaddr)")
            && refused.contains("TIME-WAIT")
            && refused.contains("wait, or start without --no-reuseaddr"),
        "{refused}"
    );
    assert!(!refused.contains("listening on"), "{refused}");
    // 3. The restart with SO_REUSEADDR, the default: it listens on the same port.
    let restarted = section(text, 4);
    assert!(
        restarted.contains(&format!("listening on 127.0.0.1:{port} upper")),
        "{restarted}"
    );
}

/// The parrot, stopped (SIGINT, `--grace 0`) while a client is connected, closes first.
#[test]
fn a_server_stopped_with_a_client_keeps_time_wait() {
    if let Some(text) = run_script("stop") {
        check_facts(&text);
    }
}

/// The daytime service sends the date and closes first, as RFC 867 says.
#[test]
fn the_daytime_server_keeps_time_wait() {
    if let Some(text) = run_script("daytime") {
        assert!(section(&text, 1).contains("listening on 127.0.0.1:"));
        assert!(section(&text, 1).contains(" daytime"), "{text}");
        check_facts(&text);
    }
}

/// The contrast: in the parrot's dialogue the client half-closes first, so TIME-WAIT is on the
/// client's side (its own port local, the server's as the peer), none on the server's port,
/// and a restart even without SO_REUSEADDR binds the port.
#[test]
fn after_the_parrots_dialogue_the_client_keeps_time_wait() {
    if !have(&[Tool::Ss]) {
        return;
    }
    let mut server = Server::loopback(&["--once", "--no-reuseaddr", "--log", "quiet"]);
    let port = server.addr().port();
    let mut client = server.connect();
    let client_port = client.local_addr().unwrap().port();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut client), b"");
    drop(client);
    assert!(server.wait_exit().success());
    let states = common::ss_tan(port);
    assert!(
        states.iter().any(|l| l.starts_with("TIME-WAIT")
            && l.contains(&format!("127.0.0.1:{client_port} 127.0.0.1:{port}"))),
        "{states:?}"
    );
    assert!(
        !states
            .iter()
            .any(|l| l.contains(&format!("127.0.0.1:{port} 127.0.0.1:{client_port}"))),
        "the server's side is gone: {states:?}"
    );
    let again = Server::start(&[
        "--bind",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--no-reuseaddr",
        "--log",
        "quiet",
    ]);
    assert_eq!(again.addr().port(), port);
}
