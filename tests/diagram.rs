//! `sockstep diagram`: UNP's figure 2.5 drawn from a real run. The records and captures under
//! `tests/diagram/` were recorded by `scripts/diagram.sh --keep` (see its README). The tests
//! check that the figure is well-formed SVG with the four lifelines, every call of the records
//! and every segment of the capture, in time order; that without a capture the segments are
//! inferred and marked so; that a record of another schema version, or one cut short, is
//! refused naming its line; that the Mermaid text has the participants and the messages; and
//! that the figure renders (rsvg-convert).

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::BIN;
use common::strace::root;
use pcap_file::pcap::PcapReader;

/// A fixture under `tests/diagram/`.
fn fixture(name: &str) -> PathBuf {
    root().join("tests/diagram").join(name)
}

/// A scratch file for this test run.
fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sockstep-diagram-{}-{name}", std::process::id()))
}

/// Runs `sockstep diagram` with these arguments.
fn diagram(args: &[&Path]) -> Output {
    let mut command = Command::new(BIN);
    command.arg("diagram").env("LANG", "C");
    for arg in args {
        command.arg(arg);
    }
    command.output().expect("run sockstep diagram")
}

/// Draws the records (and the capture) into a scratch file and returns its text.
fn draw(name: &str, records: &[&str], pcap: Option<&str>, format: &str) -> String {
    let out = scratch(name);
    let mut command = Command::new(BIN);
    command.arg("diagram").env("LANG", "C");
    for record in records {
        command.arg("--events").arg(fixture(record));
    }
    if let Some(pcap) = pcap {
        command.arg("--pcap").arg(fixture(pcap));
    }
    command.args(["--format", format]).arg("-o").arg(&out);
    let output = command.output().expect("run sockstep diagram");
    assert!(
        output.status.success(),
        "sockstep diagram failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    text
}

/// The calls of the records, in each record's order: (time of entry, strace's name).
fn recorded_calls(records: &[&str]) -> Vec<(u64, String)> {
    let mut calls = Vec::new();
    for record in records {
        let text = std::fs::read_to_string(fixture(record)).unwrap();
        for line in text.lines() {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            if event["kind"] == "call" {
                calls.push((
                    event["t_enter"].as_u64().unwrap(),
                    event["syscall"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    calls
}

/// The time stamps of the capture's packets (the capture holds the scenario's port only).
fn captured_times(pcap: &str) -> Vec<u64> {
    let mut reader = PcapReader::new(File::open(fixture(pcap)).unwrap()).unwrap();
    let mut times = Vec::new();
    while let Some(packet) = reader.next_packet() {
        times.push(packet.unwrap().timestamp.as_nanos() as u64);
    }
    times
}

/// A drawn call or segment: its class, time, height and text.
#[derive(Debug)]
struct Drawn {
    class: String,
    t: u64,
    y: f64,
    text: String,
    flags: String,
}

/// Every call and segment of the figure, in the document's order.
fn drawn(svg: &str) -> Vec<Drawn> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("data-t").is_some())
        .map(|n| Drawn {
            class: n.attribute("class").unwrap().to_string(),
            t: n.attribute("data-t").unwrap().parse().unwrap(),
            y: n.attribute("data-y").unwrap().parse().unwrap(),
            text: n
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            flags: n.attribute("data-flags").unwrap_or_default().to_string(),
        })
        .collect()
}

/// The names of the lifelines.
fn lifelines(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("lifeline"))
        .map(|n| n.attribute("data-name").unwrap().to_string())
        .collect()
}

/// Checks that later is lower: sorted by time, the heights never go up.
fn assert_time_order(items: &[Drawn]) {
    let mut by_time: Vec<&Drawn> = items.iter().collect();
    by_time.sort_by_key(|d| d.t);
    for pair in by_time.windows(2) {
        assert!(
            pair[0].y <= pair[1].y,
            "{:?} comes later than {:?} but is drawn higher",
            pair[1],
            pair[0]
        );
    }
}

const DIALOGUE: [&str; 2] = ["dialogue/server.jsonl", "dialogue/client.jsonl"];

/// The captured dialogue: four lifelines, every call with its name, every segment at its time,
/// the handshake first, and time running down.
#[test]
fn captured_dialogue_has_every_call_and_segment_in_time_order() {
    let svg = draw(
        "captured.svg",
        &DIALOGUE,
        Some("dialogue/dialogue.pcap"),
        "svg",
    );
    assert_eq!(
        lifelines(&svg),
        [
            "client process",
            "client TCP",
            "server TCP",
            "server process"
        ]
    );
    let items = drawn(&svg);
    let calls: Vec<&Drawn> = items
        .iter()
        .filter(|d| d.class.starts_with("call"))
        .collect();
    let mut recorded = recorded_calls(&DIALOGUE);
    recorded.sort_by_key(|c| c.0);
    assert_eq!(
        calls.len(),
        recorded.len(),
        "one drawn call per recorded call"
    );
    let mut calls_by_time = calls.clone();
    calls_by_time.sort_by_key(|d| d.t);
    for (drawn, (t, name)) in calls_by_time.iter().zip(&recorded) {
        assert_eq!(drawn.t, *t);
        assert!(
            drawn.text.starts_with(&format!("{name}(")),
            "{drawn:?} should be {name}"
        );
    }
    let segments: Vec<&Drawn> = items.iter().filter(|d| d.class == "segment").collect();
    let times = captured_times("dialogue/dialogue.pcap");
    assert_eq!(
        segments.iter().map(|d| d.t).collect::<BTreeSet<_>>(),
        times.iter().copied().collect::<BTreeSet<_>>(),
        "one drawn segment per captured packet"
    );
    assert_eq!(segments.len(), times.len());
    let flags: Vec<&str> = segments.iter().map(|d| d.flags.as_str()).collect();
    assert_eq!(
        flags[..3],
        ["SYN", "SYN, ACK", "ACK"],
        "the handshake first"
    );
    assert!(flags.iter().filter(|f| f.starts_with("FIN")).count() == 2);
    assert!(svg.contains("connect(3, 127.0.0.1:"));
    assert!(svg.contains("= 0"));
    assert_time_order(&items);
}

/// Without a capture the segments are those the calls imply, dashed, and the figure says so.
#[test]
fn without_a_capture_the_segments_are_inferred() {
    let svg = draw("inferred.svg", &DIALOGUE, None, "svg");
    assert!(svg.contains("inferred, not captured"));
    let items = drawn(&svg);
    let segments: Vec<&Drawn> = items
        .iter()
        .filter(|d| d.class.starts_with("segment"))
        .collect();
    assert!(segments.iter().all(|d| d.class.contains("inferred")));
    let flags: Vec<&str> = segments.iter().map(|d| d.flags.as_str()).collect();
    assert_eq!(flags[..3], ["SYN", "SYN, ACK", "ACK"]);
    // One data segment for each send of either side.
    let sends = recorded_calls(&DIALOGUE)
        .iter()
        .filter(|c| c.1 == "sendto")
        .count();
    assert_eq!(flags.iter().filter(|f| **f == "PSH, ACK").count(), sends);
    assert_eq!(
        items.iter().filter(|d| d.class.starts_with("call")).count(),
        recorded_calls(&DIALOGUE).len()
    );
    assert_time_order(&items);
}

/// The RST scenario: the failed recv() is drawn as failed, and the RST is captured.
#[test]
fn rst_shows_the_reset_and_the_failed_call() {
    let records = ["rst/server.jsonl", "rst/client1.jsonl", "rst/client2.jsonl"];
    let svg = draw("rst.svg", &records, Some("rst/rst.pcap"), "svg");
    let items = drawn(&svg);
    let failed: Vec<&Drawn> = items.iter().filter(|d| d.class == "call failed").collect();
    assert!(
        failed.iter().any(|d| d.text.contains("ECONNRESET")),
        "a recv failed with ECONNRESET: {failed:?}"
    );
    assert!(items.iter().any(|d| d.class == "segment rst"));
    assert_eq!(
        items
            .iter()
            .filter(|d| d.class.starts_with("segment"))
            .count(),
        captured_times("rst/rst.pcap").len()
    );
    assert_time_order(&items);
}

/// A record of another schema version is refused, naming the file and the line.
#[test]
fn another_schema_version_is_refused_by_line() {
    let text = std::fs::read_to_string(fixture("dialogue/client.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen("\"v\":1", "\"v\":2", 1);
    let path = scratch("v2.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let output = diagram(&[
        Path::new("--events"),
        &path,
        Path::new("-o"),
        &scratch("v2.svg"),
    ]);
    std::fs::remove_file(&path).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("{}:3:", path.display())) && stderr.contains("version 2"),
        "{stderr}"
    );
}

/// A record cut short (its writer killed mid-line) is refused, naming its last line.
#[test]
fn a_truncated_record_is_refused_by_line() {
    let text = std::fs::read_to_string(fixture("dialogue/client.jsonl")).unwrap();
    let lines = text.lines().count();
    let path = scratch("cut.jsonl");
    std::fs::write(&path, &text[..text.trim_end().len() - 30]).unwrap();
    let output = diagram(&[
        Path::new("--events"),
        &path,
        Path::new("-o"),
        &scratch("cut.svg"),
    ]);
    std::fs::remove_file(&path).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!("{}:{lines}:", path.display())),
        "{stderr}"
    );
}

/// The Mermaid text has the four participants, a message per call and per segment.
#[test]
fn mermaid_has_the_participants_and_the_messages() {
    let text = draw(
        "dialogue.mmd",
        &DIALOGUE,
        Some("dialogue/dialogue.pcap"),
        "mermaid",
    );
    assert!(text.starts_with("sequenceDiagram\n"));
    for participant in [
        "participant CP as client process",
        "participant CT as client TCP",
        "participant ST as server TCP",
        "participant SP as server process",
    ] {
        assert!(text.contains(participant), "{participant}");
    }
    let calls = text
        .lines()
        .filter(|l| l.trim_start().starts_with("CP->>CT") || l.trim_start().starts_with("SP->>ST"))
        .count();
    assert_eq!(calls, recorded_calls(&DIALOGUE).len());
    let segments = text
        .lines()
        .filter(|l| l.trim_start().starts_with("CT->>ST") || l.trim_start().starts_with("ST->>CT"))
        .count();
    assert_eq!(segments, captured_times("dialogue/dialogue.pcap").len());
    assert!(text.contains("CT->>ST: SYN seq 0"));
}

/// The figure renders in a browser-grade renderer (rsvg-convert, librsvg) without error.
#[test]
fn the_figure_renders() {
    if !common::tools::have(&[common::tools::Tool::RsvgConvert]) {
        return;
    }
    let svg = scratch("render.svg");
    let png = scratch("render.png");
    let text = draw(
        "render-src.svg",
        &DIALOGUE,
        Some("dialogue/dialogue.pcap"),
        "svg",
    );
    std::fs::write(&svg, text).unwrap();
    let output = Command::new("rsvg-convert")
        .arg("-o")
        .arg(&png)
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "rsvg-convert: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    std::fs::remove_file(&svg).unwrap();
    std::fs::remove_file(&png).unwrap();
}

const UDP: [&str; 3] = ["udp/server.jsonl", "udp/client1.jsonl", "udp/client2.jsonl"];

/// A segment's `seq A:B`, the first and the next byte it carried, when it carried data.
fn seq_range(text: &str) -> Option<(u64, u64)> {
    let range = text.split_whitespace().skip_while(|w| *w != "seq").nth(1)?;
    let (a, b) = range.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The Nagle stall (both sides with `--nagle`): a data segment, the ACK of it 30 ms or more
/// later (the receiver's delayed ACK), and only then the rest of the data, in time order, the
/// wait drawn in proportion (3 px per ms), not cut.
#[test]
fn nagle_shows_the_rest_waiting_for_the_delayed_ack() {
    let records = ["nagle/server.jsonl", "nagle/client.jsonl"];
    let svg = draw("nagle.svg", &records, Some("nagle/nagle.pcap"), "svg");
    let items = drawn(&svg);
    let segments: Vec<&Drawn> = items
        .iter()
        .filter(|d| d.class.starts_with("segment"))
        .collect();
    assert_eq!(segments.len(), captured_times("nagle/nagle.pcap").len());
    // For each data segment, the first later segment that acknowledges its last byte.
    let stall = segments.iter().enumerate().find_map(|(i, piece)| {
        let (_, end) = seq_range(&piece.text)?;
        let ack = segments[i + 1..]
            .iter()
            .position(|d| d.flags == "ACK" && d.text.contains(&format!("ack {end}")))?
            + i
            + 1;
        let rest = segments[ack + 1..]
            .iter()
            .find(|d| seq_range(&d.text).is_some_and(|(start, _)| start == end))?;
        (segments[ack].t - piece.t >= 30_000_000).then_some((*piece, segments[ack], *rest))
    });
    let Some((piece, ack, rest)) = stall else {
        panic!("no data segment whose rest waits 30 ms for its ACK: {segments:#?}");
    };
    assert!(
        piece.t < ack.t && ack.t <= rest.t,
        "{piece:?} {ack:?} {rest:?}"
    );
    let waited_ms = (ack.t - piece.t) as f64 / 1e6;
    assert!(
        ack.y - piece.y >= waited_ms * 3.0,
        "the {waited_ms} ms wait is drawn {} px high, not in proportion",
        ack.y - piece.y
    );
    // A cut (a long wait marked, not drawn) may come before the client starts, not here.
    let cuts: Vec<f64> = svg
        .match_indices(r#"<g class="cut" data-y=""#)
        .filter_map(|(k, m)| svg[k + m.len()..].split('"').next()?.parse().ok())
        .collect();
    assert!(
        cuts.iter().all(|y| *y < piece.y || *y > ack.y),
        "the stall is cut at {cuts:?}"
    );
    assert_time_order(&items);
}

/// The UDP parrot: four lifelines whose inner ones are the two UDPs, every call at its time,
/// every captured datagram as an arrow with its length and no seq/ack (no handshake, no FIN),
/// the ICMP port unreachable that the connected client hears as ECONNREFUSED, in time order.
#[test]
fn udp_has_every_call_and_datagram_in_time_order() {
    let svg = draw("udp.svg", &UDP, Some("udp/udp.pcap"), "svg");
    assert_eq!(
        lifelines(&svg),
        [
            "client process",
            "client UDP",
            "server UDP",
            "server process"
        ]
    );
    let items = drawn(&svg);
    let mut calls: Vec<&Drawn> = items
        .iter()
        .filter(|d| d.class.starts_with("call"))
        .collect();
    calls.sort_by_key(|d| d.t);
    let mut recorded = recorded_calls(&UDP);
    recorded.sort_by_key(|c| c.0);
    assert_eq!(
        calls.len(),
        recorded.len(),
        "one drawn call per recorded call"
    );
    for (drawn, (t, name)) in calls.iter().zip(&recorded) {
        assert_eq!(drawn.t, *t);
        assert!(
            drawn.text.contains(&format!("{name}(")),
            "{drawn:?} should be {name}"
        );
    }
    let arrows: Vec<&Drawn> = items
        .iter()
        .filter(|d| d.class.starts_with("segment"))
        .collect();
    let times = captured_times("udp/udp.pcap");
    assert_eq!(
        arrows.iter().map(|d| d.t).collect::<BTreeSet<_>>(),
        times.iter().copied().collect::<BTreeSet<_>>(),
        "one arrow per captured packet"
    );
    assert_eq!(arrows.len(), times.len());
    // Each sendto() of either side is one datagram on the wire, its length that of the call.
    let sent: Vec<i64> = UDP
        .iter()
        .flat_map(|record| {
            std::fs::read_to_string(fixture(record))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .filter(|e| e["syscall"] == "sendto" && e["errno"].is_null())
                .map(|e| e["ret"].as_i64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let datagrams: Vec<&&Drawn> = arrows.iter().filter(|d| d.flags == "UDP").collect();
    assert_eq!(datagrams.len(), sent.len(), "one datagram per sendto()");
    for d in &datagrams {
        assert!(
            sent.iter().any(|n| d.text.ends_with(&format!("len {n}"))),
            "{d:?}"
        );
        assert!(!d.text.contains("seq") && !d.text.contains("ack"), "{d:?}");
    }
    let unreachable: Vec<&&Drawn> = arrows
        .iter()
        .filter(|d| d.flags == "ICMP port unreachable")
        .collect();
    assert_eq!(unreachable.len(), 1, "{arrows:?}");
    assert_eq!(datagrams.len() + unreachable.len(), arrows.len());
    assert!(
        items
            .iter()
            .any(|d| d.class == "call failed" && d.text.contains("ECONNREFUSED"))
    );
    assert!(!svg.contains("SYN") && !svg.contains("FIN"));
    assert_time_order(&items);
}

/// Without a capture, one datagram per sendto() of either side, the ICMP error before the
/// recv() that fails with ECONNREFUSED, and no handshake for the connected client's connect().
#[test]
fn udp_without_a_capture_infers_one_datagram_per_sendto() {
    let svg = draw("udp-inferred.svg", &UDP, None, "svg");
    assert!(svg.contains("inferred, not captured"));
    let items = drawn(&svg);
    let flags: Vec<&str> = items
        .iter()
        .filter(|d| d.class.starts_with("segment"))
        .map(|d| d.flags.as_str())
        .collect();
    let sends = recorded_calls(&UDP)
        .iter()
        .filter(|c| c.1 == "sendto")
        .count();
    assert_eq!(flags.iter().filter(|f| **f == "UDP").count(), sends);
    assert_eq!(
        flags,
        ["UDP", "UDP", "UDP", "UDP", "UDP", "ICMP port unreachable"]
    );
    assert_eq!(
        items.iter().filter(|d| d.class.starts_with("call")).count(),
        recorded_calls(&UDP).len()
    );
    assert_time_order(&items);
}

/// The UDP dialogue in Mermaid: the UDPs as participants, a message per call and per datagram.
#[test]
fn udp_mermaid_has_the_datagrams() {
    let text = draw("udp.mmd", &UDP, Some("udp/udp.pcap"), "mermaid");
    assert!(text.contains("participant CT as client UDP"));
    assert!(text.contains("participant ST as server UDP"));
    let messages = text
        .lines()
        .filter(|l| l.trim_start().starts_with("CT->>ST") || l.trim_start().starts_with("ST->>CT"))
        .count();
    assert_eq!(messages, captured_times("udp/udp.pcap").len());
    assert!(text.contains("UDP len 8"));
    assert!(text.contains("ICMP port unreachable"));
}
