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
    let traces = run_script(&["--model", model]);
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
    let traces = run_script(&["--model", "iterative", "--io", "read-write"]);
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
