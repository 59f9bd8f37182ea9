//! The book in `docs/` tells the truth about the code: its layers chapter is the table
//! `sockstep layers` prints, every code quotation points at an anchor that exists, and every
//! page is in the summary. (The strace transcripts are checked by `tests/sequences.rs`, which
//! runs the models.)

mod common;

use std::path::{Path, PathBuf};

use common::strace::{check_or_bless_block, root, text_block};
use sockstep::layers::render_markdown;
use sockstep::text::Lang;

/// The layers chapter shows the one table, in English and in French, as `sockstep layers
/// --markdown` prints it.
#[test]
fn the_layers_chapter_is_the_table() {
    check_or_bless_block(
        "docs/src/layers.md",
        "layers en",
        &render_markdown(Lang::En),
    );
    check_or_bless_block(
        "docs/src/layers.md",
        "layers fr",
        &render_markdown(Lang::Fr),
    );
}

/// Every Markdown page under `docs/src`.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&root().join("docs/src"), &mut found);
    found.sort();
    found
}

/// Every `{{#include FILE:ANCHOR}}` names a file that exists and holds `// ANCHOR: NAME` and
/// `// ANCHOR_END: NAME`: the book quotes the code itself, never a copy, and a quotation cannot
/// silently become empty.
#[test]
fn every_quotation_points_at_an_anchor() {
    let mut quoted = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for include in text.split("{{#include ").skip(1) {
            let target = include.split("}}").next().unwrap().trim();
            let (file, anchor) = target.rsplit_once(':').unwrap_or_else(|| {
                panic!("{}: include without an anchor: {target}", page.display())
            });
            let path = page.parent().unwrap().join(file);
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", page.display(), path.display()));
            for mark in [
                format!("ANCHOR: {anchor}\n"),
                format!("ANCHOR_END: {anchor}\n"),
            ] {
                assert!(
                    source.contains(&mark),
                    "{} quotes {target}, but {} has no `// {}`",
                    page.display(),
                    path.display(),
                    mark.trim_end()
                );
            }
            quoted += 1;
        }
    }
    assert!(quoted >= 10, "only {quoted} quotations in the book");
}

/// Every page is reachable from `SUMMARY.md`, and every page it lists exists.
#[test]
fn every_page_is_in_the_summary() {
    let src = root().join("docs/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let listed: Vec<PathBuf> = summary
        .split("](")
        .skip(1)
        .map(|rest| src.join(rest.split(')').next().unwrap()))
        .collect();
    for path in &listed {
        assert!(
            path.exists(),
            "SUMMARY.md lists {}, which does not exist",
            path.display()
        );
    }
    for page in pages() {
        if page.ends_with("SUMMARY.md") {
            continue;
        }
        assert!(
            listed.contains(&page),
            "{} is not in SUMMARY.md",
            page.display()
        );
    }
}

/// The byte-order page shows `sockstep addr` for the course's address, INADDR_ANY and `::1`,
/// as the program prints them.
#[test]
fn the_byte_order_page_is_sockstep_addr() {
    for (name, addr) in [
        ("addr 127.0.0.1", "127.0.0.1:6789"),
        ("addr 0.0.0.0", "0.0.0.0:6789"),
        ("addr ::1", "[::1]:6789"),
    ] {
        let addr = addr.parse().unwrap();
        check_or_bless_block(
            "docs/src/byteorder.md",
            name,
            &text_block(&sockstep::sockaddr::render(&addr, Lang::En)),
        );
    }
}
