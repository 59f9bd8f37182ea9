//! Shutdown on SIGTERM and SIGINT, for every blocking model: the clients connected get their
//! replies, the server exits 0 within its grace period and prints its summary.

mod common;

use common::models;

#[test]
fn iterative_sigterm() {
    models::sigterm_gives_clients_their_replies("iterative", 1);
}

#[test]
fn fork_sigterm() {
    models::sigterm_gives_clients_their_replies("fork", 3);
}

#[test]
fn threads_sigterm() {
    models::sigterm_gives_clients_their_replies("threads", 3);
}

#[test]
fn iterative_sigint() {
    models::sigint_exits_when_clients_leave("iterative", 1);
}

#[test]
fn fork_sigint() {
    models::sigint_exits_when_clients_leave("fork", 3);
}

#[test]
fn threads_sigint() {
    models::sigint_exits_when_clients_leave("threads", 3);
}

/// The summary speaks the user's language: `--lang fr`, the course's French.
#[test]
fn the_summary_in_french() {
    let mut server = common::Server::loopback(&["--model", "fork", "--lang", "fr"]);
    let mut client = server.connect();
    assert_eq!(common::echo(&mut client, b"oui\n"), b"OUI\n");
    drop(client);
    server
        .stderr
        .wait_for("the child collected", |l| l.contains("pas de zombie"));
    server.signal(libc::SIGTERM);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let summary = "bilan : 1 client servi, 4 octets reçus, 4 octets envoyés";
    assert!(
        server.stderr.all().iter().any(|l| l.ends_with(summary)),
        "{}",
        server.stderr.text()
    );
}

/// With several `--listen`, the line before the server exits says how many listening
/// sockets close, in the plural; with one, in the singular. (`--once`: one client served, the
/// server closes its listeners and exits, no signal to time.)
#[test]
fn several_listeners_close_in_the_plural() {
    for (services, line) in [
        (
            &["upper", "echo", "daytime"][..],
            "unplugging: closing the 3 listening sockets.",
        ),
        (&["upper"][..], "unplugging: closing the listening socket."),
    ] {
        let mut server = common::serve("poll", services, &["--once", "--log", "conn"]);
        let mut client = server.connect();
        assert_eq!(common::echo(&mut client, b"oui\n"), b"OUI\n");
        drop(client);
        assert!(server.wait_exit().success());
        server.stderr.wait_closed();
        assert!(
            server.stderr.all().iter().any(|l| l.ends_with(line)),
            "{services:?}: no {line:?} in:\n{}",
            server.stderr.text()
        );
    }
}
