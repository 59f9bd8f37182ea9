//! The narration tells the truth: run under strace with `--narrate`, every socket call strace
//! sees is followed, in the same process or thread, by exactly one narration line, and that line
//! is strace's own line for the call (name, arguments, result); no narration line is without its
//! call, and the order is the same.
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
fn narrated_call(text: &str) -> Option<String> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let (_, body) = text.split_once("] ")?;
    let (call, _layer) = body.rsplit_once("   [")?;
    let name = call.split('(').next()?;
    let is_call = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && call.contains(") = ");
    is_call.then(|| call.to_string())
}

/// For each process or thread of `trace`: the calls of its socket story and the narration lines
/// it wrote, in the order they happened, as `call: ...` and `narration: ...` lines. The expected
/// text is built from the calls alone: each one followed by its narration.
fn interleaving(trace: &str) -> (String, String) {
    let events = parse(trace);
    let calls = story(&events);
    let mut actual = String::new();
    let mut expected = String::new();
    let mut pids: Vec<u32> = events.iter().map(Event::pid).collect();
    pids.dedup();
    let mut seen = Vec::new();
    for pid in pids {
        if seen.contains(&pid) {
            continue;
        }
        seen.push(pid);
        let mut story_calls = calls.iter().filter(|e| e.pid() == pid).peekable();
        for event in events.iter().filter(|e| e.pid() == pid) {
            let Event::Call {
                name, args, ret, ..
            } = event
            else {
                continue;
            };
            if story_calls.peek() == Some(&event) {
                story_calls.next();
                // A call that never returned (the process ended while it waited) is narrated
                // after it returns: never.
                if ret.is_some() {
                    let call = cut_strings(&line(event), 32);
                    actual.push_str(&format!("[{pid}] call:      {call}\n"));
                    expected.push_str(&format!("[{pid}] call:      {call}\n"));
                    expected.push_str(&format!("[{pid}] narration: {call}\n"));
                }
            } else if name == "write" && args.starts_with("2, \"") {
                let quoted = args[3..].rsplit_once(", ").map(|(q, _)| q).unwrap();
                let text = String::from_utf8(unquote(quoted)).expect("narration is UTF-8");
                if let Some(call) = narrated_call(&text) {
                    actual.push_str(&format!("[{pid}] narration: {call}\n"));
                }
            }
        }
    }
    (expected, actual)
}

/// Runs `model` and the client with `--narrate` under strace and checks both traces.
fn check_model(model: &str) {
    let traces = run_script(&["--model", model, "--narrate", "--strsize", "4096"]);
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
}

#[test]
fn iterative() {
    check_model("iterative");
}
