//! The iterative server serves one client at a time, and `--once` serves just one.

mod common;

use std::io::{ErrorKind, Read, Write};

use common::{Server, echo, read_n, reset};
use pretty_assertions::assert_eq;

/// A second client is served only after the first leaves. Shown without timing: the second
/// client connects (the kernel completes its handshake and queues it) and sends a line; the
/// first client then completes a round trip, which proves the server is still in the first
/// dialogue, after the second line was sent; at that moment the server has logged one
/// connection only and the second client has no reply (a non-blocking read finds nothing).
/// When the first client closes, the second gets its reply, and the log shows the first
/// connection closed before the second one opened.
#[test]
fn a_second_client_waits_until_the_first_leaves() {
    let server = Server::loopback(&[]);
    let mut first = server.connect();
    assert_eq!(echo(&mut first, b"first\n"), b"FIRST\n");
    let first_from = first.local_addr().unwrap().to_string();
    server
        .stderr
        .wait_for("the first connection", |l| l.contains(&first_from));

    let mut second = server.connect();
    second.write_all(b"second\n").unwrap();
    assert_eq!(echo(&mut first, b"still me\n"), b"STILL ME\n");

    let connections = |server: &Server| {
        server
            .stderr
            .all()
            .into_iter()
            .filter(|l| l.contains("connection from"))
            .count()
    };
    assert_eq!(connections(&server), 1, "only the first client is accepted");
    second.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let early = second.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if e.kind() == ErrorKind::WouldBlock),
        "the second client got a reply while the first was served: {early:?}"
    );
    second.set_nonblocking(false).unwrap();

    drop(first);
    assert_eq!(read_n(&mut second, 7), b"SECOND\n");
    let second_from = second.local_addr().unwrap().to_string();
    server
        .stderr
        .wait_for("the second connection", |l| l.contains(&second_from));
    let log = server.stderr.all();
    let position = |what: &str| {
        log.iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} in the log:\n{}", log.join("\n")))
    };
    assert!(
        position("closing the connection") < position(&format!("connection from {second_from}")),
        "the first connection must be closed before the second is accepted:\n{}",
        log.join("\n")
    );
}

/// `--once` serves one client, closes the listening socket and exits with status 0, as the
/// course's example does (« On se débranche »).
#[test]
fn once_exits_zero_after_one_client() {
    let mut server = Server::loopback(&["--once"]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    drop(client);
    let status = server.wait_exit();
    assert!(status.success(), "the server exited with {status}");
    server.stderr.wait_closed();
    assert_eq!(
        server.stderr.all().last().map(String::as_str),
        Some("[iterative] unplugging: closing the listening socket.")
    );
    assert_eq!(
        server.stdout.all(),
        vec![format!("listening on {} upper", server.addr())]
    );
}

/// A client that resets its connection in the middle of a dialogue (`SO_LINGER` 0, then
/// `close()`: the kernel sends RST instead of FIN) is logged as a lost connection, and the
/// server goes on to the next client.
#[test]
fn a_client_that_resets_is_logged_and_the_server_goes_on() {
    let server = Server::loopback(&[]);
    let mut rude = server.connect();
    assert_eq!(echo(&mut rude, b"one\n"), b"ONE\n");
    rude.write_all(b"two\n").unwrap();
    reset(rude);
    server
        .stderr
        .wait_for("the reset logged", |l| l.contains("connection lost: "));
    let mut next = server.connect();
    assert_eq!(echo(&mut next, b"next\n"), b"NEXT\n");
    let log = server.stderr.text();
    assert!(
        log.contains("ECONNRESET") || log.contains("EPIPE"),
        "the log names the errno:\n{log}"
    );
}
