//! The scenarios every concurrent server model must pass, written once and run by each
//! model's test file with its `--model` name, as the models themselves share one dialogue.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;

use super::{
    Server, children_of, echo, fd_count, nothing_received, proc_status, read_n, read_to_end, reset,
    wait_until,
};

/// A message for client `i` and the parrot's reply to it (accents included, same length).
fn message(i: usize) -> (Vec<u8>, Vec<u8>) {
    let ask = format!("client {i:03}: ça va, été ?\n");
    let reply = format!("CLIENT {i:03}: ÇA VA, ÉTÉ ?\n");
    (ask.into_bytes(), reply.into_bytes())
}

/// Is this a narration line of a successful accept()?
fn is_accept(line: &str) -> bool {
    line.contains("] accept(") && !line.contains("= -1")
}

/// Accept calls the narration has shown so far. The acceptor writes its accept lines before
/// its cap line, on the same pipe: once the cap line is read, the accepts before it are too.
fn accepts(server: &Server) -> usize {
    server.stderr.all().iter().filter(|l| is_accept(l)).count()
}

/// 100 clients connected at once, behind one that connected first and never sends: every one
/// is served, byte for byte, while all are connected. The requests all go out before any
/// reply is read, so a server that served one client at a time would never answer the
/// second (it would still be waiting for the silent one).
pub fn hundred_clients_at_once(model: &str) {
    let server = Server::loopback(&[
        "--model",
        model,
        "--backlog",
        "128",
        "--max-clients",
        "200",
        "--log",
        "quiet",
    ]);
    let silent = server.connect();
    let mut clients: Vec<TcpStream> = (0..100).map(|_| server.connect()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.write_all(&message(i).0).expect("send");
    }
    for (i, client) in clients.iter_mut().enumerate() {
        let reply = message(i).1;
        assert_eq!(read_n(client, reply.len()), reply, "client {i}");
    }
    assert!(nothing_received(&silent), "the silent client got bytes");
}

/// After 200 clients have come and gone, nothing of them is left: no child process, zombie or
/// not (fork); no thread but the first (threads); and as many open descriptors as right after
/// start-up.
pub fn no_leftovers_after_200_clients(model: &str) {
    let server = Server::loopback(&["--model", model, "--backlog", "32", "--log", "conn"]);
    let pid = server.pid();
    let fds_at_start = fd_count(pid);
    for wave in 0..10 {
        let mut clients: Vec<TcpStream> = (0..20).map(|_| server.connect()).collect();
        for (i, client) in clients.iter_mut().enumerate() {
            let (ask, reply) = message(wave * 20 + i);
            assert_eq!(echo(client, &ask), reply);
        }
    }
    // Every dialogue logs its end; in the fork model the parent then logs each collection.
    server
        .stderr
        .wait_count("200 closed connections", 200, |l| {
            l.contains("closing the connection with the client")
        });
    match model {
        "fork" => {
            server
                .stderr
                .wait_count("200 children collected", 200, |l| l.contains("no zombie"));
            assert_eq!(children_of(pid), vec![], "children left behind");
        }
        "threads" => wait_until("the client threads to end", || {
            proc_status(pid, "Threads") == 1
        }),
        _ => {}
    }
    wait_until("the descriptors to be closed", || {
        fd_count(pid) == fds_at_start
    });
}

/// With `--max-clients 4`, a fifth and a sixth client are served only once one of the first
/// four leaves. Proved by the server's own events: its narration shows exactly four accepts
/// when it says it has reached the cap, the fifth accept comes after the first client left,
/// and the sixth after the second left.
pub fn cap_holds(model: &str) {
    let server = Server::loopback(&[
        "--model",
        model,
        "--max-clients",
        "4",
        "--backlog",
        "8",
        "--narrate",
        "--log",
        "conn",
    ]);
    let at_cap = |l: &str| l.contains("(--max-clients)");
    let mut clients: Vec<Option<TcpStream>> = (0..6).map(|_| Some(server.connect())).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.as_mut().unwrap().write_all(&message(i).0).unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate().take(4) {
        let reply = message(i).1;
        assert_eq!(read_n(client.as_mut().unwrap(), reply.len()), reply);
    }
    server.stderr.wait_count("the cap", 1, at_cap);
    assert_eq!(accepts(&server), 4, "accepts at the cap");
    assert!(nothing_received(clients[4].as_ref().unwrap()));
    assert!(nothing_received(clients[5].as_ref().unwrap()));

    // The first client leaves: the fifth is accepted and served, and the cap is reached again.
    drop(clients[0].take());
    let reply = message(4).1;
    assert_eq!(read_n(clients[4].as_mut().unwrap(), reply.len()), reply);
    server.stderr.wait_count("the cap, again", 2, at_cap);
    assert_eq!(accepts(&server), 5, "accepts at the cap, again");
    assert!(nothing_received(clients[5].as_ref().unwrap()));

    // The second leaves: the sixth is served.
    drop(clients[1].take());
    let reply = message(5).1;
    assert_eq!(read_n(clients[5].as_mut().unwrap(), reply.len()), reply);
    server.stderr.wait_count("the sixth accept", 6, is_accept);
}

/// A client that resets its connection in the middle of a stream (it sends a lot, reads
/// nothing, and closes with SO_LINGER 0: RST) disturbs no other client: the one connected
/// before goes on being served, and a new one is served after.
pub fn reset_disturbs_nobody(model: &str) {
    let server = Server::loopback(&["--model", model, "--backlog", "8", "--log", "conn"]);
    let mut before = server.connect();
    let (ask, reply) = message(1);
    assert_eq!(echo(&mut before, &ask), reply);

    let mut rude = server.connect();
    rude.write_all(&vec![b'x'; 256 * 1024]).unwrap();
    reset(rude);
    server.stderr.wait_for("the reset, logged", |l| {
        l.contains("connection lost") && (l.contains("ECONNRESET") || l.contains("EPIPE"))
    });

    assert_eq!(echo(&mut before, &ask), reply);
    let mut after = server.connect();
    let (ask, reply) = message(2);
    assert_eq!(echo(&mut after, &ask), reply);
}

/// SIGTERM while `clients` are connected: each gets the replies to what it sent before the
/// signal, is still served during the grace period, and is disconnected at its end; the server
/// exits 0 within the grace period (a second of slack for a busy machine) and its summary
/// counts every client and byte.
pub fn sigterm_gives_clients_their_replies(model: &str, clients: usize) {
    const GRACE: u64 = 1;
    let grace = GRACE.to_string();
    let mut server = Server::loopback(&[
        "--model",
        model,
        "--grace",
        &grace,
        "--backlog",
        "8",
        "--log",
        "conn",
    ]);
    let mut conns: Vec<TcpStream> = (0..clients).map(|_| server.connect()).collect();
    for conn in &mut conns {
        assert_eq!(echo(conn, b"un\n"), b"UN\n");
        conn.write_all(b"deux\n").unwrap();
    }
    server.signal(libc::SIGTERM);
    let signalled = Instant::now();
    for conn in &mut conns {
        assert_eq!(read_n(conn, 5), b"DEUX\n", "the reply to what came before");
        assert_eq!(
            echo(conn, b"trois\n"),
            b"TROIS\n",
            "served during the grace"
        );
    }
    for conn in &mut conns {
        assert_eq!(read_to_end(conn), b"", "closed at the deadline");
    }
    let status = server.wait_exit();
    let took = signalled.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(
        took < Duration::from_secs(GRACE + 2),
        "took {took:?} with a grace of {GRACE} s"
    );
    server.stderr.wait_closed();
    let bytes = clients * "un\ndeux\ntrois\n".len();
    let summary = format!(
        "summary: {}, {bytes} bytes in, {bytes} bytes out",
        served(clients)
    );
    assert!(
        server.stderr.all().iter().any(|l| l.ends_with(&summary)),
        "no {summary:?} in:\n{}",
        server.stderr.text()
    );
}

/// SIGINT (Ctrl-C) while clients are connected, and they leave at once: the server does not
/// sit out its grace period (30 s here), it exits 0 as soon as they are gone.
pub fn sigint_exits_when_clients_leave(model: &str, clients: usize) {
    let mut server = Server::loopback(&["--model", model, "--grace", "30", "--log", "conn"]);
    let mut conns: Vec<TcpStream> = (0..clients).map(|_| server.connect()).collect();
    for conn in &mut conns {
        assert_eq!(echo(conn, b"salut\n"), b"SALUT\n");
    }
    server.signal(libc::SIGINT);
    let signalled = Instant::now();
    server
        .stderr
        .wait_for("the shutdown", |l| l.contains("shutting down"));
    drop(conns);
    let status = server.wait_exit();
    assert!(status.success(), "exit status {status}");
    assert!(
        signalled.elapsed() < Duration::from_secs(15),
        "waited out the grace period"
    );
    server.stderr.wait_closed();
    let bytes = clients * 6;
    let summary = format!(
        "summary: {}, {bytes} bytes in, {bytes} bytes out",
        served(clients)
    );
    assert!(
        server.stderr.all().iter().any(|l| l.ends_with(&summary)),
        "no {summary:?} in:\n{}",
        server.stderr.text()
    );
}

/// The transcript on the model's book page is what the program prints: one client says
/// `bonjour` and leaves, a second says `salut` and stays, then SIGTERM with `--grace 1`. Each
/// process's or thread's lines are compared in their order (their interleaving varies).
pub fn book_transcript_is_real(model: &str) {
    let mut server = Server::loopback(&["--model", model, "--grace", "1"]);
    let mut first = server.connect();
    assert_eq!(echo(&mut first, b"bonjour\n"), b"BONJOUR\n");
    first.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut first), b"");
    // The first client is gone, and in the fork model its child collected, before the second
    // comes, as in the transcript.
    if model == "fork" {
        server
            .stderr
            .wait_for("the first child collected", |l| l.contains("no zombie"));
    } else {
        wait_until("the first client's thread to end", || {
            proc_status(server.pid(), "Threads") == 1
        });
    }
    let mut second = server.connect();
    assert_eq!(echo(&mut second, b"salut\n"), b"SALUT\n");
    // The SIGTERM must find the acceptor blocked in accept() and the second client's thread or
    // process blocked in recv(), as in the transcript, not on their way back there.
    let pid = server.pid();
    wait_until("the server to block in accept() and recv()", || {
        super::all_asleep(pid)
    });
    server.signal(libc::SIGTERM);
    assert_eq!(read_to_end(&mut second), b"");
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let page = format!("models/{model}.md");
    assert_eq!(
        super::by_speaker(&server.stderr.all()),
        super::by_speaker(&super::book_transcript(&page, model)),
        "docs/src/{page} no longer shows what the program prints"
    );
}

/// A blocking `accept()` waits on one listening socket: given a second `--listen`, the model
/// refuses to start, says why, and exits 1.
pub fn refuses_a_second_listener(model: &str) {
    let run = super::run_to_end(
        &mut super::sockstep(&[
            "server",
            "--model",
            model,
            "--bind",
            "127.0.0.1",
            "--listen",
            "upper:0",
            "--listen",
            "echo:0",
        ]),
        b"",
    );
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let why = format!("the {model} model serves one port");
    assert!(run.stderr.contains(&why), "{}", run.stderr);
}

/// `--listen SERVICE:PORT` picks the service the model's dialogue runs: echo, byte for byte,
/// bytes that are not UTF-8 included.
pub fn serves_the_listen_service(model: &str) {
    let server = super::serve(model, &["echo"], &[]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"as is \xff\n"), b"as is \xff\n");
}

/// `1 client served`, `3 clients served`.
fn served(clients: usize) -> String {
    match clients {
        1 => "1 client served".to_string(),
        n => format!("{n} clients served"),
    }
}
