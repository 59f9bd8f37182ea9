//! Faults on purpose: every model and the client stay exact under `--max-io` (real short reads
//! and writes), `--interrupt` (real EINTR from SIGALRM), and both at once.
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

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::thread;

use common::{Server, read_n, read_to_end, run_client};
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
