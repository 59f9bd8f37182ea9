//! The command line as a user of nc, socat or ss meets it: each `--help` ends with examples,
//! the frequent options have short flags, a flag that means nothing to a command is refused,
//! and the shell completions and the man page come from the same definitions.

mod common;

use common::{Server, narration, run_to_end, sockstep};

/// `sockstep ARGS` run to its end with no input: (exit success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    let run = run_to_end(&mut sockstep(args), b"");
    (run.status.success(), run.stdout_text(), run.stderr)
}

/// Each command's `--help` (and `-h`) ends with three examples of that very command.
#[test]
fn every_help_ends_with_three_examples() {
    for command in [
        "server",
        "client",
        "layers",
        "addr",
        "bench",
        "diagram",
        "kata",
        "completions",
        "man",
    ] {
        for help in ["--help", "-h"] {
            let (ok, out, err) = run(&[command, help]);
            assert!(ok, "{command} {help}: {err}");
            let (_, examples) = out
                .rsplit_once("Examples:\n")
                .unwrap_or_else(|| panic!("no examples in {command} {help}:\n{out}"));
            let commands: Vec<&str> = examples
                .lines()
                .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
                .collect();
            assert_eq!(commands.len(), 3, "{command} {help}:\n{examples}");
            for line in commands {
                assert!(
                    line.contains(&format!("sockstep {command}"))
                        || line.contains(&format!("sockstep --lang fr {command}")),
                    "an example of another command in {command} {help}: {line}"
                );
            }
        }
    }
}

/// `--narrate` and `--step` belong to `server` and `client`: `layers --step` and
/// `bench --narrate` are refused by the parser, with the usual error, rather than ignored (or,
/// for `layers --step` without a terminal, failing for a reason that is not the real one).
/// Before the command they are refused too: they are options of the command.
#[test]
fn narrate_and_step_belong_to_server_and_client() {
    for args in [
        &["layers", "--step"][..],
        &["layers", "--narrate"],
        &["bench", "--narrate"],
        &["bench", "--step"],
        &["--narrate", "server"],
    ] {
        let (ok, _, err) = run(args);
        assert!(!ok, "{args:?} was accepted");
        assert!(
            err.contains("unexpected argument '--"),
            "{args:?}: the parser's error, not another: {err}"
        );
    }
    // --lang means something everywhere, before or after the command.
    let (ok, out, err) = run(&["--lang", "fr", "layers"]);
    assert!(ok && out.contains("socket"), "{err}");
    let (ok, _, err) = run(&["layers", "--lang", "fr"]);
    assert!(ok, "{err}");
}

/// The short flags: `-b` bind, `-p` port, `-m` model, `-n` narrate for the server, `-p` and `-n`
/// for the client; the server listens, serves and narrates as with the long ones.
#[test]
fn short_flags_work() {
    let mut server = Server::start(&["-b", "127.0.0.1", "-p", "0", "-m", "poll", "-n", "--once"]);
    assert!(server.addr().ip().is_loopback());
    let port = server.addr().port().to_string();
    let client = common::run_client(&["-p", &port, "-n"], b"bonjour\n");
    assert!(client.status.success(), "{}", client.stderr);
    assert_eq!(client.stdout, b"BONJOUR\n");
    assert!(
        narration(&client.stderr)
            .iter()
            .any(|n| n.syscall == "connect"),
        "the client narrates with -n:\n{}",
        client.stderr
    );
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    assert!(
        narration(&server.stderr.text())
            .iter()
            .any(|n| n.tag == "poll" && n.syscall == "poll"),
        "the poll model narrates with -n:\n{}",
        server.stderr.text()
    );
}

/// `--bind localhost` is resolved as the client's `--host` is, and the server binds its IPv4
/// address, where `sockstep client`'s default 127.0.0.1 finds it.
#[test]
fn bind_takes_a_name() {
    let server = Server::start(&["--bind", "localhost", "--port", "0"]);
    assert_eq!(server.addr().ip().to_string(), "127.0.0.1");
    let mut client = server.connect();
    assert_eq!(common::echo(&mut client, b"salut\n"), b"SALUT\n");
}

/// `sockstep completions SHELL` prints a completion script that knows the commands and their
/// options, for bash, zsh and fish.
#[test]
fn completions_know_the_commands() {
    for shell in ["bash", "zsh", "fish"] {
        let (ok, out, err) = run(&["completions", shell]);
        assert!(ok, "completions {shell}: {err}");
        for word in ["server", "client", "--narrate", "--listen"] {
            assert!(out.contains(word), "no {word} in the {shell} script");
        }
    }
    let (ok, _, _) = run(&["completions", "tcsh"]);
    assert!(!ok, "an unknown shell is refused");
}

/// `sockstep man` prints a man page in roff: a `.TH` title line, and the commands.
#[test]
fn man_prints_a_man_page() {
    let (ok, out, err) = run(&["man"]);
    assert!(ok, "{err}");
    assert!(
        out.lines().any(|l| l.starts_with(".TH sockstep 1")),
        "no .TH line:\n{out}"
    );
    for word in ["server", "client", "layers", "bench"] {
        assert!(out.contains(word), "no {word} in the man page");
    }
}
