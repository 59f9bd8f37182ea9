//! The event-loop models (select, poll, mio) over real loopback sockets: many clients at once,
//! a client that never reads, clients that reset, non-blocking sockets, several services.
//!
//! Each scenario is written once, as a function of the model, and run for each of the three
//! models by `for_each_model!`: a failure names both, as in `many_clients::poll`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;

use common::models;
use common::{
    O_NONBLOCK, echo, exchange, fd_count, fd_flags, logged_fd, proc_status, read_n, read_to_end,
    reset, serve,
};
use pretty_assertions::assert_eq;

/// Runs the scenario function `$scenario(model)` once per event-loop model.
macro_rules! for_each_model {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[test]
            fn select() {
                super::$scenario("select");
            }
            #[test]
            fn poll() {
                super::$scenario("poll");
            }
            #[test]
            fn mio() {
                super::$scenario("mio");
            }
        }
    )*};
}

for_each_model!(
    many_clients,
    a_client_that_never_reads,
    clients_that_reset,
    sockets_are_non_blocking,
    three_services_at_once,
    discard_answers_nothing_and_keeps_the_connection,
    sigterm_gives_clients_their_replies,
    sigint_exits_when_clients_leave,
    a_silent_client_blocks_nobody,
    book_transcript_is_real,
);

/// The log shown on the model's book page (`<!-- transcript: MODEL -->`) is what the program
/// prints: one client says `bonjour` and leaves, a second says `salut` and stays, then SIGTERM
/// with `--grace 1`. Descriptors and ports are normalised; the line about RLIMIT_NOFILE is left
/// out on both sides, since its number is the machine's.
fn book_transcript_is_real(model: &str) {
    let machine_free = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| !l.contains("RLIMIT_NOFILE"))
            .collect()
    };
    let mut server = serve(model, &["upper"], &["--grace", "1"]);
    let mut first = server.connect();
    assert_eq!(echo(&mut first, b"bonjour\n"), b"BONJOUR\n");
    first.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut first), b"");
    server.stderr.wait_for("the first client's end", |l| {
        l.contains("closing the connection")
    });
    let mut second = server.connect();
    assert_eq!(echo(&mut second, b"salut\n"), b"SALUT\n");
    // One thread: once it has logged `send ok.` it goes back to its wait, where SIGTERM finds it.
    server
        .stderr
        .wait_count("both replies sent", 2, |l| l.contains("send ok."));
    server.signal(libc::SIGTERM);
    assert_eq!(read_to_end(&mut second), b"");
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let page = format!("models/{model}.md");
    assert_eq!(
        common::by_speaker(&machine_free(server.stderr.all())),
        common::by_speaker(&machine_free(common::book_transcript(&page, model))),
        "docs/src/{page} no longer shows what the program prints"
    );
}

/// The shutdown scenarios every model passes (tests/common/models.rs), with three clients.
fn sigterm_gives_clients_their_replies(model: &str) {
    models::sigterm_gives_clients_their_replies(model, 3);
}

fn sigint_exits_when_clients_leave(model: &str) {
    models::sigint_exits_when_clients_leave(model, 3);
}

/// The concurrency scenario every model passes: 100 clients behind a silent one.
fn a_silent_client_blocks_nobody(model: &str) {
    models::hundred_clients_at_once(model);
}

/// How many clients are connected at once.
const CLIENTS: usize = 200;

/// A message that tells which client and which round it belongs to, so that a reply sent to
/// the wrong client, or bytes lost or reordered, cannot go unnoticed.
fn message(client: usize, round: usize) -> Vec<u8> {
    let mut text = format!("client {client} round {round}: ");
    while text.len() < 1000 {
        text.push_str(&format!("{client}-{round} "));
    }
    text.push('\n');
    text.into_bytes()
}

/// 200 clients connected at once, all talking in turn, each gets its own bytes back exactly:
/// one thread serves them all.
fn many_clients(model: &str) {
    let server = serve(model, &["echo", "upper"], &[]);
    let (echo_addr, upper_addr) = (server.addrs[0], server.addrs[1]);
    let mut clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|i| common::connect(if i % 2 == 0 { echo_addr } else { upper_addr }))
        .collect();
    for round in 0..2 {
        // Everybody speaks before anybody listens: all 200 are in the server at once.
        for (i, client) in clients.iter_mut().enumerate() {
            client.write_all(&message(i, round)).expect("send");
        }
        for (i, client) in clients.iter_mut().enumerate() {
            let sent = message(i, round);
            let expected = if i % 2 == 0 {
                sent.clone()
            } else {
                sent.to_ascii_uppercase()
            };
            assert_eq!(read_n(client, sent.len()), expected, "client {i}");
        }
    }
}

/// The 10 MiB the client that never reads tries to send.
const FLOOD: usize = 10 * 1024 * 1024;
/// How much the server's anonymous resident memory (its heap and stacks: `RssAnon`) may grow
/// while the flood lasts. The bound is well under the 10 MiB sent: a server that kept whatever
/// it could not send would pass it. The server stops reading at 64 KiB of unsent replies, so
/// it stays near its size at rest. (`VmRSS` also counts the pages of the program file mapped in,
/// several MiB for a debug build, which depend on the build and not on the flood.)
const ANON_GROWTH_BOUND_KIB: u64 = 2 * 1024;

/// A client that sends 10 MiB and never reads its replies: the server stops reading from it
/// once 64 KiB of replies are unsent, goes on serving the others, and its memory stays
/// bounded.
fn a_client_that_never_reads(model: &str) {
    let server = serve(model, &["echo"], &["--log", "data"]);
    let at_rest = proc_status(server.pid(), "RssAnon");
    // A small receive buffer, set before connect() so that the kernel does not grow it: with
    // autotuning the flooder's buffer can swallow megabytes of replies (tcp_rmem's maximum), and
    // the server would never be left with unsent replies to stop at.
    let flooder =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    flooder
        .set_recv_buffer_size(64 * 1024)
        .expect("setsockopt(SO_RCVBUF)");
    flooder
        .connect(&server.addr().into())
        .expect("connect the flooder");
    let mut flooder = std::net::TcpStream::from(flooder);
    let writer = thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0;
        while sent < FLOOD {
            // Blocks once every buffer on the way is full; fails when the test ends and the
            // server is killed. Either way this thread stops.
            match flooder.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        sent
    });
    server
        .stderr
        .wait_for_whole("the server stops reading the flooder", |l| {
            l.contains("the server stops reading from it")
        });
    // The flooder is stuck; another client is served as if nothing happened.
    let mut other = server.connect();
    for round in 0..10 {
        let sent = message(1, round);
        assert_eq!(echo(&mut other, &sent), sent);
    }
    let flooded = proc_status(server.pid(), "RssAnon");
    eprintln!("{model}: server RssAnon {at_rest} KiB at rest, {flooded} KiB during the flood");
    assert!(
        flooded < at_rest + ANON_GROWTH_BOUND_KIB,
        "server RssAnon grew from {at_rest} KiB to {flooded} KiB, more than {ANON_GROWTH_BOUND_KIB} KiB"
    );
    // The writer stays blocked (or has failed) until the server is killed; not joined.
    drop(writer);
}

/// Clients that send and then reset (RST, SO_LINGER 0) in the middle of their stream: each
/// reset closes that connection only; nothing leaks, and another client is served throughout.
fn clients_that_reset(model: &str) {
    const RESETS: usize = 20;
    let server = serve(model, &["echo"], &[]);
    let mut steady = server.connect();
    assert_eq!(echo(&mut steady, b"before\n"), b"before\n");
    let baseline = fd_count(server.pid());
    for i in 0..RESETS {
        let mut client = server.connect();
        // Half a megabyte not read back: the server is busy sending when the RST comes.
        client.write_all(&vec![b'r'; 256 * 1024]).expect("send");
        let _ = read_n(&mut client, 1000);
        reset(client);
        let sent = message(i, 0);
        assert_eq!(echo(&mut steady, &sent), sent);
    }
    server
        .stderr
        .wait_count("every reset connection closed", RESETS, |l| {
            l.contains("closing the connection")
        });
    // One more exchange: the single-threaded server has finished its close()s before it
    // answers this.
    assert_eq!(echo(&mut steady, b"after\n"), b"after\n");
    assert_eq!(fd_count(server.pid()), baseline, "descriptors leaked");
}

/// The listening socket and the connected ones are non-blocking (O_NONBLOCK in
/// /proc/PID/fdinfo), made so by calls the narration shows: `socket(..., SOCK_NONBLOCK)` and
/// `accept4(..., SOCK_NONBLOCK)`.
fn sockets_are_non_blocking(model: &str) {
    let server = serve(model, &["echo"], &["--narrate"]);
    let listen_line = server
        .stderr
        .wait_for("listen(", |l| l.contains("] listen("));
    let listen_fd: i32 = listen_line
        .split("listen(")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|fd| fd.parse().ok())
        .unwrap_or_else(|| panic!("no fd in {listen_line:?}"));
    server.stderr.wait_for("SOCK_NONBLOCK socket", |l| {
        l.contains("socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK")
    });
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"hi\n"), b"hi\n");
    let accepted = server.stderr.wait_for("accept4", |l| {
        l.contains("accept4(") && l.contains("SOCK_NONBLOCK) = ")
    });
    let conn_line = server
        .stderr
        .wait_for("connection from", |l| l.contains("connection from"));
    let conn_fd = logged_fd(&conn_line);
    assert!(accepted.ends_with(&format!(") = {conn_fd}")), "{accepted}");
    for fd in [listen_fd, conn_fd] {
        let flags = fd_flags(server.pid(), fd);
        assert_ne!(flags & O_NONBLOCK, 0, "fd {fd} flags {flags:o}");
    }
}

/// One process, three services on three ports: the parrot, echo and daytime.
fn three_services_at_once(model: &str) {
    let server = serve(model, &["upper", "echo", "daytime"], &[]);
    let lines = server.stdout.all();
    for (line, service) in lines.iter().zip(["upper", "echo", "daytime"]) {
        assert!(line.ends_with(&format!(" {service}")), "{line}");
    }
    let mut upper = common::connect(server.addrs[0]);
    let mut echo_client = common::connect(server.addrs[1]);
    assert_eq!(echo(&mut upper, b"hello\n"), b"HELLO\n");
    assert_eq!(echo(&mut echo_client, b"hello\n"), b"hello\n");
    let mut daytime = common::connect(server.addrs[2]);
    let line = String::from_utf8(read_to_end(&mut daytime)).expect("UTF-8");
    assert!(line.ends_with("\r\n"), "{line:?}");
    assert_eq!(line.lines().count(), 1, "{line:?}");
    assert_eq!(
        exchange(&mut upper, "ça\n".as_bytes(), 4),
        "ÇA\n".as_bytes()
    );
}

/// discard reads everything, answers nothing, and keeps the connection open until the client
/// closes.
fn discard_answers_nothing_and_keeps_the_connection(model: &str) {
    let server = serve(model, &["discard"], &["--log", "data"]);
    let mut client = server.connect();
    let data = vec![b'd'; 100_000];
    client.write_all(&data).expect("send");
    // Wait until the server has read every byte.
    let mut received = 0;
    while received < data.len() {
        let lines = server.stderr.all();
        received = lines
            .iter()
            .filter_map(|l| l.split("received ").nth(1))
            .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
            .sum();
        if received < data.len() {
            let seen = lines.len();
            server
                .stderr
                .wait_count("more log lines", seen + 1, |_| true);
        }
    }
    // Still open: nothing to read, and no end of stream.
    client.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    match client.read(&mut byte) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("expected an open, silent connection, got {other:?}"),
    }
    assert!(!server.stderr.text().contains("closing the connection"));
    // Over the whole connection, not one byte came back.
    client.set_nonblocking(false).unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut client), b"");
}

/// select() cannot watch a descriptor of 1024 or more: the server refuses that connection
/// with a line explaining FD_SETSIZE, closes it, and keeps serving the others.
#[test]
fn select_refuses_descriptors_past_fd_setsize() {
    const CLIENTS: usize = 1030;
    assert!(common::raise_nofile_limit() > CLIENTS as u64 + 64);
    let server = serve("select", &["echo"], &[]);
    let mut clients: Vec<TcpStream> = (0..CLIENTS).map(|_| server.connect()).collect();
    let refused = server
        .stderr
        .wait_for("FD_SETSIZE", |l| l.contains("FD_SETSIZE"));
    assert!(
        refused.contains("fd 1024:") && refused.contains("select()"),
        "{refused}"
    );
    // The last client got a descriptor past 1023: the server closed it.
    assert_eq!(read_to_end(clients.last_mut().unwrap()), b"");
    // The first ones are served as ever.
    assert_eq!(echo(&mut clients[0], b"still here\n"), b"still here\n");
    // Every client has been accepted or refused by now (the last one was). The accepted ones
    // hold descriptors 1023 and below (fewer than 1020 if the server inherited descriptors
    // besides 0, 1 and 2, such as cargo's jobserver pipes).
    let accepted = server
        .stderr
        .all()
        .iter()
        .filter(|l| l.contains("connection from"))
        .count();
    let refusals = server
        .stderr
        .all()
        .iter()
        .filter(|l| l.contains("FD_SETSIZE"))
        .count();
    assert_eq!(accepted + refusals, CLIENTS);
    // Once descriptors are free again, new clients are served.
    clients.truncate(100);
    server.stderr.wait_count("closings", accepted - 100, |l| {
        l.contains("closing the connection")
    });
    let mut late = server.connect();
    assert_eq!(echo(&mut late, b"late\n"), b"late\n");
}

/// Without the parrot, the log says connections only; with it, every message, as the course's
/// parrot prints them.
#[test]
fn the_default_log_follows_the_service() {
    let server = serve("poll", &["echo"], &[]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"quiet\n"), b"quiet\n");
    drop(client);
    server.stderr.wait_for("closing", |l| l.contains("closing"));
    assert!(!server.stderr.text().contains("received"));

    let server = serve("poll", &["upper", "echo"], &[]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"loud\n"), b"LOUD\n");
    server
        .stderr
        .wait_for("received", |l| l.contains("received 5 bytes: \"loud\\n\""));
}

/// The iterative server waits in one blocking accept(): it refuses a second listener, and says
/// why.
#[test]
fn iterative_refuses_two_listeners() {
    let output = std::process::Command::new(common::BIN)
        .args(["server", "--bind", "127.0.0.1"])
        .args(["--listen", "upper:0", "--listen", "echo:0"])
        .env("LANG", "C")
        .output()
        .expect("run sockstep");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("blocking accept()"), "{stderr}");
}
