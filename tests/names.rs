//! IPv6, dual stack, names and byte order: the server over `::1`, an IPv4 client of a
//! dual-stack socket, `--v6only` and the EADDRINUSE it avoids, getaddrinfo narrated as a
//! library call, the client's walk through the addresses it returned (Beej's loop), and the
//! bytes of `struct sockaddr_in` as `sockstep addr` shows them.
//!
//! Loopback only (127.0.0.1 and ::1). The IPv6 tests say so and return when this machine has no
//! `::1` (no line for `lo` ending in ...01 in /proc/net/if_inet6).

mod common;

use std::net::{Ipv4Addr, SocketAddr};

use common::{Server, closed_port, connect, echo, run_client, run_to_end, sockstep};
use pretty_assertions::assert_eq;
use serde_json::Value;

const MODELS: &[&str] = &["iterative", "fork", "threads", "select", "poll", "mio"];

/// Does this machine have the IPv6 loopback address? Prints a one-line notice when not.
fn has_ipv6_loopback() -> bool {
    let table = std::fs::read_to_string("/proc/net/if_inet6").unwrap_or_default();
    let has = table
        .lines()
        .any(|l| l.starts_with("00000000000000000000000000000001 "));
    if !has {
        eprintln!("skipped: this machine has no ::1 (nothing in /proc/net/if_inet6)");
    }
    has
}

/// Every model serves a client over TCP on `::1`: `socket(AF_INET6)`, the parrot's reply.
#[test]
fn every_model_serves_over_ipv6_loopback() {
    if !has_ipv6_loopback() {
        return;
    }
    for model in MODELS {
        let server = Server::start(&["--model", model, "--bind", "::1", "--port", "0"]);
        assert_eq!(server.addr().ip().to_string(), "::1", "{model}");
        let port = server.addr().port().to_string();
        let run = run_client(
            &["--host", "::1", "--port", &port],
            "bonjour\nça va ?\n".as_bytes(),
        );
        assert!(run.status.success(), "{model}: {}", run.stderr);
        assert_eq!(run.stdout_text(), "BONJOUR\nÇA VA ?\n", "{model}");
    }
}

/// `--bind ::` sets IPV6_V6ONLY to 0, said as strace says it, and an IPv4 client of that
/// socket is logged as the IPv4-mapped address `::ffff:127.0.0.1`.
#[test]
fn a_dual_stack_socket_takes_an_ipv4_client() {
    if !has_ipv6_loopback() {
        return;
    }
    let server = Server::start(&["--bind", "::", "--port", "0", "--narrate"]);
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, server.addr().port()));
    let mut stream = connect(v4);
    assert_eq!(echo(&mut stream, b"salut\n"), b"SALUT\n");
    server.stderr.wait_for("setsockopt IPV6_V6ONLY", |l| {
        l.contains("setsockopt(3, SOL_IPV6, IPV6_V6ONLY, [0], 4) = 0")
    });
    server.stderr.wait_for("an IPv4-mapped client", |l| {
        l.contains("[::ffff:127.0.0.1]:")
    });
}

/// The two designs of a server for both families. One dual-stack socket on `::` holds the
/// IPv4 side of its port too: a second server on `0.0.0.0`, same port, meets EADDRINUSE.
/// With `--v6only` (IPV6_V6ONLY=1) both bind, and the IPv4 client reaches the IPv4 socket.
#[test]
fn v6only_leaves_the_ipv4_port_to_another_socket() {
    if !has_ipv6_loopback() {
        return;
    }
    let dual = Server::start(&["--bind", "::", "--port", "0"]);
    let port = dual.addr().port().to_string();
    let refused = run_to_end(
        &mut sockstep(&["server", "--bind", "0.0.0.0", "--port", &port]),
        b"",
    );
    assert!(!refused.status.success());
    assert!(
        refused
            .stderr
            .contains(&format!("bind(0.0.0.0:{port}): EADDRINUSE")),
        "{}",
        refused.stderr
    );
    drop(dual);

    let v6 = Server::start(&["--bind", "::", "--port", "0", "--v6only", "--narrate"]);
    v6.stderr.wait_for("IPV6_V6ONLY set to 1", |l| {
        l.contains("setsockopt(3, SOL_IPV6, IPV6_V6ONLY, [1], 4) = 0")
    });
    let port = v6.addr().port().to_string();
    let v4 = Server::start(&["--bind", "0.0.0.0", "--port", &port]);
    let mut stream = connect(SocketAddr::from((Ipv4Addr::LOCALHOST, v4.addr().port())));
    assert_eq!(echo(&mut stream, b"v4\n"), b"V4\n");
    v4.stderr
        .wait_for("the IPv4 socket's client", |l| l.contains("127.0.0.1:"));
    assert!(
        !v6.stderr.text().contains("::ffff:"),
        "the IPv6-only socket saw an IPv4 client:\n{}",
        v6.stderr.text()
    );
}

/// The addresses a `getaddrinfo` narration line lists: `..., [127.0.0.1:6789, [::1]:6789]) →`.
fn listed(line: &str) -> Vec<SocketAddr> {
    let list = line
        .split("SOCK_STREAM}, [")
        .nth(1)
        .and_then(|rest| rest.split("]) → ").next())
        .unwrap_or_else(|| panic!("no address list in {line:?}"));
    list.split(", ")
        .map(|a| {
            a.parse()
                .unwrap_or_else(|e| panic!("{a:?} in {line:?}: {e}"))
        })
        .collect()
}

/// getaddrinfo's narration from a client's stderr, on one line.
fn resolution(stderr: &str) -> String {
    common::unwrapped(stderr)
        .lines()
        .find(|l| l.starts_with("[client] getaddrinfo(\"localhost\""))
        .unwrap_or_else(|| panic!("no getaddrinfo narration:\n{stderr}"))
        .to_string()
}

/// `--host localhost`: getaddrinfo is narrated as a library call, not as an strace line, with
/// the addresses in the order it returned them (whatever this machine's /etc/hosts says);
/// with nobody listening, the client tries each in that order, says why it moves on to the
/// next, and fails with the last one's error.
#[test]
fn the_client_tries_every_address_getaddrinfo_returned() {
    let port = closed_port().to_string();
    let run = run_client(&["--host", "localhost", "--port", &port, "--narrate"], b"");
    assert!(!run.status.success());
    let line = resolution(&run.stderr);
    assert!(
        line.contains(&format!(
            "getaddrinfo(\"localhost\", \"{port}\", {{ai_flags=0, ai_family=AF_UNSPEC, \
             ai_socktype=SOCK_STREAM}}, ["
        )) && line.contains("]) → 0   [application · OSI 7: a library call, not a system call"),
        "{line}"
    );
    let addrs = listed(&line);
    assert!(!addrs.is_empty());
    let tried: Vec<String> = run
        .stderr
        .lines()
        .filter(|l| l.contains(" failed (connect("))
        .map(|l| l.to_string())
        .collect();
    assert_eq!(tried.len(), addrs.len() - 1, "{}", run.stderr);
    for (i, line) in tried.iter().enumerate() {
        let (addr, next) = (addrs[i], addrs[i + 1]);
        assert!(
            line.starts_with(&format!(
                "[client] {addr} failed (connect({addr}): ECONNREFUSED"
            )) && line.ends_with(&format!("trying the next address, {next}.")),
            "{line}"
        );
    }
    // The last address's failure is the client's error, said once.
    let last = addrs[addrs.len() - 1];
    assert!(
        run.stderr
            .contains(&format!("sockstep: error: connect({last}): ECONNREFUSED")),
        "{}",
        run.stderr
    );
}

/// Beej's loop reaching its server: a server bound to the last address getaddrinfo returns
/// for localhost (127.0.0.1 where /etc/hosts has only that line; ::1 after 127.0.0.1, or the
/// reverse, elsewhere). Every address before it is refused, each said; the last one answers.
#[test]
fn the_client_falls_back_to_the_address_that_answers() {
    let probe = run_client(
        &[
            "--host",
            "localhost",
            "--port",
            &closed_port().to_string(),
            "--narrate",
        ],
        b"",
    );
    let addrs = listed(&resolution(&probe.stderr));
    let last = addrs[addrs.len() - 1];
    assert!(last.ip().is_loopback(), "localhost resolves to {last}");
    if last.is_ipv6() && !has_ipv6_loopback() {
        return;
    }
    let server = Server::start(&["--bind", &last.ip().to_string(), "--port", "0"]);
    let port = server.addr().port();
    let run = run_client(
        &[
            "--host",
            "localhost",
            "--port",
            &port.to_string(),
            "--narrate",
        ],
        b"hello\n",
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.stdout_text(), "HELLO\n");
    let refused = run.stderr.matches(" failed (connect(").count();
    assert_eq!(refused, addrs.len() - 1, "{}", run.stderr);
    let connected = SocketAddr::new(last.ip(), port);
    assert!(
        run.stderr
            .contains(&format!("[client] connected to {connected}.")),
        "{}",
        run.stderr
    );
}

/// `--bind localhost` resolves through the same wrapper (AI_PASSIVE), binds the first IPv4
/// address it returns (else its first), and the record marks the line a library call: `"library": true`, no syscall.
#[test]
fn bind_accepts_a_name_and_the_record_marks_the_library_call() {
    let dir = common::scratch_dir("names-record");
    let events = dir.join("server.jsonl");
    let events_arg = events.to_string_lossy().into_owned();
    let server = Server::start(&[
        "--bind",
        "localhost",
        "--port",
        "0",
        "--narrate",
        "--events",
        &events_arg,
    ]);
    assert!(server.addr().ip().is_loopback(), "{}", server.addr());
    // The narration of listen(), after the whole of getaddrinfo's (its continuation lines may
    // reach the reader after its first line).
    server.stderr.wait_for("listen", |l| l.contains("listen("));
    let line = common::unwrapped(&server.stderr.text())
        .lines()
        .find(|l| l.contains("getaddrinfo("))
        .map(str::to_string)
        .unwrap();
    assert!(
        line.contains("{ai_flags=AI_PASSIVE, ai_family=AF_UNSPEC, ai_socktype=SOCK_STREAM}"),
        "{line}"
    );
    // Its first IPv4 address, else its first (the course is IPv4).
    let addrs = listed(&line);
    let first = *addrs.iter().find(|a| a.is_ipv4()).unwrap_or(&addrs[0]);
    assert_eq!(first.ip(), server.addr().ip(), "{line}");
    let record = std::fs::read_to_string(&events).unwrap();
    let call: Value = record
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["call"] == "getaddrinfo")
        .unwrap_or_else(|| panic!("no getaddrinfo in the record:\n{record}"));
    assert_eq!(call["kind"], "call");
    assert_eq!(call["library"], true);
    assert_eq!(call["syscall"], Value::Null);
    assert_eq!(call["args"]["node"], "\"localhost\"");
    assert_eq!(call["args"]["res"][0]["ip"], first.ip().to_string());
    assert_eq!(call["layer"]["osi"], "7");
    // The system calls' lines have no `library` field: schema 1 as it was.
    let socket: Value = record
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["call"] == "socket")
        .unwrap();
    assert!(socket.get("library").is_none(), "{socket}");
}

/// The bytes of `sockstep addr`, exactly: sin_family in host order (02 00 on x86-64),
/// sin_port = htons(6789) = 1a 85, the address in network order, zero padding.
#[test]
fn addr_prints_the_bytes_the_kernel_receives() {
    let bytes_of = |addr: &str| {
        let run = run_to_end(&mut sockstep(&["addr", addr]), b"");
        assert!(run.status.success(), "{}", run.stderr);
        let out = run.stdout_text();
        out.lines()
            .find_map(|l| l.strip_prefix("bytes: "))
            .unwrap_or_else(|| panic!("no bytes line:\n{out}"))
            .to_string()
    };
    let family = |f: u16| {
        let b = f.to_ne_bytes();
        format!("{:02x} {:02x}", b[0], b[1])
    };
    assert_eq!(
        bytes_of("127.0.0.1:6789"),
        format!("{} 1a 85 7f 00 00 01 00 00 00 00 00 00 00 00", family(2))
    );
    assert_eq!(
        bytes_of("0.0.0.0:6789"),
        format!("{} 1a 85 00 00 00 00 00 00 00 00 00 00 00 00", family(2))
    );
    assert_eq!(
        bytes_of("[::1]:6789"),
        format!(
            "{} 1a 85 00 00 00 00 {} 00 00 00 00",
            family(10),
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
        )
    );
}

/// `PORT` for the server's port in the book's transcripts (the tests bind port 0), and
/// `CLIENT_PORT` for the client's ephemeral port.
fn for_the_book(lines: &[String], port: u16) -> String {
    let mut out = String::new();
    for line in lines {
        let mut line = line
            .replace(&format!("htons({port})"), "htons(PORT)")
            .replace(&format!("\"{port}\""), "\"PORT\"")
            .replace(&format!(":{port}"), ":PORT");
        // The client's port follows `]:` in a logged IPv6 address.
        if let Some((head, tail)) = line.split_once("]:")
            && let end = tail
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(tail.len())
            && end > 0
            && !tail.starts_with("PORT")
        {
            line = format!("{head}]:CLIENT_PORT{}", &tail[end..]);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The IPv6 page's transcript: the dual-stack server's setup, narrated, and the log line of an
/// IPv4 client; then the second design's EADDRINUSE without --v6only.
#[test]
fn the_ipv6_page_is_a_real_run() {
    if !has_ipv6_loopback() {
        return;
    }
    let server = Server::start(&["--bind", "::", "--port", "0", "--narrate", "--log", "conn"]);
    let port = server.addr().port();
    let mut stream = connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    assert_eq!(echo(&mut stream, b"salut\n"), b"SALUT\n");
    server
        .stderr
        .wait_for("the client's log line", |l| l.contains("connection from"));
    // The setup's narrations, each with the indented lines that go on with it, and the log.
    let mut keep = false;
    let lines: Vec<String> = server
        .stderr
        .all()
        .into_iter()
        .filter(|l| {
            if !l.starts_with("    ") {
                keep = [
                    "socket(",
                    "setsockopt(",
                    "bind(",
                    "listen(",
                    "connection from",
                ]
                .iter()
                .any(|call| l.contains(call));
            }
            keep
        })
        .collect();
    common::strace::check_or_bless_block(
        "docs/src/ipv6.md",
        "dual stack",
        &common::strace::text_block(&for_the_book(&lines, port)),
    );
    let refused = run_to_end(
        &mut sockstep(&["server", "--bind", "0.0.0.0", "--port", &port.to_string()]),
        b"",
    );
    common::strace::check_or_bless_block(
        "docs/src/ipv6.md",
        "eaddrinuse",
        &common::strace::text_block(&for_the_book(
            &[refused.stderr.trim_end().to_string()],
            port,
        )),
    );
}

/// The names page's transcript: `--host localhost` against a server on the last address
/// getaddrinfo returns here. It depends on /etc/hosts: on a machine whose list differs from the
/// page's, the test says so and compares nothing (the other tests check the loop there).
#[test]
fn the_names_page_is_a_real_run() {
    let probe = run_client(
        &[
            "--host",
            "localhost",
            "--port",
            &closed_port().to_string(),
            "--narrate",
        ],
        b"",
    );
    let addrs = listed(&resolution(&probe.stderr));
    let page = std::fs::read_to_string(common::strace::root().join("docs/src/names.md")).unwrap();
    let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    let marker = format!("<!-- localhost here: {} -->", shown.join(", "));
    if std::env::var_os("SOCKSTEP_BLESS").is_none() && !page.contains(&marker) {
        eprintln!("skipped: localhost resolves here to {shown:?}, not to the page's list");
        return;
    }
    let last = addrs[addrs.len() - 1];
    let server = Server::start(&["--bind", &last.ip().to_string(), "--port", "0"]);
    let port = server.addr().port();
    let run = run_client(
        &[
            "--host",
            "localhost",
            "--port",
            &port.to_string(),
            "--narrate",
        ],
        b"",
    );
    assert!(run.status.success(), "{}", run.stderr);
    let lines: Vec<String> = run
        .stderr
        .lines()
        .take_while(|l| !l.contains("end of input"))
        .filter(|l| !l.contains("TCP_INFO"))
        .map(|l| l.to_string())
        .collect();
    let block = format!(
        "{marker}\n{}",
        common::strace::text_block(&for_the_book(&lines, port))
    );
    common::strace::check_or_bless_block("docs/src/names.md", "localhost", &block);
}

/// strace of `client --host localhost`: no line is called getaddrinfo. The resolver's own calls
/// come first (`/etc/hosts` opened before the client's first IPv4 or IPv6 socket); with them
/// left out by the rule of [`common::strace::tcp_story_lines`] (the family and the type), every
/// `socket()` and `connect()` strace shows is narrated, one for one, in strace's words.
#[test]
fn getaddrinfo_under_strace_is_the_resolvers_own_calls() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let port = closed_port().to_string();
    let dir = common::scratch_dir("names-strace");
    let out = dir.join("client.strace");
    let run = run_to_end(
        std::process::Command::new("strace")
            .arg("-o")
            .arg(&out)
            .args([
                "-e",
                "trace=socket,connect,openat,close",
                common::BIN,
                "client",
            ])
            .args(["--host", "localhost", "--port", &port, "--narrate"]),
        b"",
    );
    assert!(!run.status.success(), "nothing listens on {port}");
    let trace = std::fs::read_to_string(&out).unwrap();
    assert!(!trace.contains("getaddrinfo"), "{trace}");
    let at = |pred: &dyn Fn(&str) -> bool| trace.lines().position(pred);
    let hosts = at(&|l| l.starts_with("openat(") && l.contains("\"/etc/hosts\""));
    let first_tcp = at(&|l| l.starts_with("socket(AF_INET") && l.contains("SOCK_STREAM"));
    assert!(
        hosts.is_some() && hosts < first_tcp,
        "the resolver reads /etc/hosts before the client's socket:\n{trace}"
    );
    let tcp_story = common::strace::tcp_story_lines(&trace);
    let squeeze = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    let narrated: Vec<String> = common::narration(&run.stderr)
        .into_iter()
        .filter(|n| n.syscall == "socket" || n.syscall == "connect")
        .map(|n| squeeze(&n.strace))
        .collect();
    assert!(!narrated.is_empty());
    assert_eq!(narrated, tcp_story);
}
