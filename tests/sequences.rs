//! Each server model's socket calls, exactly: the model runs under `strace -f`
//! (`scripts/strace.sh`), `sockstep client` drives the same short dialogue (`bonjour`, then
//! `ça va ?`, then end of input), and the server's socket story, normalised (see
//! `tests/common/strace.rs`), must equal `tests/sequences/MODEL.txt` line for line.
//!
//! The expected files are the textbook's claims ("the iterative server calls socket, setsockopt,
//! bind, listen, accept..."), checked against the kernel's own account. Adding a model is adding
//! its file and one line below. After an intended change: `scripts/gen-docs.sh`, then review the
//! diff.

mod common;

use common::strace::{check_or_bless, check_or_bless_block, run_script, socket_story, text_block};

/// Runs `model` under strace and compares its story (and the client's) with the expected files.
/// The book's page for the model (`docs/src/strace/MODEL.md`) shows the same story.
fn check_model(model: &str) {
    let Some(traces) = run_script(&["--model", model]) else {
        return;
    };
    let server = socket_story(&traces.server);
    check_or_bless(&format!("tests/sequences/{model}.txt"), &server);
    check_or_bless_block(
        &format!("docs/src/strace/{model}.md"),
        &format!("strace {model}"),
        &text_block(&server),
    );
    // The client's side of the same dialogue does not depend on the server's model.
    let client = socket_story(&traces.client);
    check_or_bless("tests/sequences/client.txt", &client);
    check_or_bless_block(
        "docs/src/strace/client.md",
        "strace client",
        &text_block(&client),
    );
}

/// The course's server: socket, setsockopt, bind, listen, accept, recv/send, close, in one
/// process.
#[test]
fn iterative() {
    check_model("iterative");
}

/// The same dialogue with `--io read-write`: the same story with read() and write() in place of
/// recvfrom() and sendto().
#[test]
fn iterative_read_write() {
    let Some(traces) = run_script(&["--model", "iterative", "--io", "read-write"]) else {
        return;
    };
    check_or_bless(
        "tests/sequences/iterative-read-write.txt",
        &socket_story(&traces.server),
    );
}

/// A process per client: the parent accepts and forks; the child closes its copy of the
/// listening socket and runs the same dialogue; the parent closes its copy of the connection.
#[test]
fn fork() {
    check_model("fork");
}

/// A thread per client: the same dialogue in a second thread, which shares the descriptors.
#[test]
fn threads() {
    check_model("threads");
}

/// select(): one thread waits on every descriptor at once, then serves whichever is ready;
/// sockets are non-blocking, so accept() is called until EAGAIN.
#[test]
fn select() {
    check_model("select");
}

/// poll(): the same loop as select(), with an array of descriptors instead of bit sets.
#[test]
fn poll() {
    check_model("poll");
}

/// mio: epoll under the hood, edge-triggered; every socket is still made by our own calls.
#[test]
fn mio() {
    check_model("mio");
}

/// `scripts/strace.sh --attach PID` traces a server already running: strace attaches, sees
/// the next client's getpeername, recvfrom and sendto, and detaches on Ctrl-C (SIGINT to the
/// script's process group, as a terminal sends it), leaving the trace in the file.
#[test]
fn attach_traces_a_running_server() {
    use std::os::unix::process::CommandExt;
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let server = common::Server::loopback(&["--log", "quiet"]);
    let out = std::env::temp_dir().join(format!("sockstep-attach-{}.strace", std::process::id()));
    let mut script = std::process::Command::new(common::strace::root().join("scripts/strace.sh"))
        .args(["--attach", &server.pid().to_string(), "--quiet", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("run scripts/strace.sh --attach");
    let stderr = common::terminal::collect_lines(script.stderr.take().unwrap());
    stderr.wait_for("strace's `attached`", |l| l.contains("attached"));
    let mut client = server.connect();
    assert_eq!(common::echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    // Once the server has closed (EOF here), strace has printed every call before its close:
    // a traced thread goes on only after strace has seen its call return.
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(common::read_to_end(&mut client), b"");
    // SAFETY: kill(2) on the process group the script leads.
    assert_eq!(
        unsafe { libc::kill(-(script.id() as i32), libc::SIGINT) },
        0
    );
    common::wait_exit(&mut script);
    let trace = std::fs::read_to_string(&out).expect("the trace file");
    let _ = std::fs::remove_file(&out);
    let calls: Vec<String> = common::strace::story(&common::strace::parse(&trace))
        .iter()
        .map(common::strace::line)
        .map(|l| l.split('(').next().unwrap().to_string())
        .collect();
    // Not accept(): the server was already waiting in it when strace attached, and a call in
    // progress at that moment may or may not be shown, depending on when the kernel restarts it.
    for call in ["getpeername", "recvfrom", "sendto"] {
        assert!(calls.iter().any(|c| c == call), "no {call} in:\n{trace}");
    }
}

/// `scripts/strace.sh --model nope` says the model is wrong and writes no trace: strace would
/// have created an empty file before the binary refused the name.
#[test]
fn a_wrong_model_leaves_no_trace_file() {
    if !common::tools::have(&[common::tools::Tool::Strace]) {
        return;
    }
    let dir = common::scratch_dir("strace-nope");
    let out = dir.join("nope.strace");
    let output = std::process::Command::new(common::strace::root().join("scripts/strace.sh"))
        .args(["--model", "nope", "--out"])
        .arg(&out)
        .env("SOCKSTEP", common::BIN)
        .output()
        .expect("run scripts/strace.sh");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("invalid value 'nope'"), "{stderr}");
    assert!(!out.exists(), "an empty trace was left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A forked child can make calls before its parent's `clone()` returns in the trace (strace
/// prints `clone(... <unfinished ...>`, the child's calls, then `<... clone resumed>`); the
/// story reads those calls with the descriptors the child inherited, and keeps them. (It used
/// to give such a child an empty table, and lost its `close(3)`: a flaky fork sequence.)
#[test]
fn a_childs_calls_before_clone_returns_are_in_the_story() {
    let trace = "\
100 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3
100 accept(3, NULL, NULL) = 4
100 clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>
101 close(3) = 0
100 <... clone resumed>) = 101
100 close(4) = 0
101 recvfrom(4, \"a\", 1024, 0, NULL, NULL) = 1
";
    let story = common::strace::story(&common::strace::parse(trace));
    let child: Vec<String> = story
        .iter()
        .filter(|e| e.pid() == 101)
        .map(common::strace::line)
        .collect();
    assert_eq!(
        child,
        [
            "close(3) = 0",
            "recvfrom(4, \"a\", 1024, 0, NULL, NULL) = 1"
        ]
    );
}
