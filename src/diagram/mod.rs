//! `sockstep diagram`: the dialogue of a real run drawn as UNP's figure 2.5, from the event
//! record (`--events`) of the server and the client, and a packet capture if there is one.
//!
//! Wireshark's flow graph has the packets and no calls; strace has the calls and no packets.
//! The record stamps each call with CLOCK_REALTIME, the clock tcpdump stamps packets with, so
//! both can be put on one time axis: each call on its process's line, each segment between the
//! two TCPs. One file per step:
//!
//! - `events`: reading the record (JSON lines, schema version 1).
//! - `pcap`: reading a capture's TCP segments (`pcap-file`, `etherparse`).
//! - `timeline`: calls and segments joined and put in time order; without a capture, the
//!   segments the calls imply.
//! - `svg`: the figure, written as plain SVG text.
//! - `mermaid`: the same dialogue as a Mermaid sequence diagram.
//! - `words`: what goes wrong, in English and in French.

pub mod events;
pub mod mermaid;
pub mod pcap;
pub mod svg;
pub mod timeline;
pub mod words;

use std::path::{Path, PathBuf};

pub use words::Trouble;

/// What `sockstep diagram` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Svg,
    Mermaid,
}

/// What to draw, from what, and where.
pub struct Options {
    pub events: Vec<PathBuf>,
    pub pcap: Option<PathBuf>,
    pub out: PathBuf,
    pub format: Format,
}

/// The drawing of these records and capture, in this format.
pub fn draw(events: &[PathBuf], pcap: Option<&Path>, format: Format) -> Result<String, Trouble> {
    let mut all = Vec::new();
    for path in events {
        all.extend(events::read(path)?);
    }
    let capture = pcap.map(pcap::read).transpose()?;
    let line = timeline::build(&all, capture.as_deref());
    Ok(match format {
        Format::Svg => svg::render(&line),
        Format::Mermaid => mermaid::render(&line),
    })
}

/// Draws and writes the drawing to `out`.
pub fn run(options: &Options) -> Result<(), Trouble> {
    let text = draw(&options.events, options.pcap.as_deref(), options.format)?;
    std::fs::write(&options.out, text).map_err(|e| Trouble::Write {
        path: options.out.display().to_string(),
        why: e.to_string(),
    })
}
