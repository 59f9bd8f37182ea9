//! Reading the event record (`--events FILE`): one JSON object per line, as `narrate::record`
//! writes it (schema version 1).
//!
//! Each line is read twice: first only its `v`, so that a record of another schema version is
//! refused by name rather than misread; then the whole line into an [`Event`]. A line that is not
//! JSON (a record cut short while its writer was killed) is refused with its number.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::words::Trouble;

/// The schema version this reader understands.
pub const VERSION: u32 = 1;

/// Who wrote the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Server,
    Client,
}

/// A call's line or a log event's line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Call,
    Log,
}

/// The data a call moved: its whole length and its first bytes in hex.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Bytes {
    pub len: usize,
    pub hex: String,
}

impl Bytes {
    /// The kept bytes, decoded from hex (what cannot be decoded is left out).
    pub fn data(&self) -> Vec<u8> {
        (0..self.hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(self.hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }
}

/// The call's row of the layer table: its key and its layers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Layer {
    pub row: String,
    pub internet: String,
    pub osi: String,
}

/// One line of the record. Fields a log line does not have are `None`.
#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    pub v: u32,
    pub kind: Kind,
    /// CLOCK_REALTIME in nanoseconds when the call was made and when it returned (equal for a
    /// log event): the clock tcpdump stamps packets with.
    pub t_enter: u64,
    pub t_exit: u64,
    #[serde(default)]
    pub pid: Option<i32>,
    #[serde(default)]
    pub tid: Option<i32>,
    pub role: Role,
    #[serde(default)]
    pub model: Option<String>,
    /// The course's name (`recv`) and strace's (`recvfrom`).
    #[serde(default)]
    pub call: Option<String>,
    #[serde(default)]
    pub syscall: Option<String>,
    #[serde(default)]
    pub fd: Option<i64>,
    /// The arguments by name, in the man page's order; an address is `{ip, port}`.
    #[serde(default)]
    pub args: BTreeMap<String, Value>,
    #[serde(default)]
    pub ret: Option<i64>,
    /// The errno's name (`ECONNRESET`) when the call failed.
    #[serde(default)]
    pub errno: Option<String>,
    #[serde(default)]
    pub bytes: Option<Bytes>,
    #[serde(default)]
    pub layer: Option<Layer>,
    #[serde(default)]
    pub tcp_state: Option<String>,
    /// A log event's message.
    #[serde(default)]
    pub msg: Option<String>,
}

impl Event {
    /// The name strace gives the call (`recvfrom`), or the course's if the line has none.
    pub fn syscall(&self) -> &str {
        self.syscall
            .as_deref()
            .or(self.call.as_deref())
            .unwrap_or("?")
    }

    /// The course's name of the call (`recv`), or strace's.
    pub fn call(&self) -> &str {
        self.call
            .as_deref()
            .or(self.syscall.as_deref())
            .unwrap_or("?")
    }

    /// The port of an address argument (`addr`), if the call has one.
    pub fn addr_port(&self) -> Option<u16> {
        let port = self.args.get("addr")?.get("port")?.as_u64()?;
        u16::try_from(port).ok()
    }

    /// The address argument as `IP:PORT`.
    pub fn addr(&self) -> Option<String> {
        let addr = self.args.get("addr")?;
        let ip = addr.get("ip")?.as_str()?;
        let port = addr.get("port")?.as_u64()?;
        Some(match ip.contains(':') {
            true => format!("[{ip}]:{port}"),
            false => format!("{ip}:{port}"),
        })
    }

    /// Did the call fail (an errno is set)?
    pub fn failed(&self) -> bool {
        self.errno.is_some()
    }
}

/// Only the version, read before the rest of a line.
#[derive(Deserialize)]
struct Version {
    v: u32,
}

/// Reads a record from its text; `path` names it in errors.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Event>, Trouble> {
    let mut events = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: String| Trouble::BadLine {
            path: path.display().to_string(),
            line: line_no,
            why,
        };
        let version: Version = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        if version.v != VERSION {
            return Err(Trouble::OtherVersion {
                path: path.display().to_string(),
                line: line_no,
                v: version.v,
            });
        }
        events.push(serde_json::from_str(line).map_err(|e| bad(e.to_string()))?);
    }
    Ok(events)
}

/// Reads a record from its file.
pub fn read(path: &Path) -> Result<Vec<Event>, Trouble> {
    let text = std::fs::read_to_string(path).map_err(|e| Trouble::Read {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"v":1,"kind":"call","t_enter":10,"t_exit":20,"pid":7,"tid":7,"role":"client","model":null,"call":"connect","syscall":"connect","fd":3,"args":{"fd":3,"addr":{"ip":"127.0.0.1","port":6789},"addrlen":16},"ret":0,"errno":null,"bytes":null,"layer":{"row":"connect","internet":"transport + internet","osi":"4 + 3"},"tcp_state":null,"note":"connected"}"#;

    /// A call's line gives its names, its address and its result.
    #[test]
    fn reads_a_call() {
        let events = parse(Path::new("c.jsonl"), LINE).unwrap();
        assert_eq!(events.len(), 1);
        let connect = &events[0];
        assert_eq!(connect.syscall(), "connect");
        assert_eq!(connect.addr().as_deref(), Some("127.0.0.1:6789"));
        assert_eq!(connect.addr_port(), Some(6789));
        assert_eq!(connect.ret, Some(0));
        assert!(!connect.failed());
    }

    /// Another schema version is refused, naming the file and the line.
    #[test]
    fn refuses_another_version() {
        let text = format!("{LINE}\n{}", LINE.replace(r#""v":1"#, r#""v":2"#));
        let error = parse(Path::new("c.jsonl"), &text).unwrap_err().to_string();
        assert!(error.contains("c.jsonl:2"), "{error}");
        assert!(error.contains("version 2"), "{error}");
    }

    /// A line cut short is refused with its number.
    #[test]
    fn refuses_a_truncated_line() {
        let text = format!("{LINE}\n{}", &LINE[..40]);
        let error = parse(Path::new("c.jsonl"), &text).unwrap_err().to_string();
        assert!(error.contains("c.jsonl:2"), "{error}");
    }
}
