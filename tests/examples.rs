//! The course's own programs beside sockstep: the C parrot server and client of `examples/c/`
//! and the course's Python ones in `examples/python/`, each run under strace, make the socket
//! calls of `sockstep server --model iterative` and `sockstep client`.
//!
//! Each program is traced with `strace -f -e trace=%network,read,write,close` (the README's
//! recipe), and its trace cut to its socket story by `tests/common/strace.rs`, which keeps the
//! network calls and read/write/close on the sockets, and replaces what the kernel picks at
//! random: ports (`PORT`, `CLIENT_PORT`), pointers, pids. Descriptor numbers are kept: every
//! program starts with the same descriptors, and each gets the lowest free one.
//!
//! - C: the same story, line for line, with nothing else normalised.
//! - Python: the same story once a stated list of rules ([`python_rules`], [`unlike_python`])
//!   has removed what the course's Python program does differently, each with its reason.
//!
//! A server's story is taken with `sockstep client` talking to it, untraced; a client's with
//! `sockstep server --once`, untraced: only the program under test changes between the two
//! traces compared. The book's pages `docs/src/course/c.md` and `python.md` show these stories.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::strace::{self, Event};
use common::tools::{Tool, have};
use common::{BIN, ClientRun, Server, run_to_end};
use pretty_assertions::assert_eq;

/// The filter of the README's one-line recipe.
const FILTER: &str = "trace=%network,read,write,close";

/// What the client sends to the C programs. ASCII only: C's `toupper()` works byte by byte
/// and leaves the two bytes of `ç` as they are, where sockstep and Python upper-case UTF-8
/// ([`c_toupper_leaves_non_ascii_bytes_alone`]).
const ASCII_INPUT: &[u8] = b"bonjour\ncomment va ?\n";

/// What the client sends to the Python programs: `scripts/strace.sh`'s dialogue.
const INPUT: &[u8] = "bonjour\nça va ?\n".as_bytes();

/// The C programs, compiled once per test run with `cc -Wall -Wextra -Werror` into a scratch
/// directory; `None` when there is no `cc` (the test has printed its skip line).
fn c_programs() -> Option<&'static Path> {
    if !have(&[Tool::Cc]) {
        return None;
    }
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    Some(BUILT.get_or_init(|| {
        let dir = common::scratch_dir("examples-c");
        for name in ["serveur", "client"] {
            let source = strace::root().join(format!("examples/c/{name}.c"));
            let out = Command::new("cc")
                .args(["-Wall", "-Wextra", "-Werror", "-o"])
                .arg(dir.join(name))
                .arg(&source)
                .output()
                .expect("run cc");
            assert!(
                out.status.success(),
                "cc {}: {}",
                source.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        dir
    }))
}

/// The Python interpreter itself (`sys.executable`), rather than a launcher such as pyenv's
/// shim, whose own processes would run under strace too; `None` when there is no `python3`.
fn python() -> Option<&'static Path> {
    if !have(&[Tool::Python3]) {
        return None;
    }
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    Some(PYTHON.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("run python3");
        assert!(out.status.success(), "python3 -c: {out:?}");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    }))
}

/// A Python program of `examples/python/`.
fn python_program(name: &str) -> Option<Vec<OsString>> {
    let script = strace::root().join(format!("examples/python/{name}.py"));
    Some(vec![python()?.into(), script.into()])
}

/// A trace file in the test run's scratch space, named after what it traces.
fn trace_file(name: &str) -> PathBuf {
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("examples-{name}.strace"));
    let _ = std::fs::remove_file(&file);
    file
}

/// `strace -f -q -o TRACE -e FILTER PROGRAM...` (`-q`: without the attach and detach
/// messages, keeping how each process ended).
fn under_strace(trace: &Path, program: &[OsString]) -> Command {
    let mut command = Command::new("strace");
    command
        .args(["-f", "-q", "-o"])
        .arg(trace)
        .args(["-e", FILTER])
        .args(program);
    command
}

/// The socket story of a finished trace: its calls, before normalisation.
fn story_of(trace: &Path) -> Vec<Event> {
    let text =
        std::fs::read_to_string(trace).unwrap_or_else(|e| panic!("read {}: {e}", trace.display()));
    strace::story(&strace::parse(&text))
}

/// Runs the server `program` (which must print `listening on IP:PORT` and serve one client)
/// under strace, has `sockstep client` send it `input`, and returns the server's socket story.
/// The client's output must be `expected`.
fn server_story(name: &str, program: &[OsString], input: &[u8], expected: &[u8]) -> Vec<Event> {
    let trace = trace_file(name);
    let mut server = Server::start_with(&mut under_strace(&trace, program), 1);
    let port = server.addr().port().to_string();
    let client = run_to_end(
        Command::new(BIN).args(["client", "--host", "127.0.0.1", "--port", &port]),
        input,
    );
    assert!(client.status.success(), "{name}: {}", client.stderr);
    assert_eq!(
        String::from_utf8_lossy(&client.stdout),
        String::from_utf8_lossy(expected),
        "{name}: the replies"
    );
    let status = server.wait_exit();
    server.stdout.wait_closed();
    server.stderr.wait_closed();
    assert!(status.success(), "{name}: {}", server.stderr.text());
    story_of(&trace)
}

/// Runs the client `program(PORT)` under strace with `input`, against `sockstep server
/// --once`, and returns its socket story and its run.
fn client_story(
    name: &str,
    program: impl Fn(&str) -> Vec<OsString>,
    input: &[u8],
) -> (Vec<Event>, ClientRun) {
    let mut server = Server::loopback(&["--once"]);
    let port = server.addr().port().to_string();
    let trace = trace_file(name);
    let run = run_to_end(&mut under_strace(&trace, &program(&port)), input);
    assert!(run.status.success(), "{name}: {}", run.stderr);
    assert!(server.wait_exit().success(), "{}", server.stderr.text());
    (story_of(&trace), run)
}

/// `sockstep server --model iterative --once` on a free loopback port.
fn sockstep_server() -> Vec<OsString> {
    [
        BIN,
        "server",
        "--model",
        "iterative",
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--once",
    ]
    .map(OsString::from)
    .to_vec()
}

/// `sockstep client` to `port` on 127.0.0.1.
fn sockstep_client(port: &str) -> Vec<OsString> {
    [BIN, "client", "--host", "127.0.0.1", "--port", port]
        .map(OsString::from)
        .to_vec()
}

/// The story as the book shows it: one call a line, ports and pointers normalised.
fn render(story: &[Event]) -> String {
    strace::render(story)
}

/// The C server makes, call for call, the calls of the iterative model with `--once`:
/// socket, setsockopt(SO_REUSEADDR), bind, listen, getsockname, accept, setsockopt(TCP_NODELAY),
/// getpeername, recvfrom/sendto per line, the recvfrom that returns 0, close, close. No
/// normalisation beyond ports and pointers; no call exempted.
#[test]
fn the_c_server_makes_the_iterative_models_calls() {
    let Some(dir) = c_programs() else { return };
    if !have(&[Tool::Strace]) {
        return;
    }
    let expected = b"BONJOUR\nCOMMENT VA ?\n";
    let serveur = [dir.join("serveur").into(), "0".into(), "127.0.0.1".into()];
    let c = render(&server_story("c-server", &serveur, ASCII_INPUT, expected));
    let rust = render(&server_story(
        "sockstep-server",
        &sockstep_server(),
        ASCII_INPUT,
        expected,
    ));
    assert_eq!(c, rust, "the C server's calls, then sockstep's");
    strace::check_or_bless_block("docs/src/course/c.md", "c-server", &strace::text_block(&c));
}

/// The C client makes, call for call, the calls of `sockstep client` fed by a pipe: socket,
/// connect, setsockopt(TCP_NODELAY), sendto/recvfrom per line, shutdown(SHUT_WR), the
/// recvfrom that returns 0, close. No call exempted.
#[test]
fn the_c_client_makes_sockstep_clients_calls() {
    let Some(dir) = c_programs() else { return };
    if !have(&[Tool::Strace]) {
        return;
    }
    let client = dir.join("client");
    let (c, c_run) = client_story(
        "c-client",
        |port| vec![client.clone().into(), port.into(), "127.0.0.1".into()],
        ASCII_INPUT,
    );
    let (rust, rust_run) = client_story("sockstep-client", sockstep_client, ASCII_INPUT);
    assert_eq!(c_run.stdout_text(), "BONJOUR\nCOMMENT VA ?\n");
    assert_eq!(c_run.stdout_text(), rust_run.stdout_text());
    let c = render(&c);
    assert_eq!(c, render(&rust), "the C client's calls, then sockstep's");
    strace::check_or_bless_block("docs/src/course/c.md", "c-client", &strace::text_block(&c));
}

/// What the book says of the C server's `toupper()`: it upper-cases ASCII letters and leaves
/// the bytes of `é` (0xC3 0xA9) as they are, where sockstep's parrot gives `É`.
#[test]
fn c_toupper_leaves_non_ascii_bytes_alone() {
    let Some(dir) = c_programs() else { return };
    let command = || {
        let mut command = Command::new(dir.join("serveur"));
        command.args(["0", "127.0.0.1"]);
        command
    };
    let mut server = Server::start_with(&mut command(), 1);
    let mut conn = server.connect();
    assert_eq!(
        String::from_utf8_lossy(&common::echo(&mut conn, "été\n".as_bytes())),
        "éTé\n"
    );
    drop(conn);
    assert!(server.wait_exit().success());
}

// ---------------------------------------------------------------------------------------
// Python: the rules.
//
// The course's Python programs make the same calls in the same order, but not all of
// sockstep's, and CPython words two of them its own way. The comparison applies these rules,
// and nothing else, before comparing line for line:
//
// On Python's side ([`python_rules`]):
// 1. `SOCK_CLOEXEC` is dropped from socket()'s type: CPython opens every descriptor
//    close-on-exec (PEP 446), which changes nothing on the network.
// 2. `accept4(L, ADDR, [16], SOCK_CLOEXEC) = C` becomes `accept(L, NULL, NULL) = C` then
//    `getpeername(C, ADDR, [16]) = 0`: Python's accept() returns the client's address, which
//    the kernel writes during the call; sockstep asks for it with getpeername() just after.
// 3. A getsockname() on an accepted descriptor is dropped: CPython's socket object asks it
//    when it wraps the new descriptor (measured with CPython 3.11); the program never does.
// 4. Client only: `input()` removes the end of line, so the course's client sends `bonjour`
//    where sockstep's sends `bonjour\n`, and the parrot answers `BONJOUR`. Each string that
//    the client sends or receives gets its `\n` back, and its byte count one more (sendto()'s
//    length and result, recvfrom()'s result; recvfrom()'s 1024 is the buffer's size).
//
// On sockstep's side ([`unlike_python`]):
// 5. setsockopt() is dropped: the course's Python sets no option, neither SO_REUSEADDR on the
//    listening socket nor TCP_NODELAY on the connection.
// 6. Client only: `shutdown(SHUT_WR)` and the recvfrom() that returns 0 after it are
//    dropped: at the end of its input the course's client goes to close() at once.
//
// On both sides: an address length `[128 => 16]` (sockstep, the C programs: a
// sockaddr_storage, 128 bytes, of which the kernel fills 16) becomes `[16]` (CPython passes a
// buffer the size of the family's address).
// ---------------------------------------------------------------------------------------

/// Rules 1 to 4 (see above), on Python's story; `client` turns rule 4 on.
fn python_rules(story: &[Event], client: bool) -> Vec<Event> {
    let mut accepted = Vec::new();
    let mut out = Vec::new();
    for event in story {
        let Event::Call {
            pid,
            name,
            args,
            ret,
        } = event
        else {
            out.push(event.clone());
            continue;
        };
        let call = |name: &str, args: String, ret: Option<String>| Event::Call {
            pid: *pid,
            name: name.to_string(),
            args: args.replace("[128 => 16]", "[16]"),
            ret,
        };
        match name.as_str() {
            "socket" => out.push(call(
                "socket",
                args.replace("|SOCK_CLOEXEC", ""),
                ret.clone(),
            )),
            "accept4" => {
                // `L, {sa_family=...}, [16], SOCK_CLOEXEC`: the address is between the braces.
                let (listen_fd, rest) = args.split_once(", ").expect("accept4's arguments");
                let addr = &rest[..=rest.find('}').expect("accept4's address")];
                let conn_fd = ret.clone().expect("accept4 returned");
                accepted.push(conn_fd.clone());
                out.push(call(
                    "accept",
                    format!("{listen_fd}, NULL, NULL"),
                    Some(conn_fd.clone()),
                ));
                out.push(call(
                    "getpeername",
                    format!("{conn_fd}, {addr}, [16]"),
                    Some("0".to_string()),
                ));
            }
            "getsockname"
                if accepted
                    .iter()
                    .any(|fd| args.starts_with(&format!("{fd},"))) => {}
            "sendto" | "recvfrom" if client => {
                let sent = name == "sendto";
                let (args, ret) = with_end_of_line(args, ret.as_deref(), sent);
                out.push(call(name, args, ret));
            }
            _ => out.push(call(name, args.clone(), ret.clone())),
        }
    }
    out
}

/// Rule 4: sendto's `3, "bonjour", 7, 0, NULL, 0` returning 7 → `3, "bonjour\n", 8, 0, NULL,
/// 0` returning 8; recvfrom's `3, "BONJOUR", 1024, ...` returning 7 → `3, "BONJOUR\n", 1024,
/// ...` returning 8 (`sent` says which). The empty string of the end of the stream stays.
fn with_end_of_line(args: &str, ret: Option<&str>, sent: bool) -> (String, Option<String>) {
    let (fd, rest) = args.split_once(", ").expect("a descriptor");
    let Some(body) = rest.strip_prefix('"') else {
        return (args.to_string(), ret.map(str::to_string));
    };
    // The closing quote: the first one not escaped (strace escapes `"` as `\"`).
    let mut escaped = false;
    let end = body
        .char_indices()
        .find(|&(_, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes
        })
        .map(|(i, _)| i)
        .expect("a closing quote");
    if end == 0 {
        return (args.to_string(), ret.map(str::to_string));
    }
    let (text, after) = (&body[..end], &body[end + 1..]);
    let (count, tail) = after
        .strip_prefix(", ")
        .and_then(|a| a.split_once(", "))
        .expect("a byte count after the string");
    let plus_one = |n: &str| (n.parse::<usize>().expect("a number") + 1).to_string();
    let count = if sent {
        plus_one(count)
    } else {
        count.to_string()
    };
    (
        format!("{fd}, \"{text}\\n\", {count}, {tail}"),
        ret.map(plus_one),
    )
}

/// Rules 5 and 6 (see above), on sockstep's story; `client` turns rule 6 on.
fn unlike_python(story: &[Event], client: bool) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    let mut after_shutdown = false;
    for event in story {
        let mut event = event.clone();
        if let Event::Call { name, args, .. } = &mut event {
            *args = args.replace("[128 => 16]", "[16]");
            match name.as_str() {
                "setsockopt" => continue,
                "shutdown" if client => {
                    after_shutdown = true;
                    continue;
                }
                "recvfrom" if after_shutdown => continue,
                _ => {}
            }
        }
        out.push(event);
    }
    out
}

/// The course's Python server, once the rules are applied, makes the iterative model's calls:
/// socket, bind, listen, getsockname, accept (with getpeername), recvfrom/sendto per line,
/// the recvfrom that returns 0, close, close.
#[test]
fn the_python_server_makes_the_iterative_models_calls() {
    let Some(serveur) = python_program("serveur") else {
        return;
    };
    if !have(&[Tool::Strace]) {
        return;
    }
    let mut program = serveur;
    program.extend(["0".into(), "127.0.0.1".into()]);
    let expected = "BONJOUR\nÇA VA ?\n".as_bytes();
    let python = server_story("python-server", &program, INPUT, expected);
    let rust = server_story("sockstep-server-py", &sockstep_server(), INPUT, expected);
    assert!(
        python
            .iter()
            .any(|e| matches!(e, Event::Call { name, .. } if name == "accept4")),
        "CPython's accept() is accept4, with the address: {}",
        render(&python)
    );
    assert_eq!(
        render(&python_rules(&python, false)),
        render(&unlike_python(&rust, false)),
        "the Python server's calls (rules 1-3), then sockstep's (rule 5)"
    );
    strace::check_or_bless_block(
        "docs/src/course/python.md",
        "python-server",
        &strace::text_block(&render(&python)),
    );
}

/// The course's Python client (its two slips fixed), once the rules are applied, makes the
/// calls of `sockstep client`: socket, connect, sendto/recvfrom per line, close.
#[test]
fn the_python_client_makes_sockstep_clients_calls() {
    let Some(client) = python_program("client") else {
        return;
    };
    if !have(&[Tool::Strace]) {
        return;
    }
    let program = |port: &str| {
        let mut program = client.clone();
        program.extend([port.into(), "127.0.0.1".into()]);
        program
    };
    let (python, run) = client_story("python-client", program, INPUT);
    let (rust, _) = client_story("sockstep-client-py", sockstep_client, INPUT);
    // The course's own lines, reached: the loop ended at the end of the input.
    let said = run.stdout_text();
    for line in ["Recu : BONJOUR\n", "Recu : ÇA VA ?\n", "Déconnexion.\n"] {
        assert!(said.contains(line), "{line:?} in {said:?}");
    }
    assert_eq!(
        render(&python_rules(&python, true)),
        render(&unlike_python(&rust, true)),
        "the Python client's calls (rules 1 and 4), then sockstep's (rules 5 and 6)"
    );
    strace::check_or_bless_block(
        "docs/src/course/python.md",
        "python-client",
        &strace::text_block(&render(&python)),
    );
}

/// Rule 4's rewriting, on the strings strace prints.
#[test]
fn rule_four_puts_the_end_of_line_back() {
    assert_eq!(
        with_end_of_line(r#"3, "bonjour", 7, 0, NULL, 0"#, Some("7"), true),
        (
            r#"3, "bonjour\n", 8, 0, NULL, 0"#.to_string(),
            Some("8".to_string())
        )
    );
    assert_eq!(
        with_end_of_line(
            r#"3, "dit \"oui\", 0", 1024, 0, NULL, NULL"#,
            Some("14"),
            false
        ),
        (
            r#"3, "dit \"oui\", 0\n", 1024, 0, NULL, NULL"#.to_string(),
            Some("15".to_string())
        )
    );
    assert_eq!(
        with_end_of_line(r#"3, "", 1024, 0, NULL, NULL"#, Some("0"), false),
        (
            r#"3, "", 1024, 0, NULL, NULL"#.to_string(),
            Some("0".to_string())
        )
    );
}
