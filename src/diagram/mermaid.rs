//! The same dialogue as a Mermaid sequence diagram, for pages and slides that render Mermaid:
//! the four participants, each call as a message from its process to its TCP (or UDP; a cross
//! for a failed call), each segment or datagram as a message between them (dashed when
//! inferred).

use std::fmt::Write as _;

use super::timeline::{Item, Side, Timeline};

/// Mermaid's text cannot hold `;` or `#` plainly, nor a line break.
fn clean(text: &str) -> String {
    text.replace('#', "#35;")
        .replace(';', "#59;")
        .replace('\n', " ")
}

/// The whole diagram.
pub fn render(line: &Timeline) -> String {
    let mut s = String::from("sequenceDiagram\n");
    s.push_str("    participant CP as client process\n");
    let transport = line.transport();
    let _ = writeln!(s, "    participant CT as client {transport}");
    let _ = writeln!(s, "    participant ST as server {transport}");
    s.push_str("    participant SP as server process\n");
    if line.inferred {
        s.push_str("    Note over CT,ST: inferred, not captured\n");
    }
    for item in &line.items {
        match item {
            Item::Call(call) => {
                let (process, tcp) = match call.side {
                    Side::Client => ("CP", "CT"),
                    Side::Server => ("SP", "ST"),
                };
                let arrow = if call.failed { "-x" } else { "->>" };
                let _ = writeln!(
                    s,
                    "    {process}{arrow}{tcp}: {}",
                    clean(&format!("{}{} {}", call.who, call.call, call.result))
                );
            }
            Item::Arrow(arrow) => {
                let (from, to) = match arrow.from {
                    Side::Client => ("CT", "ST"),
                    Side::Server => ("ST", "CT"),
                };
                let style = if arrow.inferred { "-->>" } else { "->>" };
                let mut text = arrow.flags.clone();
                if let Some(port) = arrow.conn {
                    text = format!(":{port} {text}");
                }
                if !arrow.detail.is_empty() {
                    text = format!("{text} {}", arrow.detail);
                }
                let _ = writeln!(s, "    {from}{style}{to}: {}", clean(&text));
            }
        }
    }
    s
}
