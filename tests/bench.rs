//! `sockstep bench`: short, bounded runs that check its table, CSV and SVG, and that a server
//! serving one client at a time shows up as waiting connections instead of a hang.

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
    assert_eq!(header[..2], ["model", "conns"]);
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

/// Two models at two connection counts, a small fixed count of replies: the table on stdout
/// has a line per model and count, the CSV a header and one row per model and count, and the
/// SVG is a whole document that names every model.
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

    let table: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("model "))
        .take_while(|l| !l.is_empty())
        .collect();
    let expected: Vec<(&str, &str)> = models
        .iter()
        .flat_map(|m| [(m.as_str(), "1"), (m.as_str(), "3")])
        .collect();
    assert_eq!(
        table.len(),
        2 + expected.len(),
        "heading, rule, rows:\n{}",
        run.stdout
    );
    for (line, (model, conns)) in table[2..].iter().zip(&expected) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[..2], [*model, *conns], "{line}");
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
