//! The UDP parrot and the UDP client, over real loopback sockets: one datagram in, one
//! datagram out, byte for byte, on every model that serves UDP; what the models that cannot
//! serve it say; truncation, the reflection guards, the connected client's ECONNREFUSED and
//! the unconnected client's timeout; and strace's proof of the calls.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;

use common::strace::{
    Event, check_or_bless, check_or_bless_block, cut_strings, line, parse, socket_story, text_block,
};
use common::{BIN, LIMIT, Server, narration, run_client, scratch_dir, sockstep};
use pretty_assertions::assert_eq;

/// The models that serve UDP.
const UDP_MODELS: &[&str] = &["iterative", "select", "poll", "mio"];

/// A UDP socket of the test's own on 127.0.0.1, any port, whose receive gives up after
/// [`LIMIT`]: a test never hangs on a datagram that does not come.
fn test_socket() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind a test UDP socket");
    sock.set_read_timeout(Some(LIMIT)).unwrap();
    sock
}

/// Sends `datagram` to `server` and returns the one datagram that comes back.
fn ask(sock: &UdpSocket, server: SocketAddr, datagram: &[u8]) -> Vec<u8> {
    sock.send_to(datagram, server).expect("sendto");
    let mut buf = vec![0u8; 65536];
    let (n, from) = sock.recv_from(&mut buf).expect("a reply datagram");
    assert_eq!(from, server, "the reply comes from the server's address");
    buf.truncate(n);
    buf
}

/// `sockstep server --model MODEL --udp --port 0 ARGS`: the UDP parrot on 127.0.0.1.
fn udp_server(model: &str, args: &[&str]) -> Server {
    let mut all = vec!["--model", model, "--udp", "--port", "0"];
    all.extend_from_slice(args);
    Server::start(&all)
}

/// Each datagram gets one datagram back, byte for byte: ASCII, Unicode (`ß` becomes `SS`,
/// `ΐ` grows 3 times, the most Unicode allows), bytes that are not UTF-8 (even a character's
/// first byte at the end: the rest can never come, since a datagram is whole), two lines in
/// one datagram (one reply), and the empty datagram (an empty reply) — on every UDP model.
#[test]
fn the_udp_parrot_byte_for_byte_on_every_model() {
    for model in UDP_MODELS {
        let server = udp_server(model, &[]);
        let line = server.stdout.all()[0].clone();
        assert!(
            line.starts_with("listening on 127.0.0.1:") && line.ends_with("/udp upper"),
            "{model}: {line:?}"
        );
        let sock = test_socket();
        let cases: &[(&[u8], &[u8])] = &[
            (b"bonjour\n", b"BONJOUR\n"),
            (
                "été à la plage, straße 😀\n".as_bytes(),
                "ÉTÉ À LA PLAGE, STRASSE 😀\n".as_bytes(),
            ),
            (
                "\u{390}\u{390}".as_bytes(),
                "\u{399}\u{308}\u{301}\u{399}\u{308}\u{301}".as_bytes(),
            ),
            (b"ab\xffcd\xc3(\n", b"AB\xffCD\xc3(\n"),
            (b"ok\xe2\x82", b"OK\xe2\x82"),
            (b"un\ndeux\n", b"UN\nDEUX\n"),
            (b"", b""),
        ];
        for (sent, expected) in cases {
            assert_eq!(
                ask(&sock, server.addr(), sent),
                *expected,
                "{model}: the reply to {sent:?}"
            );
        }
        // A burst: twenty datagrams queued before the server reads any. Each is answered
        // (mio's edge-triggered event comes once: the server must read until EAGAIN).
        for i in 0..20 {
            sock.send_to(format!("burst {i}").as_bytes(), server.addr())
                .unwrap();
        }
        let mut buf = [0u8; 64];
        let mut replies: Vec<String> = (0..20)
            .map(|_| {
                let (n, _) = sock.recv_from(&mut buf).expect("a reply to the burst");
                String::from_utf8_lossy(&buf[..n]).into_owned()
            })
            .collect();
        replies.sort();
        let mut expected: Vec<String> = (0..20).map(|i| format!("BURST {i}")).collect();
        expected.sort();
        assert_eq!(replies, expected, "{model}");
    }
}

/// `sockstep client --udp` sends one datagram per line and prints each reply.
#[test]
fn the_udp_client_talks_to_the_udp_parrot() {
    for model in ["iterative", "mio"] {
        let server = udp_server(model, &[]);
        let port = server.addr().port().to_string();
        let run = run_client(
            &["--udp", "--port", &port, "--narrate"],
            "bonjour\nça va ?\nsans fin".as_bytes(),
        );
        assert!(run.status.success(), "{model}: {}", run.stderr);
        assert_eq!(run.stdout_text(), "BONJOUR\nÇA VA ?\nSANS FIN", "{model}");
        let calls: Vec<String> = narration(&run.stderr)
            .into_iter()
            .map(|n| n.syscall)
            .collect();
        assert_eq!(
            calls,
            [
                "socket",
                "setsockopt",
                "sendto",
                "recvfrom",
                "sendto",
                "recvfrom",
                "sendto",
                "recvfrom",
                "close"
            ],
            "{model}: no connect, no shutdown: {}",
            run.stderr
        );
        // Connected: connect() once, then send() and recv() (sendto and recvfrom with no
        // address, as strace shows them).
        let run = run_client(
            &["--udp", "--connect", "--port", &port, "--narrate"],
            b"connecte
",
        );
        assert!(run.status.success(), "{model}: {}", run.stderr);
        assert_eq!(run.stdout_text(), "CONNECTE\n", "{model}");
        let calls: Vec<String> = narration(&run.stderr)
            .into_iter()
            .map(|n| n.strace)
            .collect();
        assert!(calls[2].starts_with("connect(3, "), "{calls:?}");
        assert!(calls[3].ends_with(", 0, NULL, 0) = 9"), "{calls:?}");
        assert!(calls[4].ends_with(", 0, NULL, NULL) = 9"), "{calls:?}");
    }
}

/// The event loops serve a TCP listener and a UDP socket side by side, in one thread, on one
/// wait: a TCP client's line and a datagram, interleaved, each answered on its own transport.
#[test]
fn tcp_and_udp_side_by_side_in_one_event_loop() {
    for model in ["select", "poll", "mio"] {
        let mut command = Command::new(BIN);
        command.args(["server", "--model", model, "--bind", "127.0.0.1"]);
        command.args(["--listen", "upper:0", "--listen", "upper:0/udp"]);
        let server = Server::start_with(&mut command, 2);
        let lines = server.stdout.all();
        assert!(
            lines[0].ends_with(" upper") && !lines[0].contains("/udp"),
            "{lines:?}"
        );
        assert!(lines[1].ends_with("/udp upper"), "{lines:?}");
        let mut tcp = common::connect(server.addrs[0]);
        let udp = test_socket();
        for round in 0..3 {
            let text = format!("tour {round}\n");
            let upper = text.to_uppercase();
            assert_eq!(
                common::echo(&mut tcp, text.as_bytes()),
                upper.as_bytes(),
                "{model}"
            );
            assert_eq!(
                ask(&udp, server.addrs[1], text.as_bytes()),
                upper.as_bytes(),
                "{model}"
            );
        }
    }
}

/// A datagram longer than the course's 1024-byte buffer is cut: the server knows it
/// (`recvfrom(..., MSG_TRUNC, ...) = 2000`), says so in its log, and answers the 1024 bytes it
/// kept, in one datagram. With `--buf 2000` it keeps it all.
#[test]
fn a_datagram_longer_than_the_buffer_is_cut_and_said() {
    for model in UDP_MODELS {
        let server = udp_server(model, &["--narrate"]);
        let sock = test_socket();
        let reply = ask(&sock, server.addr(), &[b'a'; 2000]);
        assert_eq!(reply, vec![b'A'; 1024], "{model}");
        let said = server.stderr.wait_for_whole("the cut", |l| {
            l.contains("had 2000 bytes") && l.contains("(MSG_TRUNC)")
        });
        assert!(said.contains("kept 1024 bytes (MSG_TRUNC)"), "{said}");
        // The call's narration came before the log line, from the same thread.
        let call = common::narration(&server.stderr.text())
            .into_iter()
            .find(|n| n.syscall == "recvfrom" && n.strace.ends_with(") = 2000"))
            .map(|n| format!("{}   [{}]", n.strace, n.bracket))
            .unwrap_or_else(|| panic!("{model}: no recvfrom = 2000 narrated"));
        assert!(call.contains(", 1024, MSG_TRUNC, "), "{call}");
        assert!(call.contains("cut to 1024 bytes: MSG_TRUNC"), "{call}");
        // `--buf` keeps more: the same datagram comes back whole.
        let server = udp_server(model, &["--buf", "2000"]);
        assert_eq!(
            ask(&sock, server.addr(), &[b'a'; 2000]),
            [b'A'; 2000],
            "{model}"
        );
    }
}

/// Datagrams from a source port below 1024 (a system service's) get no reply, and the refusal
/// is logged once for that source, not once per datagram. Binding such a port needs root: the
/// test says so and checks nothing else when it is not.
#[test]
fn a_source_port_below_1024_is_never_answered() {
    let low = (600..1000).find_map(|port| UdpSocket::bind(("127.0.0.1", port)).ok());
    let Some(low) = low else {
        eprintln!(
            "NOTICE: skipped: binding a UDP port below 1024 needs root (or CAP_NET_BIND_SERVICE)"
        );
        return;
    };
    for model in ["iterative", "poll"] {
        let server = udp_server(model, &[]);
        for _ in 0..3 {
            low.send_to(b"echo storm\n", server.addr()).unwrap();
        }
        // The iterative and poll servers read their socket in order: once a later datagram
        // from a high port is answered, the three before it were read.
        let high = test_socket();
        assert_eq!(ask(&high, server.addr(), b"after\n"), b"AFTER\n");
        server.stderr.wait_for("the reply's log", |l| {
            l.contains("sending a datagram of 6 bytes")
        });
        let refusals = server
            .stderr
            .all()
            .into_iter()
            .filter(|l| l.contains("source port below 1024"))
            .count();
        assert_eq!(refusals, 1, "{model}: {}", server.stderr.text());
        low.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 64];
        let got = low.recv_from(&mut buf);
        assert!(
            matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "{model}: the low port got {got:?}"
        );
        low.set_nonblocking(false).unwrap();
    }
}

/// A port where nothing is bound: the kernel gives a free one, and it is released at once.
fn closed_udp_port() -> u16 {
    test_socket().local_addr().unwrap().port()
}

/// When nobody listens, the server's machine answers "ICMP port unreachable". A connected
/// UDP socket hears it: `recv()` fails with ECONNREFUSED at once. An unconnected one never
/// does: it only times out.
#[test]
fn connected_hears_econnrefused_unconnected_only_times_out() {
    let port = closed_udp_port().to_string();
    let connected = run_client(&["--udp", "--connect", "--port", &port], b"hello\n");
    assert!(!connected.status.success());
    assert!(
        connected.stderr.contains("recv(3): ECONNREFUSED")
            && connected.stderr.contains("ICMP port unreachable"),
        "{}",
        connected.stderr
    );
    assert!(
        !connected.stderr.contains("no reply within"),
        "{}",
        connected.stderr
    );
    let unconnected = run_client(&["--udp", "--timeout", "0.3", "--port", &port], b"hello\n");
    assert!(!unconnected.status.success());
    assert!(
        !unconnected.stderr.contains("ECONNREFUSED"),
        "{}",
        unconnected.stderr
    );
    assert!(
        unconnected.stderr.contains("no reply within 300ms"),
        "{}",
        unconnected.stderr
    );
}

/// A server that reads each datagram and never answers: the client waits `--timeout` for each
/// line, says that no reply came and why (UDP sends nothing again), goes on with the next
/// line, and ends in failure, counting the lines that went unanswered.
#[test]
fn a_lost_reply_is_a_timeout_message() {
    let silent = test_socket();
    let port = silent.local_addr().unwrap().port().to_string();
    let run = run_client(
        &["--udp", "--timeout", "0.3", "--port", &port],
        b"un\ndeux\n",
    );
    let mut buf = [0u8; 64];
    for expected in [&b"un\n"[..], b"deux\n"] {
        let (n, _) = silent.recv_from(&mut buf).expect("the client's datagram");
        assert_eq!(&buf[..n], expected, "each line is one datagram");
    }
    assert!(!run.status.success());
    assert_eq!(run.stdout, b"");
    let timeouts = run.stderr.matches("no reply within 300ms").count();
    assert_eq!(timeouts, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("nothing") || run.stderr.contains("never sends a datagram again"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("datagrams without a reply: 2 of 2"),
        "{}",
        run.stderr
    );
}

/// What cannot serve UDP says why, before making any socket: fork and threads (nothing to
/// accept, so nothing to hand to a process or a thread), a wildcard or broadcast bind (it
/// would receive broadcasts), and daytime (an amplifier).
#[test]
fn what_cannot_serve_udp_says_why() {
    let refused: &[(&[&str], &str)] = &[
        (
            &["--model", "fork", "--udp", "--port", "0"],
            "the fork model cannot serve UDP",
        ),
        (
            &["--model", "threads", "--udp", "--port", "0"],
            "the threads model cannot serve UDP",
        ),
        (
            &["--udp", "--port", "0", "--bind", "0.0.0.0"],
            "will not bind 0.0.0.0:0",
        ),
        (
            &["--udp", "--port", "0", "--bind", "255.255.255.255"],
            "will not bind 255.255.255.255:0",
        ),
        (
            &[
                "--model",
                "poll",
                "--bind",
                "127.0.0.1",
                "--listen",
                "daytime:0/udp",
            ],
            "daytime is not served over UDP",
        ),
    ];
    for (args, why) in refused {
        let mut command = sockstep(&["server"]);
        command.args(*args);
        let run = common::run_to_end(&mut command, b"");
        assert!(!run.status.success(), "{args:?}");
        assert_eq!(run.stdout, b"", "{args:?}: no listening line");
        assert!(run.stderr.contains(why), "{args:?}: {}", run.stderr);
    }
}

/// strace's proof: the UDP server makes socket(SOCK_DGRAM), bind, then recvfrom and sendto,
/// and no setsockopt, listen nor accept; each narration line of those calls is strace's own
/// line for it.
#[test]
fn strace_shows_the_udp_calls_and_no_listen_nor_accept() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let dir = scratch_dir("udp-strace");
    let trace_path = dir.join("server.trace");
    let mut command = Command::new("strace");
    command.args(["-f", "-qq", "-s", "4096", "-e", "trace=network", "-o"]);
    command.arg(&trace_path);
    command.args([BIN, "server", "--udp", "--port", "0", "--once", "--narrate"]);
    let mut server = Server::start_with(&mut command, 1);
    let sock = test_socket();
    assert_eq!(ask(&sock, server.addr(), b"bonjour\n"), b"BONJOUR\n");
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let trace = std::fs::read_to_string(&trace_path).unwrap();
    let calls: Vec<Event> = parse(&trace)
        .into_iter()
        .filter(|e| matches!(e, Event::Call { .. }))
        .collect();
    let names: Vec<String> = calls
        .iter()
        .map(|e| line(e).split('(').next().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["socket", "bind", "getsockname", "recvfrom", "sendto"]
    );
    assert!(line(&calls[0]).starts_with("socket(AF_INET, SOCK_DGRAM, IPPROTO_IP)"));
    let narrated: Vec<String> = narration(&server.stderr.text())
        .into_iter()
        .filter(|n| n.syscall != "rt_sigaction" && n.syscall != "close")
        .map(|n| n.strace)
        .collect();
    let traced: Vec<String> = calls.iter().map(|e| cut_strings(&line(e), 32)).collect();
    assert_eq!(narrated, traced);
}

/// `--events` records the UDP calls as it records every call: recvfrom with its MSG_TRUNC
/// flag and the sender's address, sendto with the destination.
#[test]
fn the_event_record_has_the_udp_calls() {
    let dir = scratch_dir("udp-events");
    let path = dir.join("events.jsonl");
    let _ = std::fs::remove_file(&path);
    let path_arg = path.to_str().unwrap();
    let mut server = udp_server("iterative", &["--once", "--events", path_arg]);
    let sock = test_socket();
    assert_eq!(ask(&sock, server.addr(), b"abc"), b"ABC");
    assert!(server.wait_exit().success());
    let record = std::fs::read_to_string(&path).unwrap();
    let calls: Vec<serde_json::Value> = record
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["kind"] == "call" || v.get("call").is_some())
        .collect();
    let names: Vec<&str> = calls.iter().filter_map(|v| v["call"].as_str()).collect();
    assert_eq!(
        names,
        [
            "socket",
            "bind",
            "getsockname",
            "sigaction",
            "sigaction",
            "recvfrom",
            "sendto",
            "close"
        ]
    );
    let recvfrom = &calls[5];
    assert_eq!(recvfrom["ret"], 3);
    let text = recvfrom.to_string();
    assert!(text.contains("MSG_TRUNC"), "{text}");
    assert!(
        text.contains(&sock.local_addr().unwrap().port().to_string()),
        "{text}"
    );
    let sendto = calls[6].to_string();
    assert!(
        sendto.contains("616263") || sendto.contains("414243"),
        "{sendto}"
    );
}

/// The iterative UDP server stops on SIGTERM while blocked in recvfrom() (EINTR), closes its socket and exits 0.
#[test]
fn sigterm_stops_the_udp_server() {
    let mut server = udp_server("iterative", &[]);
    // Once a datagram is answered, the handlers are in place (they are installed before the
    // first recvfrom()).
    assert_eq!(ask(&test_socket(), server.addr(), b"x"), b"X");
    server.signal(nix::sys::signal::Signal::SIGTERM as i32);
    let status = server.wait_exit();
    assert!(status.success());
    server.stderr.wait_closed();
    assert!(
        server.stderr.text().contains("closing the UDP socket"),
        "{}",
        server.stderr.text()
    );
}

/// Runs `sockstep ARGS` under `strace -f` with `input` on its stdin; returns the run and the
/// trace's normalised socket story.
fn traced(args: &[&str], input: &[u8], name: &str) -> (common::ClientRun, String) {
    let dir = scratch_dir(name);
    let trace_path = dir.join("trace");
    let mut command = Command::new("strace");
    command.args(["-f", "-qq", "-o"]);
    command.arg(&trace_path).arg(BIN).args(args);
    let run = common::run_to_end(&mut command, input);
    let trace = std::fs::read_to_string(&trace_path).unwrap();
    (run, socket_story(&trace))
}

/// Runs `sockstep server --model MODEL --udp --port 0` under `strace -f` while `sockstep
/// client --udp` (itself under strace) sends `bonjour`, then a line of 1500 `a`, one datagram
/// each; stops the server with SIGTERM. Returns the server's and the client's normalised
/// socket stories.
///
/// The second line is written to the client only once the server sleeps in its wait again:
/// an event loop reads its UDP socket until EAGAIN after each reply, and a client quick enough
/// to send its next datagram before that read would change the story (the datagram read at
/// once, no EAGAIN in between).
fn udp_run_traced(model: &str) -> (String, String) {
    use std::io::Write as _;
    let dir = scratch_dir(&format!("udp-book-{model}"));
    let trace_path = dir.join("server.trace");
    let mut command = Command::new("strace");
    command.args(["-f", "-qq", "-o"]);
    command.arg(&trace_path);
    command.args([BIN, "server", "--model", model, "--udp", "--port", "0"]);
    let mut server = Server::start_with(&mut command, 1);
    let port = server.addr().port().to_string();

    let client_trace = dir.join("client.trace");
    let mut client = Command::new("strace");
    client.args(["-f", "-qq", "-o"]).arg(&client_trace).arg(BIN);
    client.args(["client", "--udp", "--port", &port]);
    let mut client = common::english_by_default(&mut client)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the traced client");
    let stdout = common::Lines::collect(client.stdout.take().unwrap());
    let stderr = common::Lines::collect(client.stderr.take().unwrap());
    let mut stdin = client.stdin.take().unwrap();
    stdin.write_all(b"bonjour\n").unwrap();
    stdout.wait_for("the first reply", |l| l == "BONJOUR");
    common::wait_until("the server waits again", || {
        common::all_asleep(server.pid())
    });
    let mut long = vec![b'a'; 1500];
    long.push(b'\n');
    stdin.write_all(&long).unwrap();
    drop(stdin);
    assert!(
        common::wait_exit(&mut client).success(),
        "{model}: {}",
        stderr.text()
    );
    stdout.wait_closed();
    assert_eq!(
        stdout.all(),
        ["BONJOUR".to_string(), "A".repeat(1024)],
        "{model}: the long line's reply is its first 1024 bytes"
    );
    // The server is strace's child: SIGTERM goes to it, and strace ends with it.
    let (pid, _) = common::children_of(server.pid())[0];
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(server.wait_exit().success(), "{model}");
    let trace = std::fs::read_to_string(&trace_path).unwrap();
    let client_trace = std::fs::read_to_string(&client_trace).unwrap();
    (socket_story(&trace), socket_story(&client_trace))
}

/// The book's page on UDP (`docs/src/udp.md`) shows real runs, checked here against drift
/// (`scripts/gen-docs.sh` rewrites them): each UDP model's socket story for one line and one
/// datagram too long for the buffer (also `tests/sequences/udp-MODEL.txt`), and the client's
/// side of the iterative run; then the client, connected and unconnected, sending to a port
/// where nothing is bound.
#[test]
fn the_book_shows_real_udp_runs() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    for model in UDP_MODELS {
        let (server_story, client) = udp_run_traced(model);
        check_or_bless(&format!("tests/sequences/udp-{model}.txt"), &server_story);
        let block = match *model {
            "iterative" => "udp server".to_string(),
            event_loop => format!("udp server {event_loop}"),
        };
        check_or_bless_block("docs/src/udp.md", &block, &text_block(&server_story));
        if *model == "iterative" {
            check_or_bless_block("docs/src/udp.md", "udp client", &text_block(&client));
        }
    }

    let closed = closed_udp_port().to_string();
    for (name, args) in [
        ("udp connected", &["--connect"][..]),
        ("udp unconnected", &["--timeout", "0.3"][..]),
    ] {
        let mut all = vec!["client", "--udp", "--port", &closed];
        all.extend_from_slice(args);
        let (run, story) = traced(&all, b"hello\n", "udp-book-refused");
        assert!(!run.status.success());
        // What the client says, without the lines that name the port: each log line with the
        // lines it goes on on (indented), as printed.
        let mut said_lines: Vec<Vec<&str>> = Vec::new();
        for line in run.stderr.lines() {
            match said_lines.last_mut() {
                Some(said) if line.starts_with("        ") => said.push(line),
                _ => said_lines.push(vec![line]),
            }
        }
        let said: String = said_lines
            .iter()
            .filter(|said| !said.iter().any(|l| l.contains(&closed)))
            .flatten()
            .map(|l| format!("{l}\n"))
            .collect();
        let block = format!("{story}\n$ # stderr:\n{said}");
        check_or_bless_block("docs/src/udp.md", name, &text_block(&block));
    }
}

/// The UDP parrot over IPv6 loopback: `socket(AF_INET6, SOCK_DGRAM)`, the same calls, the
/// `listening on [::1]:PORT/udp` line.
#[test]
fn the_udp_parrot_over_ipv6_loopback() {
    let server = udp_server("poll", &["--bind", "::1"]);
    assert!(server.addr().is_ipv6(), "{:?}", server.stdout.all());
    let sock = UdpSocket::bind("[::1]:0").expect("bind a test UDP socket on ::1");
    sock.set_read_timeout(Some(LIMIT)).unwrap();
    assert_eq!(
        ask(&sock, server.addr(), "été\n".as_bytes()),
        "ÉTÉ\n".as_bytes()
    );
}

/// IPV6_V6ONLY is set explicitly on a UDP socket too, as strace shows it: `[0]` by default,
/// `[1]` with `--v6only`, on every UDP model. Dual stack needs an IPv4 address the IPv6 socket
/// can hold: not `::` (a UDP listener refuses the wildcard, which receives multicast), but the
/// IPv4-mapped loopback `::ffff:127.0.0.1`. An IPv4 client sends to 127.0.0.1 and gets its
/// reply from 127.0.0.1, and the server saw it as `::ffff:127.0.0.1`. With `--v6only` the
/// socket is IPv6 only and cannot hold that address: bind() fails with EINVAL, and nothing
/// answers the IPv4 client.
#[test]
fn udp_sets_ipv6_v6only_and_serves_ipv4_on_a_mapped_address() {
    for model in UDP_MODELS {
        for (v6only, value) in [(false, "[0]"), (true, "[1]")] {
            let mut args = vec!["--bind", "::1", "--narrate"];
            if v6only {
                args.push("--v6only");
            }
            let server = udp_server(model, &args);
            let said = format!("SOL_IPV6, IPV6_V6ONLY, {value}, 4) = 0");
            server
                .stderr
                .wait_for("setsockopt IPV6_V6ONLY", |l| l.contains(&said));
            let sock = UdpSocket::bind("[::1]:0").expect("bind a test UDP socket on ::1");
            sock.set_read_timeout(Some(LIMIT)).unwrap();
            assert_eq!(
                ask(
                    &sock,
                    server.addr(),
                    b"six
"
                ),
                b"SIX
",
                "{model}"
            );
        }

        let server = udp_server(model, &["--bind", "::ffff:127.0.0.1"]);
        let line = server.stdout.all()[0].clone();
        assert!(
            line.starts_with("listening on [::ffff:127.0.0.1]:"),
            "{line}"
        );
        let v4 = SocketAddr::from(([127, 0, 0, 1], server.addr().port()));
        let sock = test_socket();
        assert_eq!(
            ask(
                &sock, v4, b"quatre
"
            ),
            b"QUATRE
",
            "{model}"
        );
        let client = sock.local_addr().unwrap().port();
        let seen = format!("from [::ffff:127.0.0.1]:{client}");
        server
            .stderr
            .wait_for("the IPv4 client, mapped", |l| l.contains(&seen));

        let mut command = sockstep(&["server", "--model", model, "--udp", "--port", "0"]);
        command.args(["--bind", "::ffff:127.0.0.1", "--v6only"]);
        let run = common::run_to_end(&mut command, b"");
        assert!(!run.status.success(), "{model}");
        assert_eq!(run.stdout, b"", "{model}: no listening line");
        assert!(
            run.stderr.contains("bind([::ffff:127.0.0.1]:0): EINVAL"),
            "{model}: {}",
            run.stderr
        );
    }
}

/// `--once` on UDP: one datagram answered, then the socket is closed and the server exits 0,
/// on the iterative model and on an event loop.
#[test]
fn once_serves_one_datagram() {
    for model in ["iterative", "mio"] {
        let mut server = udp_server(model, &["--once"]);
        assert_eq!(ask(&test_socket(), server.addr(), b"une fois"), b"UNE FOIS");
        assert!(server.wait_exit().success(), "{model}");
    }
}

/// A `sendto()` that a signal interrupts (EINTR, injected by strace on the first one: the
/// kernel will not make a UDP send wait on loopback) sent nothing; the server sends the reply
/// again, and the client gets it. It used to count the datagram lost.
#[test]
fn an_interrupted_sendto_is_sent_again() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let dir = scratch_dir("udp-sendto-eintr");
    let trace_path = dir.join("server.trace");
    let mut command = Command::new("strace");
    command.args([
        "-f",
        "-qq",
        "-e",
        "trace=sendto",
        "-e",
        "inject=sendto:error=EINTR:when=1",
    ]);
    command.arg("-o").arg(&trace_path);
    command.args([BIN, "server", "--udp", "--port", "0", "--once"]);
    let mut server = Server::start_with(&mut command, 1);
    let sock = test_socket();
    assert_eq!(ask(&sock, server.addr(), b"bonjour\n"), b"BONJOUR\n");
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let trace = std::fs::read_to_string(&trace_path).unwrap();
    let sends: Vec<&str> = trace.lines().filter(|l| l.contains("sendto(")).collect();
    assert_eq!(sends.len(), 2, "{trace}");
    assert!(
        sends[0].contains("EINTR") && sends[0].contains("(INJECTED)"),
        "{trace}"
    );
    assert!(sends[1].ends_with("= 8"), "{trace}");
}
