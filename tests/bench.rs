//! `sockstep bench`: short, bounded runs that check its table, CSV and SVG at two message
//! sizes, that a server serving one client at a time shows up as waiting connections instead
//! of a hang, and that `--nagle` brings back the stall that TCP_NODELAY removes.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use common::{run_bench, scratch_dir};
use pretty_assertions::assert_eq;
use sockstep::server::Model;

/// The CSV's lines, each split into fields, after checking the header.
fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    assert_eq!(header[..3], ["model", "size", "conns"]);
    assert!(header.contains(&"unserved") && header.contains(&"msgs_per_s"));
    lines
        .map(|l| {
            let fields: Vec<String> = l.split(',').map(str::to_string).collect();
            assert_eq!(
                fields.len(),
                header.len(),
                "a CSV line with every field: {l}"
            );
            fields
        })
        .collect()
}

/// The value of column `name` in a CSV row.
fn field<'a>(csv: &str, row: &'a [String], name: &str) -> &'a str {
    let header = csv.lines().next().unwrap();
    let i = header.split(',').position(|h| h == name).unwrap();
    &row[i]
}

/// The table's rows: the lines after the heading and its rule, up to the first blank line.
fn table_rows(stdout: &str) -> Vec<Vec<&str>> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("model "))
        .skip(2)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// The p50 latency, in µs, of the table's one row.
fn only_p50(run: &common::BenchRun) -> f64 {
    let rows = table_rows(&run.stdout);
    assert_eq!(rows.len(), 1, "{}", run.stdout);
    // model, size, conns, msgs/s, p50 µs
    rows[0][4].parse().expect("a p50 figure")
}

/// Two models at two message sizes (64 B, and 16 KiB: sixteen of the blocking models' reads)
/// and two connection counts, a small fixed count of replies: the table on stdout has a line
/// per size, model and count, the CSV a header and one row per size, model and count, and the
/// SVG is a whole document that names every model and both sizes. One run per figure: the
/// bench says they are a single sample.
#[test]
fn a_short_bench_writes_its_table_csv_and_svg() {
    let out = scratch_dir("bench-short");
    // The first model (the course's iterative server) and the last (the event loop).
    let variants = Model::value_variants();
    let mut models = vec![
        variants[0].to_string(),
        variants[variants.len() - 1].to_string(),
    ];
    models.dedup();
    let run = run_bench(&[
        "--models",
        &models.join(","),
        "--sizes",
        "64,16384",
        "--conns",
        "1,3",
        "--msgs",
        "300",
        "--secs",
        "5",
        "--syscalls",
        "off",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "bench failed:\n{}", run.stderr);
    assert!(run.stdout.contains("machine: "), "{}", run.stdout);
    assert!(run.stdout.contains("illustrative"), "{}", run.stdout);
    assert!(
        run.stdout.contains("messages of 64 and 16384 bytes"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nsingle sample: "), "{}", run.stdout);
    // Every model reads the same way by default, and the notice says how to see the course's.
    assert!(
        run.stdout.contains(
            "every server asks 65536 bytes of each recv() (--buf 65536), the same for every model; \
             the course's recv(1024), the blocking models' own default, is --buf 1024"
        ),
        "{}",
        run.stdout
    );

    let table = table_rows(&run.stdout);
    let expected: Vec<[&str; 3]> = ["64", "16384"]
        .iter()
        .flat_map(|&size| {
            models
                .iter()
                .flat_map(move |m| [[m.as_str(), size, "1"], [m.as_str(), size, "3"]])
        })
        .collect();
    assert_eq!(table.len(), expected.len(), "{}", run.stdout);
    for (cells, expected) in table.iter().zip(&expected) {
        assert_eq!(cells[..3], expected[..], "{cells:?}");
    }

    let csv = fs::read_to_string(out.join("bench.csv")).unwrap();
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), expected.len(), "{csv}");
    for row in &rows {
        let msgs: u64 = field(&csv, row, "msgs").parse().unwrap();
        assert!(msgs >= 300, "every run reached its count: {row:?}");
        assert_eq!(field(&csv, row, "errors"), "0", "{row:?}");
    }

    let svg = fs::read_to_string(out.join("bench.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    for model in &models {
        // plotters writes each text on a line of its own inside its <text> element.
        assert!(
            svg.contains(&format!("\n{model}\n</text>")),
            "{model} in the legend"
        );
    }
    for size in ["64", "16384"] {
        assert!(
            svg.contains(&format!("\nthroughput, {size}-byte messages\n</text>")),
            "a panel for {size} bytes"
        );
    }
    let _ = fs::remove_dir_all(&out);
}

/// The iterative server at 10 connections serves the first and leaves nine waiting: the
/// bench reports them as a number and ends on time, with no reply count to reach.
#[test]
fn the_iterative_model_reports_waiting_connections_instead_of_hanging() {
    let out = scratch_dir("bench-waiting");
    let started = Instant::now();
    let run = run_bench(&[
        "--models",
        "iterative",
        "--conns",
        "10",
        "--sizes",
        "64",
        "--secs",
        "0.5",
        "--syscalls",
        "off",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "bench failed:\n{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a half-second run took {:?}",
        started.elapsed()
    );
    let csv = fs::read_to_string(out.join("bench.csv")).unwrap();
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(field(&csv, &rows[0], "unserved"), "9", "{csv}");
    let msgs: u64 = field(&csv, &rows[0], "msgs").parse().unwrap();
    assert!(msgs > 0, "the first connection was served: {csv}");
    let _ = fs::remove_dir_all(&out);
}

/// With `--nagle` the servers leave Nagle's algorithm on, and a 16 KiB message to the
/// iterative server reading the course's 1024 bytes at a time (`--buf 1024`), and answering
/// each piece, waits each time for the client's delayed ACK: Linux delays an ACK by 40 ms at
/// least (tcp(7), TCP_QUICKACK), so the median reply takes more than 30 ms. Without it
/// (TCP_NODELAY, the default) the same message takes far less; and so it does with Nagle on
/// and the bench's own reads (64 KiB): the message is read whole and answered in one piece.
/// Ten replies: at most about half a second with the stall.
#[test]
fn nagle_left_on_stalls_big_messages_and_nodelay_does_not() {
    let out = scratch_dir("bench-nagle");
    let bench = |nagle: bool, buf: &str| {
        let mut args = vec![
            "--buf",
            buf,
            "--models",
            "iterative",
            "--conns",
            "1",
            "--sizes",
            "16384",
            "--msgs",
            "10",
            "--secs",
            "5",
            "--syscalls",
            "off",
            "--out",
            out.to_str().unwrap(),
        ];
        if nagle {
            args.push("--nagle");
        }
        let run = run_bench(&args);
        assert!(run.status.success(), "bench failed:\n{}", run.stderr);
        run
    };
    let stalled = bench(true, "1024");
    assert!(
        stalled.stdout.contains("Nagle's algorithm: left on"),
        "{}",
        stalled.stdout
    );
    assert!(
        stalled
            .stdout
            .contains("every server asks 1024 bytes of each recv() (--buf 1024), the course's"),
        "{}",
        stalled.stdout
    );
    let p50 = only_p50(&stalled);
    assert!(
        p50 > 30_000.0,
        "with Nagle, p50 = {p50} µs:\n{}",
        stalled.stdout
    );

    assert!(
        !stalled.stdout.contains("has nothing to hold back"),
        "{}",
        stalled.stdout
    );
    for (nagle, buf) in [(false, "1024"), (true, "65536")] {
        let fast = bench(nagle, buf);
        assert_eq!(
            fast.stdout
                .contains("has nothing to hold back; --buf 1024 shows the stall"),
            nagle,
            "{}",
            fast.stdout
        );
        let p50 = only_p50(&fast);
        assert!(
            p50 < 30_000.0,
            "nagle {nagle}, --buf {buf}: p50 = {p50} µs:\n{}",
            fast.stdout
        );
    }
    let _ = fs::remove_dir_all(&out);
}
