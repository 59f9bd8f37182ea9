//! With `--tcp-states`, the narration shows the TCP state the kernel reports (getsockopt
//! TCP_INFO) after listen, connect, accept and shutdown, and just before close: the student
//! sees the state machine move. (The narration proof, `tests/narration_strace.rs`, shows that
//! each of these getsockopt calls is a real call, narrated in strace's words.)

mod common;

use common::{Server, run_client};
use pretty_assertions::assert_eq;

/// The states in a stderr log, in order: `LISTEN` out of `... the kernel says: LISTEN (...)`.
fn states(log: &str) -> Vec<String> {
    common::unwrapped(log)
        .lines()
        .filter(|l| l.contains("TCP_INFO"))
        .map(|l| {
            let (_, said) = l
                .split_once("the kernel says: ")
                .unwrap_or_else(|| panic!("no state in {l:?}"));
            said.split([' ', ';']).next().unwrap().to_string()
        })
        .collect()
}

/// One dialogue: the server goes LISTEN, then ESTABLISHED for the client, CLOSE-WAIT when the
/// client has half-closed (its FIN came), and its listening socket is still LISTEN when it is
/// closed. The client is ESTABLISHED after connect(), past ESTABLISHED after shutdown(), and its
/// socket is CLOSED before close(): the TIME-WAIT that follows lives apart from the socket.
#[test]
fn the_narration_follows_the_tcp_state_machine() {
    let mut server = Server::loopback(&["--once", "--tcp-states", "--log", "quiet"]);
    let port = server.addr().port().to_string();
    let client = run_client(
        &["--port", &port, "--tcp-states", "--log", "quiet"],
        b"bonjour\n",
    );
    assert!(client.status.success(), "{}", client.stderr);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();

    assert_eq!(
        states(&server.stderr.text()),
        ["LISTEN", "ESTABLISHED", "CLOSE-WAIT", "LISTEN"]
    );
    let client_states = states(&client.stderr);
    assert_eq!(client_states.len(), 3, "{}", client.stderr);
    assert_eq!(client_states[0], "ESTABLISHED");
    // The kernel moves on without waiting for the program: when getsockopt() asks, our FIN may
    // be unacknowledged yet (FIN-WAIT-1), acknowledged (FIN-WAIT-2), or the server may already
    // have answered with its own FIN (CLOSED, the TIME-WAIT living apart). Never ESTABLISHED.
    assert!(
        ["FIN-WAIT-1", "FIN-WAIT-2", "CLOSED"].contains(&client_states[1].as_str()),
        "after shutdown: {}",
        client_states[1]
    );
    assert_eq!(client_states[2], "CLOSED");
    assert!(
        client
            .stderr
            .contains("before close(), the kernel says: CLOSED"),
        "{}",
        client.stderr
    );
}
