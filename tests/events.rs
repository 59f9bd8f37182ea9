//! The event record (`--events FILE`) tells the truth: run under `strace -f -tt`, every socket
//! call strace saw is in the record, in the same order in each process and thread, with the same
//! result, and the record holds nothing strace did not see. Every line is one JSON object of
//! schema 1 with its fields; writing it costs one `write(2)` per line on its own descriptor and no
//! other call of the socket story; without `--events` there is no such write at all. The book's
//! page on the record (`docs/src/events.md`) shows a real run's lines, checked here against drift.
//!
//! These tests need strace and the right to trace (ptrace); without them they fail, saying so.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::strace::{
    Event, NETWORK, ON_FD, READINESS, check_or_bless_block, parse, run_script, socket_story,
    story_with_every_wait,
};
use common::{BIN, scratch_dir};
use pretty_assertions::assert_eq;
use serde_json::Value;

/// The system calls the record and strace are compared on: the socket story's (as strace names
/// them, the same lists), with `clone` for `fork()` and the thread's creation (see
/// [`THREAD`]), without the waits for children and the signals, which the story leaves out too.
fn compared(syscall: &str) -> bool {
    [NETWORK, ON_FD, READINESS]
        .iter()
        .any(|names| names.contains(&syscall))
        || syscall == "clone"
}

/// A thread's creation, as both sides say it. The record has one line for it, the library
/// call `pthread_create` (std's spawn), returning 0 in the creating thread; strace shows the
/// system call glibc makes for it, `clone3` (or `clone` with CLONE_THREAD), returning the new
/// thread's id. (glibc's `mmap` and `rt_sigprocmask` around it are not in the story.)
const THREAD: &str = "pthread_create = 0";

/// One dialogue (`scripts/strace.sh --time --events FILE`) of `model`'s server and the client,
/// both under strace and both recording to the same file: the traces and the record's lines.
/// `None` when strace cannot be used here (the test skips).
fn traced_dialogue(model: &str) -> Option<(common::strace::Traces, Vec<Value>)> {
    let dir = scratch_dir(&format!("events-{model}"));
    let file = dir.join("events.jsonl");
    let traces = run_script(&[
        "--model",
        model,
        "--time",
        "--events",
        file.to_str().unwrap(),
    ])?;
    Some((traces, read_record(&file)))
}

/// The lines of a record, each parsed as JSON.
fn read_record(file: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
        })
        .collect()
}

/// A call as both sides can say it: the system call's name and its return value (the number
/// strace prints first, `-1` for a failure, with the errno's name).
fn said(name: &str, ret: &str) -> String {
    let number = ret.split_whitespace().next().unwrap_or(ret);
    match ret.split_whitespace().nth(1).filter(|_| number == "-1") {
        Some(errno) => format!("{name} = -1 {errno}"),
        None => format!("{name} = {number}"),
    }
}

/// strace's socket calls, per process or thread (strace's pid is the thread's id), in order; a
/// thread's creation said as [`THREAD`] when it made one.
fn traced_calls(trace: &str) -> BTreeMap<u32, Vec<String>> {
    let mut calls: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for event in story_with_every_wait(&parse(trace)) {
        let Event::Call {
            pid,
            name,
            args,
            ret,
        } = event
        else {
            continue;
        };
        let ret = ret.unwrap_or_else(|| "?".into());
        if name == "clone3" || (name == "clone" && args.contains("CLONE_THREAD")) {
            let made = ret.parse::<u32>().is_ok();
            let said = if made {
                THREAD.to_string()
            } else {
                said(&name, &ret)
            };
            calls.entry(pid).or_default().push(said);
            continue;
        }
        if !compared(&name) {
            continue;
        }
        calls.entry(pid).or_default().push(said(&name, &ret));
    }
    calls
}

/// The record's calls of `role`, per thread id, in order; `tid_as` maps a thread id to strace's
/// pid (strace without `-f` numbers every line 0).
fn recorded_calls(
    record: &[Value],
    role: &str,
    tid_as: impl Fn(u32) -> u32,
) -> BTreeMap<u32, Vec<String>> {
    let mut calls: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for line in record {
        if line["kind"] != "call" || line["role"] != role {
            continue;
        }
        let tid = || {
            line["tid"]
                .as_u64()
                .unwrap_or_else(|| panic!("no tid: {line}")) as u32
        };
        if line["call"] == "pthread_create" {
            assert_eq!(line["library"], true, "{line}");
            let said = match line["ret"].as_i64() {
                Some(0) => THREAD.to_string(),
                _ => format!("pthread_create = {}", line["ret"]),
            };
            calls.entry(tid_as(tid())).or_default().push(said);
            continue;
        }
        let Some(syscall) = line["syscall"].as_str() else {
            continue; // another library call (getaddrinfo): strace shows its calls, not it
        };
        if !compared(syscall) {
            continue;
        }
        let ret = match (&line["ret"], line["errno"].as_str()) {
            (_, Some(errno)) => format!("-1 {errno}"),
            (Value::Number(n), None) => n.to_string(),
            (other, None) => panic!("a call without a return value: {other} in {line}"),
        };
        calls
            .entry(tid_as(tid()))
            .or_default()
            .push(said(syscall, &ret));
    }
    calls
}

/// Every line is schema 1 with its fields, its times in order.
fn check_lines(record: &[Value]) {
    assert!(!record.is_empty(), "an empty record");
    for line in record {
        assert_eq!(line["v"], 1, "{line}");
        for field in [
            "kind", "t_enter", "t_exit", "pid", "tid", "role", "model", "fd",
        ] {
            assert!(line.get(field).is_some(), "no {field:?} in {line}");
        }
        let (enter, exit) = (line["t_enter"].as_u64(), line["t_exit"].as_u64());
        assert!(
            enter.is_some_and(|enter| enter > 0 && Some(enter) <= exit),
            "times out of order in {line}"
        );
        match line["kind"].as_str() {
            Some("call") => {
                for field in [
                    "call",
                    "syscall",
                    "args",
                    "ret",
                    "errno",
                    "bytes",
                    "layer",
                    "tcp_state",
                ] {
                    assert!(line.get(field).is_some(), "no {field:?} in {line}");
                }
                assert!(line["args"].is_object(), "{line}");
                assert!(line["layer"]["row"] == line["call"], "{line}");
            }
            Some("log") => assert!(line["msg"].is_string(), "{line}"),
            other => panic!("kind {other:?} in {line}"),
        }
    }
}

/// The number of `write`s each traced process made on descriptor `fd`.
fn writes_on(trace: &str, fd: &str) -> usize {
    parse(trace)
        .iter()
        .filter(|e| {
            matches!(e, Event::Call { name, args, .. }
                if name == "write" && args.split(',').next() == Some(fd))
        })
        .count()
}

/// The descriptor the record is written on: the first argument of a `write` no socket call uses
/// and that is not stdout or stderr.
fn record_fd(trace: &str) -> String {
    let events = parse(trace);
    let story_fds: HashSet<String> = story_with_every_wait(&events)
        .iter()
        .filter_map(|e| match e {
            Event::Call { name, args, .. } if name != "write" => {
                args.split(',').next().map(str::to_string)
            }
            _ => None,
        })
        .collect();
    events
        .iter()
        .find_map(|e| match e {
            Event::Call { name, args, .. } if name == "write" => {
                let fd = args.split(',').next()?.to_string();
                (!story_fds.contains(&fd) && fd != "1" && fd != "2").then_some(fd)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no write on the record's descriptor in:\n{trace}"))
}

/// For `model`: the record has exactly the calls strace saw, per process and thread, in order,
/// with the same results, for the server and for the client; every line is well formed; the
/// log's events are there; each line is one `write` on the record's own descriptor.
fn record_matches_strace(model: &str) {
    let Some((traces, record)) = traced_dialogue(model) else {
        return;
    };
    check_lines(&record);
    let traced = traced_calls(&traces.server);
    let count = traced.values().map(Vec::len).sum::<usize>();
    assert!(
        count >= 8,
        "{model}: only {count} socket calls in strace's trace"
    );
    let traced_client = traced_calls(&traces.client);
    assert!(
        !traced_client.is_empty(),
        "no socket call in the client's trace"
    );
    let recorded = recorded_calls(&record, "server", |tid| tid);
    assert_eq!(
        traced, recorded,
        "{model}: strace's calls (left) and the record's (right)"
    );
    let recorded = recorded_calls(&record, "client", |_| 0);
    assert_eq!(
        traced_client, recorded,
        "client: strace's calls (left) and the record's (right)"
    );
    let logged: Vec<&str> = record
        .iter()
        .filter(|l| l["kind"] == "log")
        .filter_map(|l| l["msg"].as_str())
        .collect();
    assert!(
        logged.iter().any(|m| m.starts_with("connection from")),
        "no 'connection from' in the log events: {logged:?}"
    );
    assert!(
        record
            .iter()
            .all(|l| l["role"] != "server" || l["model"] == model),
        "a server line without its model"
    );
    let fd = record_fd(&traces.server);
    // strace.sh keeps each trace from the first socket() on: so are the lines counted.
    let server_lines = record
        .iter()
        .filter(|l| l["role"] == "server")
        .skip_while(|l| l["call"] != "socket")
        .count();
    assert_eq!(
        writes_on(&traces.server, &fd),
        server_lines,
        "{model}: one write(2) per line of the record"
    );
}

#[test]
fn iterative_record_matches_strace() {
    record_matches_strace("iterative");
}

#[test]
fn fork_record_matches_strace() {
    record_matches_strace("fork");
}

#[test]
fn threads_record_matches_strace() {
    record_matches_strace("threads");
}

#[test]
fn select_record_matches_strace() {
    record_matches_strace("select");
}

#[test]
fn poll_record_matches_strace() {
    record_matches_strace("poll");
}

#[test]
fn mio_record_matches_strace() {
    record_matches_strace("mio");
}

/// The record costs no call of the socket story: the story of a run with `--events` is the
/// story of a run without it. And without `--events`, nothing writes on any descriptor but
/// stdout, stderr and the sockets.
#[test]
fn without_events_no_call_is_added() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let dir = scratch_dir("events-cost");
    let file = dir.join("events.jsonl");
    let with = run_script(&["--time", "--events", file.to_str().unwrap()]).expect("strace");
    let without = run_script(&["--time"]).expect("strace");
    assert_eq!(socket_story(&with.server), socket_story(&without.server));
    assert_eq!(socket_story(&with.client), socket_story(&without.client));
    for trace in [&without.server, &without.client] {
        let events = parse(trace);
        let socket_fds: HashSet<String> = story_with_every_wait(&events)
            .iter()
            .filter_map(|e| match e {
                Event::Call { name, ret, .. } if name == "socket" || name == "accept" => {
                    ret.clone()
                }
                _ => None,
            })
            .collect();
        for event in &events {
            if let Event::Call { name, args, .. } = event
                && name == "write"
            {
                let fd = args.split(',').next().unwrap_or("");
                assert!(
                    fd == "1" || fd == "2" || socket_fds.contains(fd),
                    "without --events, a write on descriptor {fd}: {args}"
                );
            }
        }
    }
}

/// Every system call the client makes from its first socket() on, under plain `strace` (every
/// call, no filter), by name: a write on the record's descriptor is left out.
fn client_calls(dir: &Path, extra: &[&str]) -> Vec<String> {
    let server = common::Server::loopback(&["--once"]);
    let trace_file = dir.join(format!("client-{}.strace", extra.len()));
    let port = server.addr().port().to_string();
    let mut command = Command::new("strace");
    command
        .arg("-o")
        .arg(&trace_file)
        .args([BIN, "client", "--port", &port])
        .args(extra);
    let run = common::run_to_end(&mut command, b"bonjour\n");
    assert!(run.status.success(), "the client failed: {}", run.stderr);
    let trace = std::fs::read_to_string(&trace_file).expect("read strace's output");
    parse(&trace)
        .into_iter()
        .filter_map(|event| match event {
            Event::Call { name, args, .. } => Some((name, args)),
            _ => None,
        })
        .skip_while(|(name, _)| name != "socket")
        .filter(|(name, args)| !(name == "write" && args.starts_with("20,")))
        .map(|(name, _)| name)
        .collect()
}

/// Recording adds no system call but its own writes: from its first socket() on, the client
/// makes the very same calls, whatever their kind, with `--events` (less the writes on the
/// record's descriptor, 20) as without.
#[test]
fn the_record_adds_only_its_writes() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let dir = scratch_dir("events-calls");
    let file = dir.join("events.jsonl");
    let without = client_calls(&dir, &[]);
    let with = client_calls(&dir, &["--events", file.to_str().unwrap()]);
    assert!(without.len() >= 6, "too few calls: {without:?}");
    assert_eq!(without, with);
    assert!(!read_record(&file).is_empty());
}

/// A record that cannot be opened is a setup error that names the call, the file and the errno.
#[test]
fn an_unwritable_record_is_a_clear_error() {
    let missing = PathBuf::from("/nonexistent-sockstep-dir/events.jsonl");
    for role in ["server", "client"] {
        let output = Command::new(BIN)
            .args([role, "--port", "0", "--events"])
            .arg(&missing)
            .env("LANG", "C")
            .env_remove("LC_ALL")
            .output()
            .expect("run sockstep");
        assert!(
            !output.status.success(),
            "{role} started without its record"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "open({}, O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC): ENOENT",
                missing.display()
            )),
            "{role}: {stderr}"
        );
    }
}

/// The client's record of one dialogue, as the book shows it: the lines as written, with times,
/// pids and ports replaced by placeholders, since they change from run to run.
fn book_lines(file: &Path, role: &str) -> String {
    let text = std::fs::read_to_string(file).expect("read the record");
    let mut ports: Vec<u64> = Vec::new();
    let mut out = String::new();
    for raw in text.lines() {
        let line: Value = serde_json::from_str(raw).unwrap();
        if line["role"] != role {
            continue;
        }
        let mut raw = raw.to_string();
        for (field, placeholder) in [
            ("t_enter", "<t>"),
            ("t_exit", "<t>"),
            ("pid", "<pid>"),
            ("tid", "<pid>"),
        ] {
            raw = raw.replace(
                &format!("\"{field}\":{}", line[field]),
                &format!("\"{field}\":\"{placeholder}\""),
            );
        }
        if let Some(args) = line["args"].as_object() {
            for port in args.values().filter_map(|v| v.get("port")?.as_u64()) {
                if port != 0 && !ports.contains(&port) {
                    ports.push(port);
                }
            }
        }
        for (i, port) in ports.iter().enumerate() {
            let name = if i == 0 { "PORT" } else { "CLIENT_PORT" };
            raw = raw
                .replace(
                    &format!("\"port\":{port}"),
                    &format!("\"port\":\"<{name}>\""),
                )
                .replace(&format!(":{port}"), &format!(":<{name}>"));
        }
        out.push_str(&raw);
        out.push('\n');
    }
    out
}

/// A JSON line laid out on several lines, its fields in the order they were written.
fn lay_out(json: &str) -> String {
    let (mut out, mut depth, mut in_string, mut escaped) = (String::new(), 0usize, false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                depth += 1;
                out.push(c);
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth -= 1;
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// The book's page on the record shows a real run's lines: the client's side of one dialogue.
#[test]
fn the_book_shows_a_real_record() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let dir = scratch_dir("events-book");
    let file = dir.join("events.jsonl");
    run_script(&["--events", file.to_str().unwrap()]).expect("strace");
    let page = "docs/src/events.md";
    let lines = book_lines(&file, "client");
    check_or_bless_block(page, "events client", &format!("```json\n{lines}```\n"));
    // One line laid out, field by field: the first recv().
    let recv = lines
        .lines()
        .find(|l| l.contains("\"call\":\"recv\""))
        .expect("a recv() in the client's record");
    let laid_out = lay_out(recv);
    check_or_bless_block(page, "events recv", &format!("```json\n{laid_out}\n```\n"));
}
