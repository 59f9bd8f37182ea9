//! How sockstep fails: a one-line error naming the call and the errno, a non-zero exit, never
//! a panic.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::thread;

use common::{ClientRun, Server, closed_port, run_client, run_to_end, sockstep};
use pretty_assertions::assert_eq;

/// Checks that a run failed with exactly one line on stderr, the `sockstep: error: ` line,
/// and no panic; returns that line.
fn one_line_error(run: &ClientRun) -> String {
    assert!(
        !run.status.success(),
        "it should have failed: {}",
        run.status
    );
    assert!(
        !run.stderr.contains("panicked"),
        "a panic is never an error message:\n{}",
        run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr:\n{}", run.stderr);
    lines[0].to_string()
}

/// A second server on a port already taken fails at `bind` with EADDRINUSE, exits non-zero,
/// and never prints `listening on`; the first server goes on serving.
#[test]
fn a_second_server_on_the_same_port_fails_at_bind() {
    let first = Server::loopback(&["--log", "quiet"]);
    let port = first.addr().port().to_string();
    let run = run_to_end(
        &mut sockstep(&["server", "--bind", "127.0.0.1", "--port", &port]),
        b"",
    );
    let error = one_line_error(&run);
    assert!(
        error.starts_with(&format!(
            "sockstep: error: bind(127.0.0.1:{port}): EADDRINUSE: Address already in use ("
        )),
        "{error}"
    );
    // The way out is another port; --no-reuseaddr would not help (SO_REUSEADDR, the default,
    // already lets a port held by TIME_WAIT be bound: the port is held by a listener).
    assert!(error.contains("--port 0"), "{error}");
    assert!(!error.contains("(see --no-reuseaddr)"), "{error}");
    assert_eq!(run.stdout_text(), "");
    let mut client = first.connect();
    assert_eq!(common::echo(&mut client, b"ok\n"), b"OK\n");
}

/// `--listen ftp:21` has the right shape and an unknown service: the error says so and names
/// the services sockstep serves; a wrong shape (`ftp`, `echo:99999`) is said to be one.
#[test]
fn an_unknown_service_is_not_a_syntax_error() {
    let run = run_to_end(&mut sockstep(&["server", "--listen", "ftp:21"]), b"");
    assert!(!run.status.success());
    assert!(
        run.stderr
            .contains("unknown service \"ftp\": sockstep serves upper, echo, discard, daytime"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("is not SERVICE:PORT"),
        "{}",
        run.stderr
    );
    for arg in ["ftp", "echo:99999", "echo:"] {
        let run = run_to_end(&mut sockstep(&["server", "--listen", arg]), b"");
        assert!(!run.status.success());
        assert!(
            run.stderr
                .contains(&format!("\"{arg}\" is not SERVICE:PORT")),
            "{arg}: {}",
            run.stderr
        );
    }
}

/// The client to a port where nothing listens fails at `connect` with ECONNREFUSED.
#[test]
fn the_client_to_a_closed_port_fails_at_connect() {
    let port = closed_port().to_string();
    let run = run_client(&["--port", &port], b"bonjour\n");
    let error = one_line_error(&run);
    assert!(
        error.starts_with(&format!(
            "sockstep: error: connect(127.0.0.1:{port}): ECONNREFUSED: Connection refused ("
        )),
        "{error}"
    );
    assert_eq!(run.stdout_text(), "");
}

/// The client to a host that cannot exist (the `.invalid` top-level domain is reserved by
/// RFC 2606 never to resolve) fails with one line naming the lookup and the host.
#[test]
fn the_client_to_an_unknown_host_fails_in_one_line() {
    let run = run_client(
        &["--host", "nowhere.invalid", "--port", "6789"],
        b"bonjour\n",
    );
    let error = one_line_error(&run);
    assert!(
        error.starts_with("sockstep: error: getaddrinfo(nowhere.invalid): unknown host: "),
        "{error}"
    );
}

/// A server that vanishes in the middle of a dialogue (this test's own tiny server accepts,
/// reads the first line, and closes without replying) makes the client fail with one line
/// naming `recv()` and what happened, not a panic.
#[test]
fn a_server_that_vanishes_mid_dialogue_ends_the_client_cleanly() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let vanishing = thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept");
        let mut line = String::new();
        BufReader::new(&conn).read_line(&mut line).expect("read");
        line
        // conn is dropped here: close() without a reply.
    });
    let run = run_client(&["--port", &port, "--log", "quiet"], b"bonjour\nencore\n");
    assert_eq!(vanishing.join().unwrap(), "bonjour\n");
    let error = one_line_error(&run);
    assert!(error.starts_with("sockstep: error: recv"), "{error}");
    assert_eq!(run.stdout_text(), "");
}
