//! `sockstep kata`: every kata fails as shipped and passes solved (`verify`), and what a new
//! student sees first: the list, a failed check that says where to look, a hint, a solution
//! that stays closed, and `watch` answering its keys.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{BIN, ClientRun, run_to_end};

/// The repository, where `exercises/` is.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `sockstep kata ARGS` in the repository, with its progress in a file of its own.
fn kata(state: &str, args: &[&str], input: &[u8]) -> ClientRun {
    let state =
        std::env::temp_dir().join(format!("sockstep-kata-{}-{state}.json", std::process::id()));
    let _ = std::fs::remove_file(&state);
    let run = run_to_end(
        Command::new(BIN)
            .arg("kata")
            .args(args)
            .current_dir(repo())
            .env("SOCKSTEP_KATA_STATE", &state),
        input,
    );
    let _ = std::fs::remove_file(&state);
    run
}

/// Every kata, both ways: the shipped exercise fails its scenario, the solution passes it.
#[test]
fn verify_every_kata_both_ways() {
    let run = kata("verify", &["verify"], b"");
    let out = run.stdout_text();
    assert!(run.status.success(), "{out}\n{}", run.stderr);
    assert_eq!(out.matches("  ok    shipped fails").count(), 18, "{out}");
}

/// A new student: nothing done, the first check fails on its first kata and says where to
/// look; the hint names the call and the book's page; the solution stays closed.
#[test]
fn a_new_student_s_first_steps() {
    let list = kata("list", &["list"], b"").stdout_text();
    assert!(
        list.starts_with(" 1. port_zero      to do  getsockname()"),
        "{list}"
    );
    assert!(list.ends_with("0/18 done\n"), "{list}");

    let check = kata("check", &["check"], b"");
    let out = check.stdout_text();
    assert!(!check.status.success());
    assert!(
        out.starts_with("kata port_zero: exercises/01_port_zero.rs\n"),
        "{out}"
    );
    assert!(out.contains("     *** `listening on 127.0.0.1:0`"), "{out}");
    assert!(out.contains("sockstep kata hint port_zero"), "{out}");

    let hint = kata("hint", &["hint", "port_zero"], b"").stdout_text();
    assert!(hint.contains("sys::getsockname(&listen_fd)"), "{hint}");
    assert!(hint.contains("docs/src/strace/iterative.md"), "{hint}");

    let solution = kata("solution", &["solution", "port_zero"], b"");
    assert!(!solution.status.success());
    assert!(
        solution.stderr.contains("is not done yet"),
        "{}",
        solution.stderr
    );
}

/// `watch` checks the current kata, then answers h (hint), l (list) and q (quit).
#[test]
fn watch_answers_its_keys() {
    let run = kata("watch", &["watch"], b"h\nl\nq\n");
    let out = run.stdout_text();
    assert!(run.status.success(), "{out}\n{}", run.stderr);
    assert!(
        out.contains("kata port_zero: exercises/01_port_zero.rs"),
        "{out}"
    );
    assert!(out.contains("[watching exercises/01_port_zero.rs"), "{out}");
    assert!(
        out.contains("The book explains it: docs/src/strace/iterative.md"),
        "{out}"
    );
    assert!(out.contains("0/18 done"), "{out}");
}

/// The book's chapter shows the real first check (pids aside), and lists every kata with its
/// story and its hint's page.
#[test]
fn the_book_chapter_quotes_the_real_first_check_and_every_kata() {
    let page = std::fs::read_to_string(repo().join("docs/src/exercises.md")).unwrap();
    let start = "<!-- checked: kata check port_zero -->\n```text\n";
    let quoted = &page[page.find(start).unwrap() + start.len()..];
    let quoted = &quoted[..quoted.find("```\n<!-- end checked -->").unwrap()];
    let out = kata("book", &["check", "port_zero"], b"").stdout_text();
    let out: String = out
        .lines()
        .map(|line| match line.find("[pid ") {
            Some(at) => {
                let end = at + line[at..].find(']').unwrap();
                format!("{}[pid <pid>{}\n", &line[..at], &line[end..])
            }
            None => format!("{line}\n"),
        })
        .collect();
    pretty_assertions::assert_eq!(quoted, out);
    for kata in sockstep::kata::KATAS {
        let row = format!("| `{}` | {} | ", kata.name, kata.story);
        assert!(page.contains(&row), "{row}");
        let link = kata.page.trim_start_matches("docs/src/");
        assert!(page.contains(&format!("]({link}) |")), "{link}");
    }
}
