//! `sockstep client`: a filter in a pipe, a prompt on a terminal; replies alone on stdout.

mod common;

use common::{Server, run_client, run_client_on_tty};
use pretty_assertions::assert_eq;

/// The README's example: two lines piped in, exactly their two replies out, status 0.
#[test]
fn printf_bonjour_ca_va() {
    let server = Server::loopback(&["--log", "quiet"]);
    let port = server.addr().port().to_string();
    let run = run_client(&["--port", &port], "bonjour\nça va ?\n".as_bytes());
    assert!(run.status.success(), "{}\n{}", run.status, run.stderr);
    assert_eq!(run.stdout_text(), "BONJOUR\nÇA VA ?\n");
}

/// 2,000 lines piped in get 2,000 replies, in order, nothing lost at the end (the client
/// half-closes and reads until the server closes), status 0.
#[test]
fn two_thousand_lines_get_two_thousand_replies_in_order() {
    let server = Server::loopback(&["--log", "quiet"]);
    let port = server.addr().port().to_string();
    let input: String = (1..=2000).map(|i| format!("ligne n°{i} : été\n")).collect();
    let run = run_client(&["--port", &port, "--log", "quiet"], input.as_bytes());
    assert!(run.status.success(), "{}\n{}", run.status, run.stderr);
    let expected: String = (1..=2000).map(|i| format!("LIGNE N°{i} : ÉTÉ\n")).collect();
    assert_eq!(run.stdout_text(), expected);
    assert_eq!(run.stderr, "");
}

/// A last line without its end of line still gets its reply: the half-close tells the server
/// the input is over, and the client reads until the server closes.
#[test]
fn a_last_line_without_newline_is_answered() {
    let server = Server::loopback(&["--log", "quiet"]);
    let port = server.addr().port().to_string();
    let run = run_client(&["--port", &port], b"un\ndeux");
    assert!(run.status.success(), "{}\n{}", run.status, run.stderr);
    assert_eq!(run.stdout_text(), "UN\nDEUX");
}

/// On a terminal the client prompts with the course's `>>> ` on stderr before each line and
/// once more before the end of input (Ctrl-D); the replies alone go to stdout.
#[test]
fn on_a_terminal_the_prompt_goes_to_stderr_and_replies_to_stdout() {
    let server = Server::loopback(&["--log", "quiet"]);
    let port = server.addr().port().to_string();
    let run = run_client_on_tty(
        &["--port", &port, "--log", "quiet"],
        b"bonjour\nsalut\n\x04",
    );
    assert!(run.status.success(), "{}\n{}", run.status, run.stderr);
    assert_eq!(run.stdout_text(), "BONJOUR\nSALUT\n");
    assert_eq!(run.stderr, ">>> >>> >>> ");
}

/// One line of 8 MiB, with no end of line, comes back whole. The parrot replies while the
/// line is still arriving; a client that only sent would let those replies fill its receive
/// buffer, then the server's send buffer, until the server blocked in `send()`, stopped
/// reading, and the client blocked in `send()` too: a deadlock. On loopback the kernel's
/// buffers (autotuned, up to `tcp_rmem` and `tcp_wmem`) hold a few MiB in practice, so 8 MiB
/// is more than they take: a client that only sends hangs on it.
#[test]
fn a_line_longer_than_the_buffers_comes_back_whole() {
    let server = Server::loopback(&["--log", "quiet"]);
    let port = server.addr().port().to_string();
    let line = "é".repeat(4 << 20);
    let run = run_client(&["--port", &port, "--log", "quiet"], line.as_bytes());
    assert!(run.status.success(), "{}\n{}", run.status, run.stderr);
    assert_eq!(run.stdout.len(), line.len());
    assert!(
        run.stdout == line.to_uppercase().as_bytes(),
        "the reply differs"
    );
}

/// On a terminal, the client watches the socket while it waits for the user: when the server
/// closes (its --grace ran out, say), the client says so at once and exits, without waiting
/// for a line to be typed. The server here answers one line, then closes; the user types
/// nothing more (and no Ctrl-D), so a client that only read the terminal would wait forever.
#[test]
fn on_a_terminal_the_client_notices_at_once_that_the_server_closed() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut line = [0u8; 8];
        conn.read_exact(&mut line).expect("the typed line");
        assert_eq!(&line, b"bonjour\n");
        conn.write_all(b"BONJOUR\n").expect("the reply");
        // Dropped: close() sends FIN while the client waits at its prompt.
    });
    let run = run_client_on_tty(&["--port", &port, "--narrate"], b"bonjour\n");
    server.join().unwrap();
    assert_eq!(run.stdout, b"BONJOUR\n");
    assert!(!run.status.success());
    assert!(
        run.stderr
            .lines()
            .last()
            .is_some_and(|l| l.contains("recv() returned 0: the server closed the connection")),
        "{}",
        run.stderr
    );
    // The wait is one narrated poll() on the terminal (fd 0) and the socket (fd 3).
    assert!(
        run.stderr
            .contains("[client] poll([{fd=0, events=POLLIN}, {fd=3, events=POLLIN}], 2, -1) = 1"),
        "{}",
        run.stderr
    );
}
