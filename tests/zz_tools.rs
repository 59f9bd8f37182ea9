//! How many tests this `cargo test` run skipped for want of a tool: one line per tool, near
//! the end of the run. A test that needs strace or tcpdump and cannot have it records its skip
//! (see `tests/common/tools.rs`); this binary counts the records of the run.
//!
//! cargo runs the test binaries one after the other, the integration tests in the order of
//! their names, and this one is named to come last (`zz_`): every other binary has finished, and
//! recorded its skips, before it starts (`this_binary_runs_last` keeps it so). Only the tests
//! inside one binary run in parallel, and none of this binary's tests needs a tool.

mod common;

use std::io::Write;

use common::tools::{self, Tool};

/// Counts the skips recorded for `tool` in this run, and says so on the terminal (straight to
/// stderr, past libtest's capture).
fn report(tool: Tool) {
    let dir = tools::run_dir().join(tool.name());
    let mut tests: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    tests.sort();
    let line = match tests.len() {
        0 => format!("tools: no test skipped for want of {}\n", tool.name()),
        n => format!(
            "tools: {n} test{} skipped for want of {}: needs {} (or SOCKSTEP_REQUIRE_TOOLS=1 to fail instead)\n",
            if n == 1 { "" } else { "s" },
            tool.name(),
            tools::remedy(&[tool])
        ),
    };
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    // Under SOCKSTEP_REQUIRE_TOOLS=1 a test never skips: a record would be a bug in the skip.
    if tools::required() {
        assert!(
            tests.is_empty(),
            "skipped under SOCKSTEP_REQUIRE_TOOLS=1: {tests:?}"
        );
    }
}

#[test]
fn strace_skips() {
    report(Tool::Strace);
}

#[test]
fn tcpdump_skips() {
    report(Tool::Tcpdump);
}

#[test]
fn rsvg_convert_skips() {
    report(Tool::RsvgConvert);
}

#[test]
fn ss_skips() {
    report(Tool::Ss);
}

#[test]
fn cc_skips() {
    report(Tool::Cc);
}

#[test]
fn python3_skips() {
    report(Tool::Python3);
}

#[test]
fn mdbook_skips() {
    report(Tool::Mdbook);
}

/// Every tool has its report above.
#[test]
fn every_tool_is_reported() {
    assert_eq!(Tool::ALL.len(), 7, "a new tool needs its report test here");
}

/// Forgets the records of earlier runs: those whose cargo process has ended. (This run's
/// directory is named by its cargo process, which is still running.)
#[test]
fn earlier_runs_are_forgotten() {
    let current = tools::run_dir();
    let Ok(entries) = std::fs::read_dir(tools::skips_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix("run-").and_then(|r| r.split('-').next());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if entry.path() != current && !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// This binary's name sorts after every other test binary's, so cargo runs it last: a test
/// file added after it in the alphabet fails here, rather than have its skips go uncounted.
#[test]
fn this_binary_runs_last() {
    let tests_dir = common::strace::root().join("tests");
    let mut binaries: Vec<String> = std::fs::read_dir(&tests_dir)
        .expect("read tests/")
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            // A test binary is tests/NAME.rs or tests/NAME/main.rs.
            let is_test =
                path.extension().is_some_and(|x| x == "rs") || path.join("main.rs").is_file();
            let name = path.file_stem()?.to_string_lossy().into_owned();
            is_test.then_some(name)
        })
        .collect();
    binaries.sort();
    assert_eq!(
        binaries.last().map(String::as_str),
        Some("zz_tools"),
        "tests/zz_tools.rs must be the last test binary in name order: {binaries:?}"
    );
}
