//! Every link of the book leads somewhere, in the Markdown a student reads on a forge and in the
//! HTML mdBook builds from it: each `[text](target)`, `![image](target)`, `[label]: target`,
//! `href`/`src` attribute and `{{#include FILE:ANCHOR}}` of `docs/src/*.md` names a file that
//! exists in the book, and each `#anchor` names a heading of the target page, with the id
//! mdBook gives it. With mdbook on the PATH, the book is also built for real, and the build
//! must end without a warning or an error, and every link of the HTML must resolve.
//!
//! (`tests/book.rs` checks that every page is in `SUMMARY.md` and that the generated blocks
//! agree with the program.)

mod common;

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use common::strace::root;
use common::tools::{self, Tool};

/// The book's sources.
fn src() -> PathBuf {
    root().join("docs/src")
}

/// Every Markdown page of the book, `SUMMARY.md` included, as paths relative to `docs/src`.
fn pages() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![src()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path.strip_prefix(src()).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// `text` without its fenced code blocks (their lines become empty, so line numbers hold).
fn outside_fences(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
            match (fence, marker) {
                (None, Some(m)) => {
                    fence = Some(m);
                    ""
                }
                (Some(open), Some(m)) if open == m && trimmed.trim_end() == m => {
                    fence = None;
                    ""
                }
                (Some(_), _) => "",
                (None, None) => line,
            }
        })
        .collect()
}

/// `line` with the content of its code spans blanked: a link written in backticks is an
/// example, not a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].bytes().take_while(|&b| b == b'`').count();
        let fence = &rest[start..start + ticks];
        out.push_str(&rest[..start]);
        match rest[start + ticks..].find(fence) {
            Some(len) => rest = &rest[start + ticks + len + ticks..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The targets of the links on one line (outside code): inline links and images, reference
/// definitions, and HTML `href`/`src` attributes.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut targets = Vec::new();
    for (i, _) in line.match_indices("](") {
        let after = &line[i + 2..];
        // Up to the `)` that closes the link, parentheses inside it balanced.
        let mut depth = 0;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth < 0
            })
            .map_or(after.len(), |(j, _)| j);
        // A title may follow the target: `[text](page.md "title")`.
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(['<', '>']).to_string());
    }
    if let Some(rest) = line.trim_start().strip_prefix('[')
        && let Some((_, target)) = rest.split_once("]: ")
    {
        targets.push(target.split_whitespace().next().unwrap_or("").to_string());
    }
    targets.extend(attribute_targets(&line));
    targets
}

/// The values of the `href` and `src` attributes in `html`.
fn attribute_targets(html: &str) -> Vec<String> {
    ["href=\"", "src=\""]
        .into_iter()
        .flat_map(|attr| {
            html.match_indices(attr).map(move |(i, _)| {
                let value = &html[i + attr.len()..];
                value.split('"').next().unwrap_or("").replace("&amp;", "&")
            })
        })
        .collect()
}

/// Has the link a scheme (`https:`, `mailto:`)? Then it leaves the book, and is not checked.
fn is_external(target: &str) -> bool {
    let scheme: String = target
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "+.-".contains(*c))
        .collect();
    !scheme.is_empty() && target[scheme.len()..].starts_with(':')
}

/// `dir/target`, with `.` and `..` resolved, as a path relative to `docs/src`; `None` when it
/// climbs out of it.
fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for part in dir.join(target).components() {
        match part {
            // Above docs/src: nothing there is in the book.
            Component::ParentDir => path.pop().then_some(())?,
            Component::Normal(name) => path.push(name),
            _ => {}
        }
    }
    Some(path)
}

/// The ids mdBook gives the headings of a page (`mdbook-html`'s `id_from_content` and
/// `unique_id`): the heading's text, trimmed and lower-cased, its letters, digits, `_` and `-`
/// kept, each white space made `-`, the rest dropped; a second `## Same` is `same-1`. An
/// explicit `{#id}` wins. Raw HTML `id="..."` attributes count too.
fn heading_ids(text: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    for line in outside_fences(text) {
        for (i, _) in line.match_indices(" id=\"") {
            ids.insert(line[i + 5..].split('"').next().unwrap_or("").to_string());
        }
        let level = line.bytes().take_while(|&b| b == b'#').count();
        let Some(title) = line[level..]
            .strip_prefix(' ')
            .filter(|_| (1..=6).contains(&level))
        else {
            continue;
        };
        let title = title.trim().trim_end_matches('#').trim_end();
        if let Some((_, explicit)) = title.strip_suffix('}').and_then(|t| t.rsplit_once("{#")) {
            ids.insert(explicit.split_whitespace().next().unwrap_or("").to_string());
            continue;
        }
        let id: String = heading_text(title)
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
                c if c.is_whitespace() => Some('-'),
                _ => None,
            })
            .collect();
        let mut unique = id.clone();
        let mut n = 0;
        while !ids.insert(unique.clone()) {
            n += 1;
            unique = format!("{id}-{n}");
        }
    }
    ids
}

/// The text a heading renders to: code spans' content without the backticks, links' text
/// without their target, no emphasis stars, backslash escapes resolved.
fn heading_text(markdown: &str) -> String {
    let mut text = String::new();
    let mut chars = markdown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '*' | '[' => {}
            '\\' => text.extend(chars.next()),
            ']' if chars.peek() == Some(&'(') => {
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                }
            }
            c => text.push(c),
        }
    }
    text
}

/// What is wrong with `target`, a link on `page` (relative to `docs/src`), if anything.
/// `listed` is the pages of `SUMMARY.md`, the only ones mdBook turns into HTML.
fn broken(page: &Path, target: &str, listed: &HashSet<PathBuf>) -> Option<String> {
    if is_external(target) || target.is_empty() {
        return None;
    }
    let (file, anchor) = match target.split_once('#') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (target, None),
    };
    let dir = page.parent().unwrap_or(Path::new(""));
    let path = if file.is_empty() {
        page.to_path_buf()
    } else {
        match resolve(dir, file) {
            Some(path) => path,
            None => {
                return Some("it leads out of docs/src, where the HTML book has nothing".into());
            }
        }
    };
    if !src().join(&path).is_file() {
        return Some(format!("docs/src/{} does not exist", path.display()));
    }
    let is_page = path.extension().is_some_and(|e| e == "md");
    if is_page
        && path.file_name().is_some_and(|n| n == "README.md")
        && page != Path::new("SUMMARY.md")
    {
        return Some(
            "mdbook builds README.md as index.html but leaves a link to it pointing at \
             README.html (rust-lang/mdBook#984): name the page index.md"
                .into(),
        );
    }
    if is_page && page != Path::new("SUMMARY.md") && !listed.contains(&path) {
        return Some(format!(
            "docs/src/{} is not in SUMMARY.md, so mdbook makes no HTML of it",
            path.display()
        ));
    }
    let anchor = anchor.filter(|a| !a.is_empty())?;
    if !is_page {
        return Some("an anchor in a file that is not a page".into());
    }
    let text = std::fs::read_to_string(src().join(&path)).unwrap();
    (!heading_ids(&text).contains(anchor)).then(|| {
        format!(
            "docs/src/{} has no heading whose id is `{anchor}`",
            path.display()
        )
    })
}

/// What is wrong with `{{#include FILE}}`, `{{#include FILE:ANCHOR}}` or
/// `{{#include FILE:START:END}}` on `page`, if anything.
fn broken_include(page: &Path, directive: &str) -> Option<String> {
    let mut parts = directive.splitn(2, ':');
    let file = parts.next().unwrap_or("").trim();
    let anchor = parts.next().map(str::trim);
    let path = src()
        .join(page.parent().unwrap_or(Path::new("")))
        .join(file);
    let Ok(source) = std::fs::read_to_string(&path) else {
        return Some(format!("{} cannot be read", path.display()));
    };
    match anchor {
        // Line numbers (`10:20`, `10:`, `:20`): the first must be a line of the file.
        Some(range) if range.starts_with(|c: char| c.is_ascii_digit() || c == ':') => {
            let first: usize = range.split(':').next()?.parse().ok()?;
            (first > source.lines().count()).then(|| format!("{file} has no line {first}"))
        }
        Some(name) => (!source.contains(&format!("ANCHOR: {name}\n"))
            || !source.contains(&format!("ANCHOR_END: {name}\n")))
        .then(|| format!("{file} has no `ANCHOR: {name}` ... `ANCHOR_END: {name}`")),
        None => None,
    }
}

/// The pages `SUMMARY.md` lists.
fn summary_pages() -> HashSet<PathBuf> {
    let summary = std::fs::read_to_string(src().join("SUMMARY.md")).unwrap();
    outside_fences(&summary)
        .into_iter()
        .flat_map(link_targets)
        .map(PathBuf::from)
        .collect()
}

/// Every link and every include of the Markdown resolves: a page, image or file that exists
/// in the book, an anchor that is a heading's id there.
#[test]
fn every_link_and_include_resolves() {
    let listed = summary_pages();
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(src().join(&page)).unwrap();
        for (n, line) in outside_fences(&text).into_iter().enumerate() {
            for target in link_targets(line) {
                checked += 1;
                if let Some(why) = broken(&page, &target, &listed) {
                    problems.push(format!("{}:{}: ({target}): {why}", page.display(), n + 1));
                }
            }
        }
        // Includes sit inside code fences: they are looked for in the whole text.
        for (n, line) in text.lines().enumerate() {
            for include in line.split("{{#include ").skip(1) {
                let directive = include.split("}}").next().unwrap_or("");
                checked += 1;
                if let Some(why) = broken_include(&page, directive) {
                    problems.push(format!(
                        "{}:{}: {{{{#include {directive}}}}}: {why}",
                        page.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 100,
        "only {checked} links and includes found in the book"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// The checker finds what it is for: a page that does not exist, a README.md, an anchor that
/// is no heading, a link out of the book, an include of a missing anchor; and it lets pass a
/// link to a heading whose id mdBook derives from code, punctuation and a repeat.
#[test]
fn the_checker_fails_on_broken_links() {
    let listed = summary_pages();
    let page = Path::new("blocking.md");
    for bad in [
        "no-such-page.md",
        "strace/README.md",
        "strace/index.md#no-such-heading",
        "#no-such-heading",
        "../../README.md",
        "bench/none.svg",
    ] {
        assert!(broken(page, bad, &listed).is_some(), "{bad} passed");
    }
    assert!(
        broken_include(
            Path::new("strace/client.md"),
            "../../../src/client.rs:no_such_anchor"
        )
        .is_some()
    );
    for good in [
        "strace/index.md#the-one-line-recipe",
        "#measured",
        "bench/bench.svg",
        "https://example.org/x.md",
    ] {
        assert_eq!(broken(page, good, &listed), None, "{good}");
    }
    let ids = heading_ids(
        "# The record: `--events FILE`\n## Same\n## Same\n```sh\n# not a heading\n```\n",
    );
    let expected: HashSet<String> = ["the-record---events-file", "same", "same-1"]
        .map(String::from)
        .into();
    assert_eq!(ids, expected);
}

/// `mdbook build` makes the book without a warning or an error, every page's heading ids are
/// the ones [`heading_ids`] computes, and every link of the HTML leads to a file of the build
/// and an id in it.
#[test]
fn the_book_builds_and_its_html_links_resolve() {
    if !tools::have(&[Tool::Mdbook]) {
        return;
    }
    let out =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("book-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let build = Command::new("mdbook")
        .arg("build")
        .arg(root().join("docs"))
        .arg("--dest-dir")
        .arg(&out)
        .output()
        .expect("run mdbook build");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    assert!(
        build.status.success() && complaints.is_empty(),
        "mdbook build:\n{log}"
    );

    let mut problems = Vec::new();
    for page in pages().into_iter().filter(|p| p != Path::new("SUMMARY.md")) {
        let html_path = |page: &Path| {
            let html = page.with_extension("html");
            match html.file_name() {
                Some(n) if n == "README.html" => html.with_file_name("index.html"),
                _ => html,
            }
        };
        let html = std::fs::read_to_string(out.join(html_path(&page))).unwrap();
        let markdown = std::fs::read_to_string(src().join(&page)).unwrap();
        let built: HashSet<String> = ids_in_html(&html);
        for id in heading_ids(&markdown) {
            if !built.contains(&id) {
                problems.push(format!("{}: no id=\"{id}\" in the HTML", page.display()));
            }
        }
        let dir = page.parent().unwrap_or(Path::new(""));
        for target in attribute_targets(&html) {
            if is_external(&target) || target.is_empty() {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file = file.split('?').next().unwrap_or("");
            let path = if file.is_empty() {
                Some(html_path(&page))
            } else {
                resolve(dir, file)
            };
            let Some(path) = path.filter(|p| out.join(p).is_file()) else {
                problems.push(format!(
                    "{}: href {target}: no such file in the build",
                    page.display()
                ));
                continue;
            };
            if !anchor.is_empty() && path.extension().is_some_and(|e| e == "html") {
                let target_html = std::fs::read_to_string(out.join(&path)).unwrap();
                if !ids_in_html(&target_html).contains(anchor) {
                    problems.push(format!("{}: href {target}: no such id", page.display()));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        problems.is_empty(),
        "the HTML book:\n{}",
        problems.join("\n")
    );
}

/// A line quoted from another page (a ```` ```text ```` block after `<!-- quoted from: PAGE
/// -->`, as the introduction quotes a trace and a narration line) is still, whole, a line of
/// that page: when the program's output changes and the page is regenerated, the quotation
/// cannot go on showing the old one.
#[test]
fn quoted_lines_are_in_their_page() {
    const MARK: &str = "<!-- quoted from: ";
    let mut quoted = 0;
    for page in pages() {
        let text = std::fs::read_to_string(src().join(&page)).unwrap();
        for after in text.split(MARK).skip(1) {
            let (from, rest) = after.split_once(" -->").unwrap();
            let block = rest
                .split_once("```text\n")
                .and_then(|(_, block)| block.split_once("```"))
                .map(|(block, _)| block)
                .unwrap_or_else(|| panic!("{}: no text block after {MARK}{from}", page.display()));
            let source_path = src()
                .join(page.parent().unwrap_or(Path::new("")))
                .join(from);
            let source = std::fs::read_to_string(&source_path)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", page.display(), source_path.display()));
            for line in block.lines() {
                assert!(
                    source.lines().any(|l| l == line),
                    "{} quotes a line that {from} no longer has:\n{line}",
                    page.display()
                );
                quoted += 1;
            }
        }
    }
    assert!(quoted >= 2, "only {quoted} quoted lines in the book");
}

/// Every `id="..."` of an HTML page.
fn ids_in_html(html: &str) -> HashSet<String> {
    html.match_indices(" id=\"")
        .map(|(i, _)| html[i + 5..].split('"').next().unwrap_or("").to_string())
        .collect()
}
