//! The figure as SVG, written as plain text: four lifelines (UNP figure 2.5), time running down.
//!
//! The outer lines are the processes, with each call labelled on its side and a bar, in the
//! colour of the layer it acts on, from its entry to its return: a long bar is a call that
//! blocked. The inner lines are the two TCPs, and each segment is a slanted arrow between them,
//! its flags above and its numbers below. Vertical space is given first to the labels, so that
//! none overlaps; then, where time matters, in proportion to it (3 px per ms: a 40 ms delayed
//! ACK is plain to see); a wait longer than 60 ms is cut and marked with its length.
//!
//! Each call and each segment is a `<g>` with its time (`data-t`, ns) and its height (`data-y`),
//! so that a program can check the figure against the record.

use std::fmt::Write as _;

use super::timeline::{self, Arrow, CallMark, Gap, Item, Side, Timeline};

/// The figure's width, and where its four lifelines stand.
const WIDTH: f64 = 1200.0;
const X_CLIENT: f64 = 420.0;
const X_CLIENT_TCP: f64 = 540.0;
const X_SERVER_TCP: f64 = 800.0;
const X_SERVER: f64 = 920.0;
/// Where the first moment is drawn.
const TOP: f64 = 118.0;
/// The drop of a segment's arrow from one TCP line to the other.
const SLANT: f64 = 14.0;
/// How far apart the lanes of a side's processes are.
const LANE: f64 = 11.0;
/// The least vertical step between two moments, so that time order stays visible.
const MIN_STEP: f64 = 3.0;
/// The colours of the layers, in the legend's order; a failed call is drawn in [`FAILED`].
const PALETTE: [&str; 6] = [
    "#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#9c755f", "#bab0ac",
];
const FAILED: &str = "#d62728";

/// Text escaped for XML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The columns labels are set in: each side's calls, and the segments between the TCPs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Client = 0,
    Middle = 1,
    Server = 2,
    Axis = 3,
}

impl From<Side> for Column {
    fn from(side: Side) -> Column {
        match side {
            Side::Client => Column::Client,
            Side::Server => Column::Server,
        }
    }
}

/// One moment to place: a call's entry or return, or a segment.
#[derive(Clone, Copy)]
enum Mark {
    Enter(usize),
    Arrow(usize),
    Exit(usize),
}

/// Where each moment landed.
struct Layout {
    enter_y: Vec<f64>,
    exit_y: Vec<f64>,
    /// The call's result gets its own label at its return (the call spans other moments).
    split: Vec<bool>,
    /// Cut gaps: the height of the break and how long the wait was.
    cuts: Vec<(f64, u64)>,
    /// The time labels of the axis: height and text.
    ticks: Vec<(f64, String)>,
    bottom: f64,
}

/// Places every moment: below the previous one, in proportion to the time between them, and
/// below the last label of its column.
fn layout(line: &Timeline) -> Layout {
    let n = line.items.len();
    let mut marks: Vec<(u64, u8, Mark)> = Vec::new();
    for (i, item) in line.items.iter().enumerate() {
        match item {
            Item::Call(call) => {
                marks.push((call.t_enter, 0, Mark::Enter(i)));
                marks.push((call.t_exit, 2, Mark::Exit(i)));
            }
            Item::Arrow(arrow) => marks.push((arrow.t, 1, Mark::Arrow(i))),
        }
    }
    marks.sort_by_key(|&(t, rank, _)| (t, rank));
    // A call whose entry and return have other moments between them is labelled twice.
    let mut position = vec![0usize; n];
    let mut split = vec![false; n];
    for (k, (_, _, mark)) in marks.iter().enumerate() {
        match *mark {
            Mark::Enter(i) => position[i] = k,
            Mark::Exit(i) => split[i] = k > position[i] + 1,
            Mark::Arrow(_) => {}
        }
    }
    let mut out = Layout {
        enter_y: vec![0.0; n],
        exit_y: vec![0.0; n],
        split,
        cuts: Vec::new(),
        ticks: Vec::new(),
        bottom: TOP,
    };
    let mut bottom = [TOP - 20.0; 4];
    let mut prev: Option<(u64, f64)> = None;
    for &(t, _, mark) in &marks {
        let (column, pre, post) = match mark {
            Mark::Enter(i) => match &line.items[i] {
                Item::Call(call) => (Some(Column::from(call.side)), 10.0, 6.0),
                Item::Arrow(_) => (None, 0.0, 0.0),
            },
            Mark::Exit(i) => match (&line.items[i], out.split[i]) {
                (Item::Call(call), true) => (Some(Column::from(call.side)), 10.0, 6.0),
                _ => (None, 0.0, 0.0),
            },
            Mark::Arrow(_) => (Some(Column::Middle), 16.0, SLANT + 4.0),
        };
        let mut y = match prev {
            None => TOP,
            Some((t_prev, y_prev)) => match timeline::gap(t.saturating_sub(t_prev)) {
                Gap::Drawn(px) => y_prev + MIN_STEP + px,
                Gap::Cut(dt) => {
                    let low = bottom.iter().fold(y_prev, |a, &b| a.max(b));
                    out.cuts.push((low + 16.0, dt));
                    bottom = [low + 32.0; 4];
                    // The cut's own label is in the axis column, up to about low + 21.
                    bottom[Column::Axis as usize] = low + 24.0;
                    low + 36.0
                }
            },
        };
        if let Some(column) = column {
            y = y.max(bottom[column as usize] + pre);
            bottom[column as usize] = y + post;
        }
        match mark {
            Mark::Enter(i) => out.enter_y[i] = y,
            Mark::Exit(i) => out.exit_y[i] = y,
            Mark::Arrow(i) => out.enter_y[i] = y,
        }
        // The time, on the axis, for each entry and segment that leaves room for it.
        if !matches!(mark, Mark::Exit(_)) && y >= bottom[Column::Axis as usize] + 12.0 {
            let ms = t.saturating_sub(line.t0) as f64 / 1e6;
            out.ticks.push((y, format!("{ms:.3} ms")));
            bottom[Column::Axis as usize] = y + 2.0;
        }
        prev = Some((t, y));
    }
    out.bottom = bottom.iter().fold(TOP, |a, &b| a.max(b)) + SLANT;
    out
}

/// The colour of a layer: its place in the legend.
fn colour(line: &Timeline, layer: &str) -> &'static str {
    line.layers
        .iter()
        .position(|l| l == layer)
        .map_or("#999999", |i| PALETTE[i % PALETTE.len()])
}

/// A call: its bar on its process line and its label beside it.
fn draw_call(s: &mut String, line: &Timeline, call: &CallMark, y0: f64, y1: f64, split: bool) {
    // The label outside the line; each process of a side has its own lane for its bars, inward,
    // so that bars that overlap in time stay apart.
    let (x, anchor, outward) = match call.side {
        Side::Client => (X_CLIENT, "end", -1.0),
        Side::Server => (X_SERVER, "start", 1.0),
    };
    let dx = 12.0 * outward;
    let bar_x = x - 4.0 - outward * LANE * call.lane as f64;
    let class = if call.failed { "call failed" } else { "call" };
    let _ = writeln!(
        s,
        r#"<g class="{class}" data-t="{}" data-y="{y0:.1}" data-side="{}">"#,
        call.t_enter,
        match call.side {
            Side::Client => "client",
            Side::Server => "server",
        }
    );
    let stroke = if call.failed { FAILED } else { "#333333" };
    let _ = writeln!(
        s,
        r#"<rect x="{bar_x:.1}" y="{y0:.1}" width="8" height="{:.1}" fill="{}" stroke="{stroke}"/>"#,
        (y1 - y0).max(5.0),
        colour(line, &call.layer)
    );
    let text = match split {
        true => format!("{}{}", call.who, call.call),
        false => format!("{}{} {}", call.who, call.call, call.result),
    };
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
        x + dx,
        y0 + 4.0,
        esc(&text)
    );
    if split {
        // With several processes on a side, the return names its call as strace -f does.
        let result = match call.who.is_empty() {
            true => call.result.clone(),
            false => format!("{}<... {} resumed> {}", call.who, call.name, call.result),
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            x + dx,
            y1 + 4.0,
            esc(&result)
        );
    }
    s.push_str("</g>\n");
}

/// A segment: a slanted arrow between the TCP lines, its flags above, its numbers below.
fn draw_arrow(s: &mut String, arrow: &Arrow, y: f64) {
    let (x0, x1) = match arrow.from {
        Side::Client => (X_CLIENT_TCP, X_SERVER_TCP),
        Side::Server => (X_SERVER_TCP, X_CLIENT_TCP),
    };
    let mut class = String::from("segment");
    if arrow.inferred {
        class.push_str(" inferred");
    }
    if arrow.rst {
        class.push_str(" rst");
    }
    let _ = writeln!(
        s,
        r#"<g class="{class}" data-t="{}" data-y="{y:.1}" data-flags="{}">"#,
        arrow.t,
        esc(&arrow.flags)
    );
    let marker = if arrow.rst {
        "url(#head-rst)"
    } else {
        "url(#head)"
    };
    let _ = writeln!(
        s,
        r#"<line x1="{x0:.1}" y1="{y:.1}" x2="{x1:.1}" y2="{:.1}" marker-end="{marker}"/>"#,
        y + SLANT
    );
    let mid = (X_CLIENT_TCP + X_SERVER_TCP) / 2.0;
    let detail = match arrow.conn {
        Some(port) => format!(":{port} {}", arrow.detail),
        None => arrow.detail.clone(),
    };
    // One label above the arrow, as UNP writes `SYN J` and `SYN K, ACK J+1`: the flags in bold,
    // the numbers beside them.
    let _ = writeln!(
        s,
        r#"<text x="{mid:.1}" y="{:.1}" text-anchor="middle"><tspan class="flags">{}</tspan><tspan class="detail" dx="8">{}</tspan></text>"#,
        y - 3.0,
        esc(&arrow.flags),
        esc(&detail)
    );
    s.push_str("</g>\n");
}

/// A cut gap: a break across the four lines, with the time it stands for.
fn draw_cut(s: &mut String, y: f64, dt: u64) {
    let _ = writeln!(s, r#"<g class="cut" data-y="{y:.1}">"#);
    for x in [X_CLIENT, X_CLIENT_TCP, X_SERVER_TCP, X_SERVER] {
        let _ = writeln!(
            s,
            r#"<path d="M{:.1},{:.1} l6,-4 M{:.1},{:.1} l6,-4"/>"#,
            x - 3.0,
            y - 1.0,
            x - 3.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="10" y="{:.1}">≈ {} cut</text>"#,
        y + 5.0,
        timeline::duration(dt)
    );
    s.push_str("</g>\n");
}

/// The title: what is drawn, and whether its segments were captured.
fn title(line: &Timeline) -> (String, String) {
    let ports: Vec<String> = line.server_ports.iter().map(u16::to_string).collect();
    let server = match &line.model {
        Some(model) => format!("{model} server"),
        None => "server".into(),
    };
    let head = match ports.is_empty() {
        true => format!("sockstep: client and {server}"),
        false => format!("sockstep: client and {server} on port {}", ports.join(", ")),
    };
    let what = if line.udp { "datagrams" } else { "segments" };
    let sub = match line.inferred {
        true => format!(
            "{what} inferred from the calls, not captured: run with --pcap to see the real ones"
        ),
        false => {
            format!("{what} captured by tcpdump, joined to the calls by their timestamps and ports")
        }
    };
    (head, sub)
}

/// The legend: the layers' colours, a failed call, captured and inferred segments, a cut.
fn draw_legend(s: &mut String, line: &Timeline, y: f64) -> f64 {
    let _ = writeln!(s, r#"<g class="legend">"#);
    let mut x = 20.0;
    let _ = writeln!(
        s,
        r#"<text x="{x}" y="{:.1}">call acts on:</text>"#,
        y + 9.0
    );
    x += 100.0;
    let mut entries: Vec<(String, &str)> = line
        .layers
        .iter()
        .map(|l| (l.clone(), colour(line, l)))
        .collect();
    entries.push(("failed or interrupted (errno set)".into(), FAILED));
    for (label, fill) in entries {
        let stroke = if fill == FAILED { FAILED } else { "#333333" };
        let _ = writeln!(
            s,
            r#"<rect x="{x:.1}" y="{y:.1}" width="8" height="12" fill="{fill}" stroke="{stroke}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            x + 12.0,
            y + 9.0,
            esc(&label)
        );
        x += 24.0 + 6.6 * label.chars().count() as f64;
    }
    let y2 = y + 24.0;
    let segment = match (line.inferred, line.udp) {
        (true, false) => "dashed arrow: a segment the calls imply (inferred, not captured)",
        (false, false) => {
            "arrow: a segment captured on the wire; seq/ack relative to each side's SYN"
        }
        (true, true) => "dashed arrow: a datagram the calls imply (inferred, not captured)",
        (false, true) => "arrow: a datagram captured on the wire (UDP has no seq/ack)",
    };
    let class = if line.inferred {
        " class=\"inferred\""
    } else {
        ""
    };
    let _ = writeln!(
        s,
        r##"<g class="segment-sample"><line{class} x1="20" y1="{:.1}" x2="60" y2="{:.1}" marker-end="url(#head)"/></g><text x="70" y="{:.1}">{segment}; a bar is the time a call took (long: it blocked)</text>"##,
        y2 + 2.0,
        y2 + 8.0,
        y2 + 9.0,
    );
    let y3 = y2 + 20.0;
    let _ = writeln!(
        s,
        r#"<text x="20" y="{:.1}">times from the first call; 3 px per ms where time matters, waits over {} cut (≈)</text>"#,
        y3 + 9.0,
        timeline::duration(timeline::PROPORTIONAL_UP_TO)
    );
    s.push_str("</g>\n");
    y3 + 24.0
}

/// The whole figure.
pub fn render(line: &Timeline) -> String {
    let at = layout(line);
    let mut body = String::new();
    // The lifelines' heads and lines.
    let (client_transport, server_transport) = (
        format!("client {}", line.transport()),
        format!("server {}", line.transport()),
    );
    let heads = [
        (X_CLIENT, "client process", false),
        (X_CLIENT_TCP, client_transport.as_str(), true),
        (X_SERVER_TCP, server_transport.as_str(), true),
        (X_SERVER, "server process", false),
    ];
    let _ = writeln!(body, r#"<g class="lifelines">"#);
    for (x, name, tcp) in heads {
        let dashed = if tcp && line.inferred {
            r#" stroke-dasharray="6,4""#
        } else {
            ""
        };
        let _ = writeln!(
            body,
            r#"<g class="lifeline" data-name="{name}"><rect x="{:.1}" y="64" width="110" height="26" rx="4" class="head"/><text x="{x:.1}" y="81" text-anchor="middle" class="headtext">{name}</text><line x1="{x:.1}" y1="90" x2="{x:.1}" y2="{:.1}" class="life"{dashed}/></g>"#,
            x - 55.0,
            at.bottom
        );
    }
    if line.inferred {
        let _ = writeln!(
            body,
            r#"<text x="{:.1}" y="108" text-anchor="middle" class="warn">inferred, not captured</text>"#,
            (X_CLIENT_TCP + X_SERVER_TCP) / 2.0
        );
    }
    body.push_str("</g>\n");
    let _ = writeln!(body, r#"<g class="axis">"#);
    for (y, text) in &at.ticks {
        let _ = writeln!(body, r#"<text x="10" y="{:.1}">{text}</text>"#, y + 4.0);
    }
    body.push_str("</g>\n");
    for &(y, dt) in &at.cuts {
        draw_cut(&mut body, y, dt);
    }
    for (i, item) in line.items.iter().enumerate() {
        match item {
            Item::Call(call) => draw_call(
                &mut body,
                line,
                call,
                at.enter_y[i],
                at.exit_y[i],
                at.split[i],
            ),
            Item::Arrow(arrow) => draw_arrow(&mut body, arrow, at.enter_y[i]),
        }
    }
    let height = draw_legend(&mut body, line, at.bottom + 16.0);
    let (head, sub) = title(line);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="DejaVu Sans Mono, monospace" font-size="11">"#
    );
    s.push_str(concat!(
        "<style>\n",
        "text { fill: #222222; }\n",
        ".title { font-size: 15px; font-weight: bold; font-family: DejaVu Sans, sans-serif; }\n",
        ".sub, .legend text { font-family: DejaVu Sans, sans-serif; }\n",
        ".head { fill: #f2f2f2; stroke: #555555; }\n",
        ".headtext { font-weight: bold; font-family: DejaVu Sans, sans-serif; }\n",
        ".life { stroke: #888888; stroke-width: 1.5; }\n",
        ".axis text { fill: #777777; font-size: 10px; }\n",
        ".segment line, .segment-sample line { stroke: #222222; stroke-width: 1.4; }\n",
        ".segment .flags { font-weight: bold; }\n",
        ".segment .detail { fill: #444444; }\n",
        ".inferred line, line.inferred { stroke: #888888; stroke-dasharray: 5,3; }\n",
        ".inferred text { fill: #777777; }\n",
        ".rst line { stroke: #d62728; }\n",
        ".rst text.flags { fill: #d62728; }\n",
        ".failed text { fill: #d62728; }\n",
        ".cut path { stroke: #555555; stroke-width: 1.5; fill: none; }\n",
        ".cut text { fill: #555555; font-style: italic; }\n",
        ".warn { fill: #b05000; font-style: italic; font-family: DejaVu Sans, sans-serif; }\n",
        "</style>\n",
        "<defs>\n",
        r##"<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#222222"/></marker>"##,
        "\n",
        r##"<marker id="head-rst" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d62728"/></marker>"##,
        "\n</defs>\n",
    ));
    let _ = writeln!(
        s,
        r#"<rect width="100%" height="100%" fill="white"/><text x="20" y="26" class="title">{}</text><text x="20" y="46" class="sub">{}</text>"#,
        esc(&head),
        esc(&sub)
    );
    s.push_str(&body);
    s.push_str("</svg>\n");
    s
}
