//! Faults on purpose: every model and the client stay exact under `--max-io` (real short reads
//! and writes), `--interrupt` (real EINTR from SIGALRM), and both at once. Over UDP,
//! `--interrupt` too, and `--max-io` is refused, saying why (the last tests).
//!
//! Each run sends, through the real binary on loopback:
//! - with `sockstep client` (under the same faults): a 64 KiB line, then a line of 3-byte UTF-8
//!   characters whose pieces are cut inside characters;
//! - with a raw socket: a 2 MiB batch of lines ended by a half-close (FIN), read back to the
//!   server's close;
//! - for the models that serve clients side by side: 50 clients at once, every request sent
//!   before any reply is read.
//!
//! Every byte must come back upper-cased, in order, and the server's summary (after SIGTERM)
//! must count every client and byte. `--max-io 1` on 2 MiB would be 2 million calls each way
//! for the server alone, minutes in a debug build: the batch runs under `--max-io 7` (still
//! every read and write cut, and at odd places), while `--max-io 1` covers the 64 KiB line and
//! the UTF-8 cut.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use common::{Server, read_n, read_to_end, run_client, run_to_end, sockstep};
use pretty_assertions::assert_eq;

/// The faults of one run: the server's and the client's flags.
struct Faults {
    /// For the 64 KiB line, the UTF-8 cut and the 50 clients.
    small: &'static [&'static str],
    /// For the 2 MiB batch.
    batch: &'static [&'static str],
}

const MAX_IO: Faults = Faults {
    small: &["--max-io", "1"],
    batch: &["--max-io", "7"],
};
const INTERRUPT: Faults = Faults {
    small: &["--interrupt", "2"],
    batch: &["--interrupt", "2"],
};
const BOTH: Faults = Faults {
    small: &["--max-io", "1", "--interrupt", "2"],
    batch: &["--max-io", "7", "--interrupt", "2"],
};

/// What the parrot answers: Unicode upper case, line by line.
fn upper(text: &str) -> Vec<u8> {
    text.to_uppercase().into_bytes()
}

/// The server's summary numbers: clients, bytes in, bytes out.
fn summary(server: &mut Server) -> (u64, u64, u64) {
    server.signal(libc_sigterm());
    server.wait_exit();
    server.stderr.wait_closed();
    let line = server
        .stderr
        .wait_for("summary", |l| l.contains("summary:"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let n = numbers.len();
    assert!(n >= 3, "a summary with three numbers: {line}");
    (numbers[n - 3], numbers[n - 2], numbers[n - 1])
}

fn libc_sigterm() -> i32 {
    15
}

/// One model under one set of faults: every byte back, upper-cased, in order; the summary
/// counts them.
fn exact_under(model: &str, faults: &Faults) {
    let mut args = vec!["--model", model, "--log", "conn", "--max-clients", "100"];
    args.extend_from_slice(faults.small);
    let mut server = Server::loopback(&args);
    let port = server.addr().port().to_string();
    let (mut clients, mut bytes_in, mut bytes_out) = (0u64, 0u64, 0u64);

    // The client, under the same faults: a 64 KiB line, then 3-byte characters that the
    // client's 1024-byte pieces (and --max-io 1) cut in the middle.
    let long_line = format!("{}\n", "abcdefgh".repeat(8 * 1024));
    let cut = format!("{}\n", "€ça".repeat(700));
    let input = format!("{long_line}{cut}");
    let mut client_args = vec!["--port", port.as_str(), "--log", "quiet"];
    client_args.extend_from_slice(faults.small);
    let run = run_client(&client_args, input.as_bytes());
    assert!(run.status.success(), "client failed: {}", run.stderr);
    assert_eq!(run.stdout, upper(&input), "{model}: the client's replies");
    clients += 1;
    bytes_in += input.len() as u64;
    bytes_out += upper(&input).len() as u64;

    // 2 MiB of lines, then FIN; read back to the server's close. The batch has its own server
    // when its faults differ.
    let batch: String = (0..32 * 1024)
        .map(|i| format!("ligne {i:08} ß é € {}\n", "x".repeat(30)))
        .collect::<String>();
    let batch = &batch[..batch.len().min(2 * 1024 * 1024)];
    let batch = &batch[..=batch.rfind('\n').unwrap_or(0)];
    let mut batch_server;
    let target = if faults.batch == faults.small {
        &server
    } else {
        let mut args = vec!["--model", model, "--log", "conn"];
        args.extend_from_slice(faults.batch);
        batch_server = Server::loopback(&args);
        &mut batch_server
    };
    let mut stream = target.connect();
    let mut writer = stream.try_clone().expect("clone");
    let sent = batch.as_bytes().to_vec();
    let sender = thread::spawn(move || {
        writer.write_all(&sent).expect("send the batch");
        writer.shutdown(Shutdown::Write).expect("FIN");
    });
    let got = read_to_end(&mut stream);
    sender.join().expect("the sender");
    assert!(
        got == upper(batch),
        "{model}: the 2 MiB batch came back different"
    );
    if faults.batch == faults.small {
        clients += 1;
        bytes_in += batch.len() as u64;
        bytes_out += got.len() as u64;
    }

    // 50 clients at once, for the models that serve side by side.
    if model != "iterative" {
        let requests: Vec<String> = (0..50)
            .map(|i| format!("client {i}: {}\n", "déjà vu ".repeat(200 + i)))
            .collect();
        let mut streams: Vec<TcpStream> = requests.iter().map(|_| server.connect()).collect();
        for (stream, request) in streams.iter_mut().zip(&requests) {
            stream.write_all(request.as_bytes()).expect("send");
        }
        for (i, (stream, request)) in streams.iter_mut().zip(&requests).enumerate() {
            let reply = upper(request);
            assert!(
                read_n(stream, reply.len()) == reply,
                "{model}: client {i} of 50"
            );
            clients += 1;
            bytes_in += request.len() as u64;
            bytes_out += reply.len() as u64;
        }
        drop(streams);
    }
    // Each connection the summary counts has closed: the server closed it after our FIN or,
    // for the 50, after theirs (dropped above), which SIGTERM's grace lets them send.
    assert_eq!(
        summary(&mut server),
        (clients, bytes_in, bytes_out),
        "{model}: the summary"
    );
}

fn all_faults(model: &str) {
    exact_under(model, &MAX_IO);
    exact_under(model, &INTERRUPT);
    exact_under(model, &BOTH);
}

/// The iterative model under each fault.
#[test]
fn iterative_exact_under_faults() {
    all_faults("iterative");
}

/// The fork model: each child arms its own timer (timers are not inherited by fork).
#[test]
fn fork_exact_under_faults() {
    all_faults("fork");
}

/// The thread model: SIGALRM goes to the client threads (the acceptor blocks it).
#[test]
fn threads_exact_under_faults() {
    all_faults("threads");
}

#[test]
fn select_exact_under_faults() {
    all_faults("select");
}

#[test]
fn poll_exact_under_faults() {
    all_faults("poll");
}

/// mio's edge-triggered readiness: a read shorter than the buffer but as long as `--max-io`
/// asked is not a drained socket, or the rest would wait for an event that never comes.
#[test]
fn mio_exact_under_faults() {
    all_faults("mio");
}

// UDP: `--max-io` is refused (a datagram is read whole or cut, never in pieces), and
// `--interrupt` works as for TCP: every interrupted call is made again, nothing is lost.

/// A UDP socket of the test's own on 127.0.0.1, whose waits give up after [`common::LIMIT`].
fn udp_socket() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind a test UDP socket");
    sock.set_read_timeout(Some(common::LIMIT)).unwrap();
    sock
}

/// `--max-io` with UDP, client or server (a UDP listener among TCP ones included), fails before
/// any socket is made, and says why: a datagram cannot be read in pieces.
#[test]
fn max_io_is_refused_for_udp_and_says_why() {
    let runs: [&[&str]; 4] = [
        &["client", "--udp", "--port", "9", "--max-io", "1"],
        &["server", "--udp", "--port", "0", "--max-io", "1"],
        &[
            "server",
            "--model",
            "poll",
            "--bind",
            "127.0.0.1",
            "--listen",
            "upper:0",
            "--listen",
            "upper:0/udp",
            "--max-io",
            "3",
        ],
        &[
            "client",
            "--udp",
            "--connect",
            "--port",
            "9",
            "--max-io",
            "7",
        ],
    ];
    for args in runs {
        let mut command = sockstep(args);
        command.arg("--narrate");
        let run = run_to_end(&mut command, b"bonjour\n");
        assert!(!run.status.success(), "{args:?}");
        assert_eq!(run.stdout, b"", "{args:?}");
        assert!(
            run.stderr.contains(
                "--max-io does not apply to UDP: it cuts reads and writes into pieces, which \
                 only a byte stream (TCP) puts back together; a datagram is read whole, or cut \
                 with its end lost (MSG_TRUNC)"
            ),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("socket("), "{args:?}: {}", run.stderr);
    }
}

/// The UDP server under `--interrupt 2`: its blocked `recvfrom()` (iterative) or wait (poll)
/// returns EINTR and is made again, said in the log; then every datagram gets its reply, and
/// the summary counts them.
#[test]
fn the_udp_server_retries_under_interrupt() {
    for (model, call) in [("iterative", "recvfrom"), ("poll", "poll")] {
        let mut server = Server::start(&[
            "--model",
            model,
            "--udp",
            "--port",
            "0",
            "--interrupt",
            "2",
            "--log",
            "data",
        ]);
        let retried = format!("{call}() returned EINTR");
        server
            .stderr
            .wait_for("an interrupted call", |l| l.contains(&retried));
        let sock = udp_socket();
        let mut bytes = 0;
        for i in 0..20 {
            let datagram = format!("datagramme {i}\n");
            sock.send_to(datagram.as_bytes(), server.addr()).unwrap();
            let mut buf = [0u8; 64];
            let (n, from) = sock.recv_from(&mut buf).expect("a reply");
            assert_eq!(from, server.addr(), "{model}");
            assert_eq!(&buf[..n], upper(&datagram).as_slice(), "{model}");
            bytes += n as u64;
        }
        let (_, bytes_in, bytes_out) = summary(&mut server);
        assert_eq!((bytes_in, bytes_out), (bytes, bytes), "{model}");
    }
}

/// The UDP client under `--interrupt 2`, connected or not: the test plays the server and
/// answers only once the client's log says its wait for the reply was interrupted and made
/// again; the reply is printed, and the client ends well.
#[test]
fn the_udp_client_retries_under_interrupt() {
    for (connect, call) in [(false, "recvfrom"), (true, "recv")] {
        let sock = udp_socket();
        let port = sock.local_addr().unwrap().port().to_string();
        let mut args = vec![
            "client",
            "--udp",
            "--port",
            &port,
            "--interrupt",
            "2",
            "--timeout",
            "20",
            "--log",
            "data",
        ];
        if connect {
            args.push("--connect");
        }
        let mut client = common::english_by_default(&mut sockstep(&args))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sockstep client");
        client
            .stdin
            .take()
            .unwrap()
            .write_all(b"bonjour\n")
            .unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = sock.recv_from(&mut buf).expect("the client's datagram");
        assert_eq!(&buf[..n], b"bonjour\n");
        // The client's log, line by line, until the retry of the wait shows.
        let stderr = BufReader::new(client.stderr.take().unwrap());
        let retried = format!("{call}() returned EINTR");
        let mut log = Vec::new();
        for line in stderr.lines() {
            let line = line.unwrap();
            let found = line.contains(&retried);
            log.push(line);
            if found {
                break;
            }
        }
        assert!(
            log.last().is_some_and(|l| l.contains(&retried)),
            "connect {connect}: {log:#?}"
        );
        sock.send_to(b"BONJOUR\n", from).unwrap();
        let status = common::wait_exit(&mut client);
        let mut out = String::new();
        client
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(status.success(), "connect {connect}: {log:#?}");
        assert_eq!(out, "BONJOUR\n", "connect {connect}");
    }
}

/// Runs the UDP client, interrupted every `interrupt_ms`, against a port where nobody answers,
/// with `--timeout timeout`; checks that it gave up saying so, and returns how long it took.
fn udp_client_gives_up(interrupt_ms: &str, timeout: &str, said: &str) -> Duration {
    let sock = udp_socket();
    let port = sock.local_addr().unwrap().port().to_string();
    let start = Instant::now();
    let run = run_client(
        &[
            "--udp",
            "--port",
            &port,
            "--interrupt",
            interrupt_ms,
            "--timeout",
            timeout,
        ],
        b"bonjour\n",
    );
    let elapsed = start.elapsed();
    assert!(!run.status.success());
    assert!(run.stderr.contains(said), "{}", run.stderr);
    elapsed
}

/// Interrupted every 2 ms, the UDP client still gives up on a reply that never comes after
/// `--timeout` (SO_RCVTIMEO starts again with each call: the client keeps the deadline).
#[test]
fn an_interrupted_udp_client_still_times_out() {
    let elapsed = udp_client_gives_up("2", "0.3", "no reply within 300ms");
    assert!(
        elapsed < Duration::from_secs(5),
        "the client waited {elapsed:?} for a 0.3 s timeout"
    );
}

/// An interrupt that comes while the UDP client waits does not give it a fresh `--timeout`:
/// interrupted at 600 ms of a 700 ms wait, it waits 100 ms more, not 700 (SO_RCVTIMEO would
/// start again whole; the client sets it to what is left). The old client gave up at the next
/// interrupt, after 1.2 s.
#[test]
fn an_interrupt_does_not_lengthen_the_udp_clients_wait() {
    let elapsed = udp_client_gives_up("600", "0.7", "no reply within 700ms");
    assert!(
        elapsed < Duration::from_millis(1000),
        "the client waited {elapsed:?} for a 0.7 s timeout"
    );
}
