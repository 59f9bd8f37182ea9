//! `--narrate`: each system call in strace's notation, in the course's order, with the layer
//! it acts on, taken from the one table that `sockstep layers` prints.

mod common;

use common::{Server, echo, narrated_calls, narration, run_client, run_to_end, sockstep};
use pretty_assertions::assert_eq;
use sockstep::layers::TABLE;

/// The server narrates the course's server sequence, call by call: `socket`, `setsockopt`,
/// `bind`, `listen` (and `getsockname` for the real port), the SIGINT and SIGTERM handlers
/// (`rt_sigaction`, for the shutdown), then for the client `accept`, `setsockopt`
/// (TCP_NODELAY: Nagle's algorithm off), `getpeername`, one `recvfrom`/`sendto` per message, the `recvfrom` that returns 0, `close`,
/// and with `--once` the `close` of the listening socket: the program's own calls, and no
/// `getsockopt(TCP_INFO)` (that is `--tcp-states`).
#[test]
fn the_server_narrates_the_course_sequence() {
    let mut server = Server::loopback(&["--narrate", "--once"]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    drop(client);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    assert_eq!(
        narrated_calls(&server.stderr.text()),
        [
            "socket",
            "setsockopt",
            "bind",
            "listen",
            "getsockname",
            "rt_sigaction",
            "rt_sigaction",
            "accept",
            "setsockopt",
            "getpeername",
            "recvfrom",
            "sendto",
            "recvfrom",
            "close",
            "close",
        ]
    );
}

/// The client narrates the course's client sequence: `socket`, `connect`, `setsockopt`
/// (TCP_NODELAY: Nagle's algorithm off), `sendto` and
/// `recvfrom` for the line, then `shutdown` (the half-close), the `recvfrom` that returns 0
/// when the server has closed too, and `close`; no `getsockopt(TCP_INFO)` (that is
/// `--tcp-states`).
#[test]
fn the_client_narrates_the_course_sequence() {
    let server = Server::loopback(&["--log", "quiet"]);
    let port = server.addr().port().to_string();
    let run = run_client(&["--narrate", "--port", &port], b"bonjour\n");
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(
        narrated_calls(&run.stderr),
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
    let narrated = narration(&run.stderr);
    assert!(narrated.iter().all(|n| n.tag == "client"));
    assert!(
        narrated[3]
            .strace
            .starts_with("sendto(3, \"bonjour\\n\", 8, 0, NULL, 0) = 8"),
        "{}",
        narrated[3].strace
    );
}

/// Without `--narrate`, no narration line at all, on either side.
#[test]
fn without_narrate_no_narration_line() {
    let mut server = Server::loopback(&["--once"]);
    let port = server.addr().port().to_string();
    let run = run_client(&["--port", &port], b"bonjour\n");
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.stdout_text(), "BONJOUR\n");
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let server_log = server.stderr.text();
    assert!(server_log.contains("received 8 bytes"), "{server_log}");
    assert_eq!(narration(&server_log), []);
    assert_eq!(narration(&run.stderr), []);
}

/// `sockstep layers` prints one row for every call of the table: the call, the system call
/// strace shows for it, its Internet-model layer and its OSI layer(s).
#[test]
fn layers_prints_a_row_for_every_call() {
    let run = run_to_end(&mut sockstep(&["layers"]), b"");
    assert!(run.status.success());
    let out = run.stdout_text();
    for row in TABLE {
        let call = format!("{}()", row.call);
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&call))
            .unwrap_or_else(|| panic!("no row for {call} in `sockstep layers`:\n{out}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        // A library call (getaddrinfo) has no system call of its own to show.
        let shown = if row.is_library() {
            "(library)"
        } else {
            row.syscall
        };
        assert_eq!(words[1], shown, "{line}");
        assert_eq!(
            words[2..].join(" "),
            format!("{} {}", row.internet.en, row.osi),
            "{line}"
        );
    }
    let rows = out.lines().filter(|l| !l.starts_with(' ')).count();
    assert_eq!(rows, TABLE.len() + 1, "a header and one row per call");
}

/// Every narration bracket starts with the layers of the call's row in the table, in English
/// and in French, on the server and on the client, with either pair of calls; and between
/// them, these runs narrate every call the course names, each found in the table. The bracket
/// of `recvfrom` says that glibc's `recv()` is that system call.
#[test]
fn the_narration_bracket_comes_from_the_table() {
    let mut seen = std::collections::BTreeSet::new();
    for (lang, io, renamed) in [
        ("en", "send-recv", "recv() is the recvfrom syscall; "),
        ("fr", "read-write", ""),
        ("fr", "send-recv", "recv() est l'appel système recvfrom ; "),
    ] {
        let flags = ["--narrate", "--lang", lang, "--io", io];
        let mut server = Server::loopback(&[&flags[..], &["--once"]].concat());
        let port = server.addr().port().to_string();
        let client = run_client(&[&flags[..], &["--port", &port]].concat(), b"x\n");
        assert!(client.status.success(), "{}", client.stderr);
        assert!(server.wait_exit().success());
        server.stderr.wait_closed();
        let narrated = [narration(&server.stderr.text()), narration(&client.stderr)].concat();
        // 15 and 8 calls of the course's sequences (TCP_NODELAY's setsockopt included).
        assert_eq!(narrated.len(), 15 + 8, "{lang} {io}: {narrated:#?}");
        for line in &narrated {
            let row = TABLE
                .iter()
                .find(|row| row.syscall == line.syscall)
                .unwrap_or_else(|| panic!("{} has no row in the table", line.syscall));
            seen.insert(row.call);
            let internet = if lang == "fr" {
                row.internet.fr
            } else {
                row.internet.en
            };
            // French puts a no-break space before the colon.
            let colon = if lang == "fr" { " :" } else { ":" };
            let label = format!("{internet} · OSI {}{colon} ", row.osi);
            assert!(
                line.bracket.starts_with(&label),
                "{lang}: the bracket of {} should start with {label:?}: {:?}",
                line.syscall,
                line.bracket
            );
            if line.syscall == "recvfrom" {
                assert!(
                    line.bracket[label.len()..].starts_with(renamed),
                    "{lang}: {}",
                    line.bracket
                );
            }
        }
    }
    let course = [
        "socket",
        "setsockopt",
        "bind",
        "listen",
        "accept",
        "connect",
        "recv",
        "read",
        "send",
        "write",
        "shutdown",
        "close",
        "getsockname",
        "getpeername",
    ];
    for call in course {
        assert!(seen.contains(call), "{call}() was never narrated");
    }
}

/// The setup reads as strace prints it, and follows the options: the course's `listen(3, 1)`
/// by default, `--backlog 5` gives `listen(3, 5)`, and `--no-reuseaddr` leaves out the
/// `setsockopt(SO_REUSEADDR)`. (Other calls narrated in between, if any, are left out.)
#[test]
fn the_setup_narration_follows_the_options() {
    let setup = |args: &[&str]| -> Vec<String> {
        let server = Server::loopback(&[&["--narrate"], args].concat());
        // Whole, to its layer's closing bracket: a long narration goes on, indented, on the
        // next lines, which may reach the reader after its first.
        server.stderr.wait_for_whole("getsockname", |l| {
            l.contains("] getsockname(") && l.ends_with(']')
        });
        let port = server.addr().port();
        let setup = ["socket", "setsockopt", "bind", "listen", "getsockname"];
        narration(&server.stderr.text())
            .into_iter()
            .filter(|n| setup.contains(&n.syscall.as_str()))
            .map(|n| n.strace.replace(&format!("htons({port})"), "htons(PORT)"))
            .collect()
    };
    let socket = "socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3";
    let reuse = "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0";
    let bind = r#"bind(3, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16) = 0"#;
    let name = r#"getsockname(3, {sa_family=AF_INET, sin_port=htons(PORT), sin_addr=inet_addr("127.0.0.1")}, [128 => 16]) = 0"#;
    assert_eq!(setup(&[]), [socket, reuse, bind, "listen(3, 1) = 0", name]);
    assert_eq!(
        setup(&["--backlog", "5"]),
        [socket, reuse, bind, "listen(3, 5) = 0", name]
    );
    assert_eq!(
        setup(&["--no-reuseaddr"]),
        [socket, bind, "listen(3, 1) = 0", name]
    );
}

/// A socket knows its kind: closing a connection says FIN may go out; closing the listening
/// socket or mio's epoll instance says what really happens, and no FIN.
#[test]
fn close_is_narrated_by_what_is_closed() {
    let mut server = Server::loopback(&["--model", "mio", "--narrate", "--once"]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    drop(client);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    assert_eq!(
        close_notes(&server.stderr.text()),
        [
            "descriptor released; FIN → if it was the last",
            "descriptor released; if it was the last, the port stops listening (no FIN: a listening socket has no connection)",
            "descriptor released; if it was the last, the kernel frees the epoll instance (nothing on the wire)",
        ],
    );
}

/// What each `close()` of a log says it does: its note, after the layer, with its tag.
fn close_notes_tagged(log: &str) -> Vec<(String, String)> {
    narration(log)
        .into_iter()
        .filter(|n| n.syscall == "close")
        .map(|n| {
            let note = n.bracket.split_once(": ").map_or("", |(_, note)| note);
            (n.tag, note.to_string())
        })
        .collect()
}

/// What each `close()` of a log says it does.
fn close_notes(log: &str) -> Vec<String> {
    close_notes_tagged(log)
        .into_iter()
        .map(|(_, note)| note)
        .collect()
}

/// One client's dialogue with the fork model (`--narrate`, and `extra`), to the end of the
/// server: its stderr, and the parent's tag (`fork pid N`).
fn fork_dialogue(extra: &[&str]) -> (String, String) {
    let mut server = Server::loopback(&[&["--model", "fork", "--narrate"], extra].concat());
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    drop(client);
    let parent = format!("fork pid {}", server.pid());
    server
        .stderr
        .wait_for("the child's close of the connection", |l| {
            l.contains("] close(4)") && !l.starts_with(&format!("[{parent}]"))
        });
    server.signal(libc::SIGTERM);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    (server.stderr.text(), parent)
}

/// The fork model's lesson: after `fork()` the parent closes its copy of the connection, and
/// that close sends no FIN, since the child still holds the socket; the narration says so,
/// in the parent. The child's own close of the connection is the one that may send FIN, and
/// its close of the listening socket stops nothing: the parent still listens.
#[test]
fn the_fork_parent_close_sends_no_fin() {
    let (log, parent) = fork_dialogue(&[]);
    let closes = close_notes_tagged(&log);
    let shared = "this process drops its copy; no FIN while the child holds the socket (FIN goes with the last close)";
    let in_parent: Vec<&str> = closes
        .iter()
        .filter(|(tag, _)| *tag == parent)
        .map(|(_, note)| note.as_str())
        .collect();
    assert_eq!(in_parent.first(), Some(&shared), "{log}");
    let in_child: Vec<&str> = closes
        .iter()
        .filter(|(tag, _)| *tag != parent)
        .map(|(_, note)| note.as_str())
        .collect();
    assert!(!in_child.contains(&shared), "{log}");
    assert!(
        in_child.contains(&"descriptor released; FIN → if it was the last"),
        "{log}"
    );
    assert_eq!(
        in_child.first(),
        Some(&"this process drops its copy; the parent still listens on the port (no FIN, no RST)"),
        "the child's close(3) of the listening socket:\n{log}"
    );
}

/// With `--tcp-states`, the reading before the fork child's close of the listening socket
/// says LISTEN, and that this close resets nothing: the queue is the parent's too.
#[test]
fn the_fork_childs_listener_close_resets_nothing() {
    let (log, parent) = fork_dialogue(&["--tcp-states"]);
    let log = common::unwrapped(&log);
    let reading = log
        .lines()
        .find(|l| !l.starts_with(&format!("[{parent}]")) && l.contains("getsockopt(3,"))
        .unwrap_or_else(|| panic!("no reading before the child's close(3):\n{log}"));
    assert!(
        reading.contains(
            "before close(), the kernel says: LISTEN; the parent holds a copy and still listens: this close() resets nothing"
        ),
        "{reading}"
    );
    assert!(!reading.contains("are reset"), "{reading}");
}

/// The thread model at the end of the grace period: the acceptor shuts down, by its number,
/// the connection a thread still waits on (`shutdown(SHUT_RDWR)`, which sends our FIN); the
/// thread's `recv()` returns 0 and its `close()` then has no FIN left to send, and says so.
#[test]
fn the_threads_close_after_the_grace_shutdown_sends_no_second_fin() {
    let mut server = Server::loopback(&["--model", "threads", "--narrate", "--grace", "1"]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    // The thread waits in recv(), where only the shutdown can wake it.
    server
        .stderr
        .wait_for("the reply sent", |l| l.ends_with("send ok."));
    let pid = server.pid();
    common::wait_until("the thread asleep in recv()", || common::all_asleep(pid));
    server.signal(libc::SIGTERM);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let log = server.stderr.text();
    let acceptor = format!("threads tid {pid}");
    let shutdown = narration(&log)
        .into_iter()
        .find(|n| n.syscall == "shutdown")
        .unwrap_or_else(|| panic!("no shutdown():\n{log}"));
    assert_eq!(shutdown.tag, acceptor, "{log}");
    assert!(shutdown.strace.contains("SHUT_RDWR"), "{log}");
    let in_thread: Vec<String> = close_notes_tagged(&log)
        .into_iter()
        .filter(|(tag, _)| *tag != acceptor)
        .map(|(_, note)| note)
        .collect();
    assert_eq!(
        in_thread,
        ["descriptor released; no FIN now: ours left at shutdown()"],
        "{log}"
    );
    drop(client);
}

/// The client half-closes with `shutdown(SHUT_WR)`, which sends its FIN; its `close()` then
/// has no FIN left to send, and says so.
#[test]
fn the_client_close_after_shutdown_sends_no_second_fin() {
    let server = Server::loopback(&["--log", "quiet"]);
    let port = server.addr().port().to_string();
    let run = run_client(&["--narrate", "--port", &port], b"bonjour\n");
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(
        close_notes(&run.stderr),
        ["descriptor released; no FIN now: ours left at shutdown()"]
    );
}

/// Every line a whole dialogue prints on stderr keeps within 100 columns (characters, not
/// bytes: `→`, `·` and `é` are one column each), for each server model and the client, over
/// TCP and over UDP, in English and in French, TCP states included: the narration (the call as
/// strace prints it, cut after a `, ` when it is longer, and the layer's bracket on lines of
/// its own) and the log (cut between words, the rest indented). The `listening on` line, on
/// stdout, is read by scripts: it stays one line.
#[test]
fn narration_lines_keep_within_100_columns() {
    let models = ["iterative", "fork", "threads", "select", "poll", "mio"];
    let mut longest = (0, String::new());
    let (mut narrated, mut logged) = (0, 0);
    let input = "bonjour\nça va, été ? une ligne plus longue que trente-deux octets\n";
    let mut check = |runs: Vec<(String, String)>| {
        for (who, log) in runs {
            narrated += narration(&log).len();
            logged += log.lines().filter(|l| is_log_line(l)).count();
            for line in log.lines() {
                let width = line.chars().count();
                if width > longest.0 {
                    longest = (width, format!("{who}: {line}"));
                }
            }
        }
    };
    for lang in ["en", "fr"] {
        for model in models {
            let flags = ["--narrate", "--tcp-states", "--lang", lang];
            let mut runs = Vec::new();
            let mut server =
                Server::loopback(&[&flags[..], &["--model", model, "--once"]].concat());
            let port = server.addr().port().to_string();
            let client = run_client(&[&flags[..], &["--port", &port]].concat(), input.as_bytes());
            assert!(client.status.success(), "{model}: {}", client.stderr);
            assert!(server.wait_exit().success(), "{model}");
            server.stderr.wait_closed();
            runs.push((format!("{lang} {model}"), server.stderr.text()));
            runs.push((format!("{lang} client of {model}"), client.stderr));
            // The fork and threads models serve TCP only: a UDP socket has no connection to
            // hand to a process or a thread.
            if matches!(model, "fork" | "threads") {
                check(runs);
                continue;
            }
            let mut udp = Server::loopback(&[&flags[..], &["--model", model, "--udp"]].concat());
            let port = udp.addr().port().to_string();
            let udp_flags = ["--udp", "--timeout", "5", "--port", &port];
            let client = run_client(&[&flags[..], &udp_flags].concat(), input.as_bytes());
            assert!(client.status.success(), "{model} --udp: {}", client.stderr);
            udp.signal(libc::SIGTERM);
            assert!(udp.wait_exit().success(), "{model} --udp");
            udp.stderr.wait_closed();
            runs.push((format!("{lang} {model} --udp"), udp.stderr.text()));
            runs.push((format!("{lang} client of {model} --udp"), client.stderr));
            check(runs);
        }
    }
    assert!(narrated > 200, "only {narrated} narrations");
    assert!(logged > 200, "only {logged} log lines");
    assert!(longest.0 <= 100, "{} columns: {}", longest.0, longest.1);
}

/// Every line of a `--step` stop keeps within 100 columns, for every row of the layer table,
/// in English and in French, with the longest tag (a fork child's, with a 7-digit pid) and a
/// long call: the call cut after a `, `, the layer and what to look at cut between words. So
/// do the words said when another process holds the terminal and when Ctrl-C ends the stops.
#[test]
fn step_prompts_keep_within_100_columns() {
    use sockstep::layers;
    use sockstep::text::{Lang, step_interrupted, step_no_turn, step_prompt, step_waiting};
    let tag = "[fork pid 4194304] ";
    let args = r#"3, {sa_family=AF_INET6, sin6_port=htons(6789), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28"#;
    for lang in [Lang::En, Lang::Fr] {
        lang.speaking(|| {
            let mut texts = vec![
                step_waiting(tag, 4194303),
                step_no_turn(tag, nix::errno::Errno::ENOLCK),
            ];
            for waits in [true, false] {
                texts.push(step_interrupted(
                    tag,
                    "epoll_wait",
                    nix::sys::signal::Signal::SIGTERM,
                    waits,
                ));
            }
            for row in TABLE {
                let call = format!("{}({args})", row.syscall);
                let label = layers::label(row.call, lang);
                let prompt = step_prompt(tag, &call, &label, row.call, 4194304);
                // Cut, and joined again, it says all it said.
                let joined = common::unwrapped(&prompt);
                assert!(joined.contains(&call), "{prompt}");
                assert!(joined.contains(&label), "{prompt}");
                texts.push(prompt);
            }
            for text in texts {
                for line in text.lines() {
                    assert!(line.chars().count() <= 100, "{lang:?}: {line:?}");
                }
            }
        });
    }
}

/// Is this line the log's, `[tag] fd 4: ...` or `[tag] ...`, rather than a narration's?
fn is_log_line(line: &str) -> bool {
    line.starts_with('[') && !is_narration_line(line)
}

/// Is this line part of a narration: its first line, `[tag] name(...`, or one of the indented
/// lines that follow it? (The log's lines, `[tag] fd 4: ...`, are not.)
fn is_narration_line(line: &str) -> bool {
    if line.starts_with("    ") {
        return true;
    }
    let Some((_, rest)) = line.split_once("] ") else {
        return false;
    };
    let name = rest.split('(').next().unwrap_or("");
    rest.contains('(')
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `sockstep layers` fits a 100-column terminal, in English and in French: each column as wide
/// as its widest cell (`epoll_create1()` no longer runs into the next), and what the kernel
/// does, the wire and what to look at cut between words, indented under their row. Joined
/// again, each of those says what the table says.
#[test]
fn layers_fits_100_columns() {
    for lang in ["en", "fr"] {
        let run = run_to_end(&mut sockstep(&["layers", "--lang", lang]), b"");
        assert!(run.status.success());
        let out = run.stdout_text();
        for line in out.lines() {
            assert!(line.chars().count() <= 100, "{lang}: {line:?}");
        }
        for row in TABLE {
            let call = format!("{}()", row.call);
            let line = out
                .lines()
                .find(|l| l.split_whitespace().next() == Some(&call))
                .unwrap_or_else(|| panic!("{lang}: no row for {call}"));
            assert!(line.starts_with(&format!("{call} ")), "{lang}: {line:?}");
        }
        // The cells' text, with the lines of each joined again.
        let joined = common::unwrapped(&out);
        let kernel = if lang == "fr" {
            "le noyau : "
        } else {
            "the kernel: "
        };
        for row in TABLE {
            let text = if lang == "fr" {
                row.kernel.fr
            } else {
                row.kernel.en
            };
            assert!(
                joined.contains(&format!("{kernel}{text}")),
                "{lang}: {} not whole in:\n{joined}",
                row.call
            );
        }
    }
}
