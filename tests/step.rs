//! `--step`: before each socket call the program says what it is about to do and waits for
//! Enter on its terminal. Tested through a pseudo-terminal that is the program's controlling
//! terminal, while the dialogue itself goes through pipes and real loopback sockets: each stop
//! really comes before its call (no connection before Enter at `connect`, nothing received
//! before Enter at `sendto`), and the server's stop at `accept` shows that a client is already
//! connected although nobody has called accept().

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::{Command, Stdio};

use common::terminal::{Terminal, collect_lines};
use common::{BIN, connect, english_by_default, nothing_received, wait_exit};
use pretty_assertions::assert_eq;

/// The client stops before socket, connect, sendto, recvfrom, shutdown, recvfrom and close,
/// although its input comes from a pipe; each call happens only after Enter.
#[test]
fn client_stops_before_each_call() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let mut command = Command::new(BIN);
    english_by_default(&mut command)
        .args(["client", "--step", "--log", "quiet", "--port", &port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut tty = Terminal::attach(&mut command);
    let mut child = command.spawn().expect("start sockstep client --step");
    child.stdin.take().unwrap().write_all(b"bonjour\n").unwrap();

    let first = tty.stop(1);
    assert_eq!(
        Terminal::call_of(&first),
        "socket(AF_INET, SOCK_STREAM, IPPROTO_IP)"
    );
    assert!(first[1].contains("layer: transport · OSI 4"), "{first:?}");
    tty.enter();

    let second = tty.stop(2);
    assert!(
        Terminal::call_of(&second).starts_with("connect(3, "),
        "{second:?}"
    );
    assert!(
        second[2].contains("tcpdump"),
        "the stop says what to look at: {second:?}"
    );
    // Stopped before connect(): nobody has connected yet.
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    tty.enter();

    // The connection comes after Enter.
    let mut accepted = None;
    common::wait_until("the client's connection", || {
        accepted = listener.accept().ok().map(|(conn, _)| conn);
        accepted.is_some()
    });
    let mut conn = accepted.unwrap();
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(common::LIMIT)).unwrap();

    // TCP_NODELAY, set once connected: Nagle's algorithm off.
    let third = tty.stop(3);
    assert_eq!(
        Terminal::call_of(&third),
        "setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4)"
    );
    tty.enter();

    let fourth = tty.stop(4);
    assert_eq!(
        Terminal::call_of(&fourth),
        r#"sendto(3, "bonjour\n", 8, 0, NULL, 0)"#
    );
    assert!(nothing_received(&conn), "the bytes left before Enter");
    tty.enter();
    // Play the parrot while the remaining stops are let through.
    let parrot = std::thread::spawn(move || {
        let mut buf = [0u8; 8];
        conn.read_exact(&mut buf).unwrap();
        conn.write_all(&buf.to_ascii_uppercase()).unwrap();
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest).unwrap();
    });

    let mut calls = vec![
        "socket".to_string(),
        "connect".to_string(),
        "setsockopt".to_string(),
        "sendto".to_string(),
    ];
    for n in 5..=8 {
        let stop = tty.stop(n);
        calls.push(
            Terminal::call_of(&stop)
                .split('(')
                .next()
                .unwrap()
                .to_string(),
        );
        tty.enter();
    }
    assert_eq!(
        calls,
        [
            "socket",
            "connect",
            "setsockopt",
            "sendto",
            "recvfrom",
            "shutdown",
            "recvfrom",
            "close"
        ]
    );
    let status = wait_exit(&mut child);
    parrot.join().unwrap();
    let mut replies = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut replies)
        .unwrap();
    assert!(status.success());
    assert_eq!(replies, "BONJOUR\n");
}

/// The server stops before each call of the course's sequence; at the stop before accept(), a
/// client's connect() has already succeeded: the kernel completed the handshake by itself.
#[test]
fn server_stops_before_accept_with_the_client_already_connected() {
    let mut command = Command::new(BIN);
    english_by_default(&mut command)
        .args(["server", "--step", "--once", "--log", "quiet"])
        .args(["--bind", "127.0.0.1", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut tty = Terminal::attach(&mut command);
    let mut child = command.spawn().expect("start sockstep server --step");
    let stdout = collect_lines(child.stdout.take().unwrap());

    let mut calls = Vec::new();
    let mut n = 1;
    let accept_stop = loop {
        let stop = tty.stop(n);
        let call = Terminal::call_of(&stop);
        calls.push(call.split('(').next().unwrap().to_string());
        if call.starts_with("accept(") {
            break stop;
        }
        tty.enter();
        n += 1;
    };
    assert_eq!(
        calls,
        [
            "socket",
            "setsockopt",
            "bind",
            "listen",
            "getsockname",
            "accept"
        ]
    );
    assert!(
        accept_stop[2].contains("already ESTABLISHED although nobody has called accept()"),
        "{accept_stop:?}"
    );
    let line = stdout.wait_for("listening on", |l| l.starts_with("listening on "));
    // The server is stopped before accept(), and yet connect() succeeds.
    let mut client = connect(common::parse_listening(&line));
    client.write_all(b"hi\n").unwrap();
    for _ in 0..7 {
        tty.enter();
        n += 1;
        if n == 11 {
            // setsockopt, getpeername, recvfrom and sendto have been let through: the reply
            // is here.
            let mut reply = [0u8; 3];
            client.read_exact(&mut reply).unwrap();
            assert_eq!(&reply, b"HI\n");
            client.shutdown(Shutdown::Write).unwrap();
        }
        let stop = tty.stop(n);
        calls.push(
            Terminal::call_of(&stop)
                .split('(')
                .next()
                .unwrap()
                .to_string(),
        );
    }
    tty.enter();
    assert!(wait_exit(&mut child).success());
    assert_eq!(
        calls[6..],
        [
            "setsockopt",
            "getpeername",
            "recvfrom",
            "sendto",
            "recvfrom",
            "close",
            "close"
        ]
    );
}
