//! `--step` and its terminal: lines typed ahead do not answer later stops, Ctrl-C at a stop
//! ends a stepped server, and the fork model's parent and child take turns on the one
//! terminal, so that one Enter answers the prompt on the screen. Through a pseudo-terminal,
//! as in `step.rs`.

mod common;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::process::{Child, Command, Stdio};

use common::terminal::{ENTER, Terminal, collect_lines};
use common::{BIN, Lines, connect, english_by_default, parse_listening, wait_exit, wait_until};

/// A stepped server on a free loopback port, its terminal, and its stdout.
fn stepped_server(extra: &[&str]) -> (Child, Terminal, Lines) {
    let mut command = Command::new(BIN);
    english_by_default(&mut command)
        .args(["server", "--step", "--log", "quiet"])
        .args(["--bind", "127.0.0.1", "--port", "0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let tty = Terminal::attach(&mut command);
    let mut child = command.spawn().expect("start sockstep server --step");
    let stdout = collect_lines(child.stdout.take().unwrap());
    (child, tty, stdout)
}

/// Is process `pid` asleep at a stop, in the ppoll() that waits for Enter on its terminal
/// (the program makes no other ppoll())? From /proc/PID/syscall: the call's number first.
fn asleep_at_a_stop(pid: u32) -> bool {
    let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    syscall.split_whitespace().next() == Some(&libc::SYS_ppoll.to_string())
}

/// Is a socket of process `pid` in state LISTEN? (/proc/net/tcp's state 0A, matched by the
/// socket's inode with the process's descriptors.)
fn listening(pid: u32) -> bool {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
                .filter_map(|link| {
                    let link = link.to_string_lossy().into_owned();
                    Some(
                        link.strip_prefix("socket:[")?
                            .strip_suffix(']')?
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table.lines().skip(1).any(|row| {
        let fields: Vec<&str> = row.split_whitespace().collect();
        fields.len() > 9 && fields[3] == "0A" && inodes.iter().any(|i| i == fields[9])
    })
}

/// Five Enters typed at the first stop answer it and no other: the second stop throws away
/// the four typed ahead (tcflush) and waits, so bind() and listen() are not made behind the
/// student's back.
#[test]
fn lines_typed_ahead_do_not_answer_later_stops() {
    let (mut child, mut tty, _stdout) = stepped_server(&["--once"]);
    let first = tty.stop(1);
    assert!(
        Terminal::call_of(&first).starts_with("socket("),
        "{first:?}"
    );
    tty.type_bytes(b"\n\n\n\n\n");
    let second = tty.stop(2);
    assert!(
        Terminal::call_of(&second).starts_with("setsockopt("),
        "{second:?}"
    );
    // Without the flush, the four other Enters would have let setsockopt, bind, listen and
    // getsockname through, and the server would be asleep at accept()'s stop, listening.
    wait_until("the server asleep at a stop", || {
        asleep_at_a_stop(child.id())
    });
    assert!(
        !listening(child.id()),
        "the Enters typed ahead let listen() through:\n{}",
        tty.lines.text()
    );
    assert_eq!(
        tty.lines
            .all()
            .iter()
            .filter(|l| l.ends_with(ENTER))
            .count(),
        2,
        "{}",
        tty.lines.text()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Ctrl-C at the stop before accept() ends the server at once: accept() is not made (it
/// would wait for a client that never comes), it returns EINTR as if Ctrl-C had come during
/// it, and the server shuts down as it always does on SIGINT, with no more stops.
#[test]
fn ctrl_c_at_a_stop_ends_a_stepped_server() {
    let (mut child, mut tty, stdout) = stepped_server(&[]);
    let mut n = 1;
    tty.enter_until(&mut n, "accept(", 30);
    stdout.wait_for("listening on", |l| l.starts_with("listening on "));
    tty.type_bytes(b"\x03");
    tty.lines.wait_for("the end of the stops", |l| {
        l.contains("SIGINT: no more stops")
    });
    // What it says, its lines joined again.
    let said = common::unwrapped(&tty.lines.text())
        .lines()
        .find(|l| l.contains("SIGINT: no more stops"))
        .unwrap()
        .to_string();
    assert!(
        said.contains("accept() is not made: it fails with EINTR"),
        "{said}"
    );
    let status = wait_exit(&mut child);
    assert!(status.success(), "{status:?}\n{}", tty.lines.text());
    assert_eq!(
        tty.lines
            .all()
            .iter()
            .filter(|l| l.ends_with(ENTER))
            .count(),
        n,
        "no stop after Ctrl-C:\n{}",
        tty.lines.text()
    );
}

/// The fork model: after fork(), parent and child both have a stop to make (each closes its
/// copy of a socket). One holds the terminal; the other says it waits for it, naming the
/// holder, and shows its prompt only after that Enter. No two prompts are ever on the screen
/// at once, so an Enter always answers the prompt shown.
#[test]
fn fork_parent_and_child_take_turns_on_the_terminal() {
    let (mut child, mut tty, stdout) = stepped_server(&["--model", "fork", "--once"]);
    let mut n = 1;
    tty.enter_until(&mut n, "accept(", 30);
    let addr =
        parse_listening(&stdout.wait_for("listening on", |l| l.starts_with("listening on ")));
    let mut client = connect(addr);
    client.write_all(b"hi\n").unwrap();
    // accept(), then TCP_NODELAY, then fork().
    tty.enter();
    n += 1;
    tty.enter_until(&mut n, "clone(", 12);
    tty.enter();
    n += 1;
    let holder = tty.stop(n);
    let waiting = tty
        .lines
        .wait_for("a process waiting for the terminal", |l| {
            l.contains("waiting for the terminal: process ")
        });
    let holder_pid = waiting
        .split("process ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_string();
    assert!(
        holder[0].starts_with(&format!("[fork pid {holder_pid}] next: ")),
        "the waiting line names the process whose prompt is shown: {waiting:?} {holder:?}"
    );
    // Let every stop through, the client talking meanwhile, until the server exits.
    let talk = std::thread::spawn(move || {
        let mut reply = [0u8; 3];
        client.read_exact(&mut reply).unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        reply
    });
    loop {
        tty.enter();
        n += 1;
        let mut exited = None;
        wait_until("the next stop, or the server's exit", || {
            exited = child.try_wait().unwrap();
            exited.is_some()
                || tty
                    .lines
                    .all()
                    .iter()
                    .filter(|l| l.ends_with(ENTER))
                    .count()
                    >= n
        });
        if exited.is_some() {
            break;
        }
        assert!(n < 40, "too many stops:\n{}", tty.lines.text());
    }
    assert!(wait_exit(&mut child).success());
    assert_eq!(&talk.join().unwrap(), b"HI\n");
    // Each prompt, from `next:` to `press Enter`, is one process's, with no other's line
    // inside it (a long line's continuation joined to it again).
    let text = common::unwrapped(&tty.lines.text());
    let lines: Vec<&str> = text.lines().collect();
    let mut open: Option<&str> = None;
    for line in &lines {
        let tag = line.split(']').next().unwrap_or("");
        if line.contains("] next: ") {
            assert!(open.is_none(), "two prompts at once:\n{}", lines.join("\n"));
            open = Some(tag);
        } else if let Some(current) = open {
            assert_eq!(
                tag,
                current,
                "a line inside another's prompt:\n{}",
                lines.join("\n")
            );
        }
        if line.ends_with(ENTER) {
            open = None;
        }
    }
}
