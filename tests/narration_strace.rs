//! The narration tells the truth: run under strace with `--narrate`, every socket call strace
//! sees is followed, in the same process or thread, by exactly one narration line, and that line
//! is strace's own line for the call (name, arguments, result); no narration line is without its
//! call, and the order is the same.
//!
//! Calls that are not about sockets but are narrated (sigaction, fork, waitpid, _exit...) are
//! traced too and must have their narration line next to them; only their arguments are not
//! compared, as they hold addresses the program cannot print as strace does.
//!
//! The proof reads everything from the trace itself: each narration line is one `write(2, ...)`
//! made right after its call, so strace (with `-s 4096`, to show whole lines) records both, in
//! order, per thread. The narration prints buffers as strace does by default (`-s 32`), so the
//! calls' strings are cut the same way before comparing.

mod common;

use common::strace::{Event, cut_strings, line, parse, run_script, story, unquote};
use pretty_assertions::assert_eq;

/// What a narration line says the call was: `recvfrom(4, "bonjour\n", 1024, 0, NULL, NULL) = 8`
/// out of `[iterative] recvfrom(4, ...) = 8   [application ↔ transport · OSI 7 ↔ 4: ...]`.
fn narrated_call(text: &str) -> Option<Event> {
    let text = common::unwrapped(text);
    let (_, body) = text.split_once("] ")?;
    // A thread's creation is a library call, glibc's pthread_create, narrated with `→` after
    // the system calls it made: read it as a call returning that value.
    let body = match body.strip_prefix("pthread_create(") {
        Some(_) => body.replacen(") → ", ") = ", 1),
        None => body.to_string(),
    };
    let (call, _layer) = body.rsplit_once("   [")?;
    let name = call.split('(').next()?;
    let is_call = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && call.contains(") = ");
    is_call.then(|| parse(call).remove(0))
}

/// The system calls sockstep narrates, as strace names them: the layer table's `syscall` column.
fn narrated_names() -> Vec<&'static str> {
    sockstep::layers::TABLE
        .iter()
        .map(|row| row.syscall)
        .collect()
}

/// Is `narration` the narration of `call`? For a socket call, strace's line exactly (with
/// strings cut as `-s 32` cuts them). For the other narrated calls (signals, processes,
/// memory), whose arguments hold addresses the narration cannot know (a handler's, glibc's
/// sa_restorer), the same call on the same first argument with the same result.
fn narrates(narration: &Event, call: &Event, socket_call: bool) -> bool {
    if socket_call {
        return cut_strings(&line(narration), 32) == named_tcp_state(&cut_strings(&line(call), 32));
    }
    let parts = |e: &Event| match e {
        Event::Call {
            name, args, ret, ..
        } => Some((
            name.clone(),
            args.split(',').next().unwrap_or("").trim().to_string(),
            ret.clone(),
        )),
        _ => None,
    };
    parts(narration) == parts(call)
}

/// strace 6.1 prints `getsockopt(TCP_INFO)`'s structure as raw bytes, of which the first is
/// `tcpi_state`; the narration names that byte and leaves the rest out. This turns strace's
/// line into the narration's: `"\1\0\0\0..."...` becomes `{tcpi_state=TCP_ESTABLISHED, ...}`.
fn named_tcp_state(line: &str) -> String {
    const OPEN: &str = "TCP_INFO, \"";
    let Some(start) = line.find(OPEN).map(|i| i + OPEN.len() - 1) else {
        return line.to_string();
    };
    // The closing quote: the first `"` that no backslash escapes.
    let mut end = start + 1;
    let bytes = line.as_bytes();
    while end < bytes.len() && bytes[end] != b'"' {
        end += if bytes[end] == b'\\' { 2 } else { 1 };
    }
    let mut after = end + 1;
    if line[after..].starts_with("...") {
        after += 3;
    }
    let state = unquote(&line[start..=end]).first().copied().unwrap_or(0);
    // include/net/tcp_states.h
    let names = [
        "0",
        "TCP_ESTABLISHED",
        "TCP_SYN_SENT",
        "TCP_SYN_RECV",
        "TCP_FIN_WAIT1",
        "TCP_FIN_WAIT2",
        "TCP_TIME_WAIT",
        "TCP_CLOSE",
        "TCP_CLOSE_WAIT",
        "TCP_LAST_ACK",
        "TCP_LISTEN",
        "TCP_CLOSING",
        "TCP_NEW_SYN_RECV",
    ];
    let name = names
        .get(state as usize)
        .map_or(state.to_string(), |n| n.to_string());
    format!(
        "{}{{tcpi_state={name}, ...}}{}",
        &line[..start],
        &line[after..]
    )
}

/// One thread's calls and narration lines, in order.
enum Item {
    Call {
        event: Event,
        socket_call: bool,
    },
    /// A thread's creation: `clone3` (or `clone` with CLONE_THREAD), which glibc's
    /// `pthread_create` makes, with its `mmap`s and `rt_sigprocmask`s; narrated by one line,
    /// `pthread_create(...) → 0`, after them.
    Thread(Event),
    Narration(Event),
}

/// Does this call make a thread (not a process)?
fn makes_thread(name: &str, args: &str) -> bool {
    name == "clone3" || (name == "clone" && args.contains("CLONE_THREAD"))
}

/// For each process or thread of `trace`, the calls and the narration lines in the order they
/// happened (`actual`), and what the narration promises (`expected`): each socket call followed
/// by its narration line (or alone, if it never returned), each other narrated call (signals,
/// processes) with its narration line next to it. A narration line without its call, or a
/// socket call without its narration line, makes the two differ.
fn interleaving(trace: &str) -> (String, String) {
    let events = parse(trace);
    let socket_calls = story(&events);
    let narrated = narrated_names();
    let mut pids: Vec<u32> = Vec::new();
    for event in &events {
        if !pids.contains(&event.pid()) {
            pids.push(event.pid());
        }
    }
    let (mut actual, mut expected) = (String::new(), String::new());
    for (n, &pid) in pids.iter().enumerate() {
        let mut items = Vec::new();
        let mut story_calls = socket_calls.iter().filter(|e| e.pid() == pid).peekable();
        for event in events.iter().filter(|e| e.pid() == pid) {
            let Event::Call { name, args, .. } = event else {
                continue;
            };
            let in_story = story_calls.peek() == Some(&event);
            if in_story {
                story_calls.next();
            }
            // The story also holds the creation of processes and threads: not socket calls. A
            // process's (fork's `clone`) is narrated as any other call; a thread's below.
            let process = matches!(name.as_str(), "clone" | "clone3" | "fork" | "vfork");
            if makes_thread(name, args) {
                items.push(Item::Thread(event.clone()));
            } else if in_story && !process {
                items.push(Item::Call {
                    event: event.clone(),
                    socket_call: true,
                });
            } else if name == "write" && args.starts_with("2, \"") {
                let quoted = args[3..].rsplit_once(", ").map(|(q, _)| q).unwrap();
                let text = String::from_utf8(unquote(quoted)).expect("narration is UTF-8");
                if let Some(call) = narrated_call(&text) {
                    items.push(Item::Narration(call));
                }
            } else if narrated.contains(&name.as_str()) {
                items.push(Item::Call {
                    event: event.clone(),
                    socket_call: false,
                });
            }
        }
        let tag = format!("[pid {}]", n + 1);
        for (i, item) in items.iter().enumerate() {
            match item {
                Item::Narration(said) => {
                    actual.push_str(&format!("{tag} narration: {}\n", line(said)));
                }
                Item::Thread(event) => {
                    // Accounted for by the next narration line of this thread, which must be
                    // pthread_create's, returning 0 when the call made a thread (glibc's own
                    // calls between them, its rt_sigprocmask, are not narrated as ours).
                    let shown = cut_strings(&line(event), 32);
                    actual.push_str(&format!("{tag} call:      {shown}\n"));
                    expected.push_str(&format!("{tag} call:      {shown}\n"));
                    let next = items[i + 1..].iter().find_map(|item| match item {
                        Item::Narration(said) => Some(line(said)),
                        _ => None,
                    });
                    let said = next.filter(|said| said.starts_with("pthread_create("));
                    let said = said.unwrap_or_else(|| "pthread_create(...) = 0".into());
                    expected.push_str(&format!("{tag} narration: {said}\n"));
                    let Event::Call { ret, .. } = event else {
                        unreachable!()
                    };
                    let made = ret.as_deref().is_some_and(|r| !r.starts_with('-'));
                    if made {
                        assert!(said.ends_with(") = 0"), "{said}");
                    }
                }
                Item::Call { event, socket_call } => {
                    let Event::Call { ret, .. } = event else {
                        unreachable!()
                    };
                    let shown = cut_strings(&line(event), 32);
                    let next_says = |j: Option<usize>| {
                        j.and_then(|j| items.get(j)).is_some_and(|item| match item {
                            Item::Narration(said) => narrates(said, event, *socket_call),
                            Item::Call { .. } | Item::Thread(_) => false,
                        })
                    };
                    let returned = ret.is_some();
                    if *socket_call {
                        actual.push_str(&format!("{tag} call:      {shown}\n"));
                        expected.push_str(&format!("{tag} call:      {shown}\n"));
                        if returned {
                            // Narrated after it returns, in strace's words.
                            let said = named_tcp_state(&shown);
                            expected.push_str(&format!("{tag} narration: {said}\n"));
                        }
                    } else if returned && next_says(Some(i + 1)) {
                        actual.push_str(&format!("{tag} call:      {shown}\n"));
                        expected.push_str(&format!("{tag} call:      {shown}\n"));
                        if let Item::Narration(said) = &items[i + 1] {
                            expected.push_str(&format!("{tag} narration: {}\n", line(said)));
                        }
                    } else if !returned && next_says(i.checked_sub(1)) {
                        // A call that never returns (exit_group) is narrated just before.
                        if let Item::Narration(said) = &items[i - 1] {
                            expected.push_str(&format!("{tag} narration: {}\n", line(said)));
                        }
                        actual.push_str(&format!("{tag} call:      {shown}\n"));
                        expected.push_str(&format!("{tag} call:      {shown}\n"));
                    }
                    // Any other call of a narrated name was made by a library (the
                    // allocator's mmap, Rust's own rt_sigaction): not ours to narrate.
                }
            }
        }
    }
    (expected, actual)
}

/// Runs `model` and the client with `--narrate` (and `extra`) under strace and checks both
/// traces; returns them.
fn check_model_with(model: &str, extra: &[&str]) -> Option<common::strace::Traces> {
    let also = narrated_names().join(",");
    let args = [
        &[
            "--model",
            model,
            "--narrate",
            "--strsize",
            "4096",
            "--also",
            &also,
        ][..],
        extra,
    ]
    .concat();
    let traces = run_script(&args)?;
    for (who, trace) in [("server", &traces.server), ("client", &traces.client)] {
        let (expected, actual) = interleaving(trace);
        assert!(
            expected.lines().filter(|l| l.contains("call:")).count() >= 8,
            "too few calls in the {who}'s trace:\n{trace}"
        );
        assert_eq!(
            expected, actual,
            "the {who}'s narration does not match strace, call for call"
        );
    }
    Some(traces)
}

/// Runs `model` and the client with `--narrate` under strace and checks both traces; neither
/// makes a `getsockopt(TCP_INFO)`: `--narrate` shows the program's own calls, and adds none.
fn check_model(model: &str) {
    let Some(traces) = check_model_with(model, &[]) else {
        return;
    };
    for (who, trace) in [("server", &traces.server), ("client", &traces.client)] {
        assert!(
            !trace.contains("TCP_INFO"),
            "--narrate alone made the {who} ask for TCP_INFO:\n{trace}"
        );
    }
}

/// `--tcp-states` adds the TCP-state readings: `getsockopt(TCP_INFO)` calls strace sees on both
/// sides (after listen and accept, and before each close, on the server; after connect and
/// shutdown, and before close, on the client), each with its line, which names the state
/// byte strace prints raw.
#[test]
fn tcp_states_add_getsockopt_calls() {
    let Some(traces) = check_model_with("iterative", &["--tcp-states"]) else {
        return;
    };
    let count = |trace: &str| {
        trace
            .lines()
            .filter(|l| {
                l.contains("getsockopt(") && l.contains("TCP_INFO") && !l.contains("write(")
            })
            .count()
    };
    assert_eq!(count(&traces.server), 4, "{}", traces.server);
    assert_eq!(count(&traces.client), 3, "{}", traces.client);
}

#[test]
fn iterative() {
    check_model("iterative");
}

#[test]
fn fork() {
    check_model("fork");
}

#[test]
fn threads() {
    check_model("threads");
}

#[test]
fn select() {
    check_model("select");
}

#[test]
fn poll() {
    check_model("poll");
}

#[test]
fn mio() {
    check_model("mio");
}

/// The threads page shows a thread's creation as strace sees it, with the narration between
/// the calls: after `accept()` and TCP_NODELAY, our `pthread_sigmask` blocking SIGINT and
/// SIGTERM; then glibc's own calls for `pthread_create`: `mmap` and `mprotect` (the thread's
/// stack), `rt_sigprocmask` (every signal blocked), `clone3` (the thread), `rt_sigprocmask`
/// (mask back), after which the one narration line of `pthread_create` names them; then our
/// `pthread_sigmask` unblocking.
#[test]
fn the_threads_page_shows_the_thread_creation() {
    let Some(traces) = run_script(&[
        "--model",
        "threads",
        "--narrate",
        "--strsize",
        "4096",
        "--also",
        "mmap,mprotect,rt_sigprocmask",
    ]) else {
        return;
    };
    let events = parse(&traces.server);
    let mut pids: Vec<u32> = Vec::new();
    for event in &events {
        if !pids.contains(&event.pid()) {
            pids.push(event.pid());
        }
    }
    let main = pids[0];
    let mut shown = String::new();
    let mut started = false;
    let mut cloned = false;
    for event in events.iter().filter(|e| e.pid() == main) {
        let Event::Call { name, args, .. } = event else {
            continue;
        };
        started |= name == "accept";
        if !started {
            continue;
        }
        if name == "write" && args.starts_with("2, \"") {
            let quoted = args[3..].rsplit_once(", ").map(|(q, _)| q).unwrap();
            let text = String::from_utf8(unquote(quoted)).expect("narration is UTF-8");
            shown.push_str(&text);
            if cloned && text.contains("rt_sigprocmask(SIG_SETMASK, [],") {
                break;
            }
            continue;
        }
        cloned |= name == "clone3" || name == "clone";
        shown.push_str(&format!("{}\n", cut_strings(&line(event), 32)));
    }
    assert!(cloned, "no thread made:\n{}", traces.server);
    assert!(shown.contains("pthread_create("), "{shown}");
    common::strace::check_or_bless_block(
        "docs/src/strace/threads.md",
        "thread creation",
        &common::strace::text_block(&common::strace::normalise(&shown, &pids)),
    );
}

/// The fork model's shared counters: the narrated `mmap` returns the address strace shows,
/// the mapping's, not the address of the variable that holds it (it once printed the latter).
/// The server is started under strace from its first call: `scripts/strace.sh` attaches after
/// start-up and so never sees this mmap.
#[test]
fn fork_mmap_narrates_the_mappings_address() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let dir = common::scratch_dir("fork-mmap");
    let out = dir.join("server.trace");
    let out_arg = out.to_string_lossy().into_owned();
    let mut command = std::process::Command::new("strace");
    command.args(["-f", "-e", "trace=mmap", "-o", &out_arg, common::BIN]);
    command.args([
        "server",
        "--model",
        "fork",
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--narrate",
    ]);
    let mut server = common::Server::start_with(&mut command, 1);
    let said = server
        .stderr
        .wait_for("mmap's narration", |l| l.contains("] mmap("));
    // SIGTERM to the server itself (`[fork pid N]`; the child process is strace) ends it, then
    // strace; the pipe's end means every line is in, the trace's included.
    let pid: i32 = said
        .split("pid ")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {said:?}"));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    server.wait_exit();
    server.stderr.wait_closed();
    let narration = common::unwrapped(&server.stderr.text());
    let said = narration
        .lines()
        .find(|l| l.contains("] mmap("))
        .unwrap_or_else(|| panic!("no mmap narration after {said:?}"));
    let shown = said
        .split(") = ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no result in {said:?}"));
    let trace = std::fs::read_to_string(&out).unwrap();
    let made = trace
        .lines()
        .find(|l| l.contains("MAP_SHARED|MAP_ANONYMOUS"))
        .unwrap_or_else(|| panic!("no shared mmap in the trace:\n{trace}"));
    let returned = made.rsplit(" = ").next().unwrap().trim();
    assert_eq!(shown, returned, "narration: {said}\nstrace: {made}");
}
