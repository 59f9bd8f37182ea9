//! The one table that maps each call the course names to the layers it acts on.
//!
//! Everything that speaks of layers reads this table: the narration's `[...]` bracket, the
//! `--step` prompt, `sockstep layers`, and the layers chapter of the book (checked against it by
//! a test).
//! Each row says, in English and in French, which layer of the Internet model (RFC 1122) the
//! call acts on, which OSI layer(s) that corresponds to, what the kernel does, what appears
//! on the wire because of it, and what to look at in another terminal meanwhile (the `--step`
//! prompt's "look"). What one call does is written here once; the wrappers in `sys` keep only
//! the man page's summary and strace's line.
//!
//! A note on OSI: TCP/IP was not built on the OSI model, and its layers do not line up one to
//! one. TCP is clearly transport (OSI 4) and IP clearly network (OSI 3). Opening and releasing
//! a connection is a transport service in OSI too (T-CONNECT and T-DISCONNECT, ITU-T X.214), so
//! `accept`, `shutdown` and `close` are OSI 4. OSI's session (5) and presentation (6) layers
//! have no TCP/IP counterpart: dialogue control (who speaks when, where to resume) is left to
//! the application, and encoding text as UTF-8 (OSI 6's job) is done by our program. The
//! socket API sits on the boundary between the application and the kernel's transport layer,
//! which is why the data calls say "application ↔ transport". The readiness calls (`select`,
//! `poll`, `epoll_*`) wait on any kind of descriptor and send nothing: they belong to no layer.
//!
//! The rows are in `table`; this file holds a row's shape, the lookup, and the renderings.

mod table;

pub use table::TABLE;

use crate::narrate;
use crate::text::{Lang, Text};

/// One row of the table.
pub struct Row {
    /// The call as the course and the C library name it (`recv`).
    pub call: &'static str,
    /// The system call strace shows for it (`recvfrom`): glibc makes `recv()` a `recvfrom`.
    /// Empty for a library call (`getaddrinfo`), which strace never shows as such.
    pub syscall: &'static str,
    /// The layer of the Internet model (application, transport, internet, link).
    pub internet: Text,
    /// The OSI layer or layers.
    pub osi: &'static str,
    /// What the kernel does.
    pub kernel: Text,
    /// What appears on the wire because of this call.
    pub wire: Text,
    /// What to look at, in another terminal, around the call: `--step` shows it before the
    /// call, with `PID` replaced by the process's id.
    pub look: Text,
}

impl Row {
    /// Is it a library call (code in the process, such as `getaddrinfo`) rather than a
    /// system call?
    pub fn is_library(&self) -> bool {
        self.syscall.is_empty()
    }

    /// What the table's "strace shows" column says: the system call, or that there is none
    /// (`(library)` in the text table, whose column is one word wide).
    fn strace_shows(&self, lang: Lang, markdown: bool) -> String {
        match (self.is_library(), markdown, lang) {
            (false, true, _) => format!("`{}`", self.syscall),
            (false, false, _) => self.syscall.to_string(),
            (true, true, Lang::En) => "none: a library call".into(),
            (true, true, Lang::Fr) => "rien : appel de bibliothèque".into(),
            (true, false, Lang::En) => "(library)".into(),
            (true, false, Lang::Fr) => "(bibliothèque)".into(),
        }
    }
}

/// The row for `call` (the course's name: `recv`, not `recvfrom`).
///
/// Panics when `call` has no row: every wrapper in `sys` names a call of this table, and a test
/// checks that it does.
pub fn row(call: &str) -> &'static Row {
    TABLE
        .iter()
        .find(|row| row.call == call)
        .unwrap_or_else(|| panic!("layers::TABLE has no row for {call}()"))
}

/// The short label the narration puts in its bracket: `transport · OSI 4`.
pub fn label(call: &str, lang: Lang) -> String {
    let row = row(call);
    format!("{} · OSI {}", row.internet.get(lang), row.osi)
}

/// The whole table as aligned text, for `sockstep layers`.
pub fn render(lang: Lang) -> String {
    let mut out = String::new();
    let (h_call, h_syscall, h_internet, h_kernel, h_wire, h_look) = match lang {
        Lang::En => (
            "call",
            "strace shows",
            "Internet model",
            "the kernel",
            "on the wire",
            "look",
        ),
        Lang::Fr => (
            "appel",
            "strace montre",
            "modèle Internet",
            "le noyau",
            "sur le fil",
            "à voir",
        ),
    };
    // Each column as wide as its widest cell, and one space between: `epoll_create1()` and
    // `getsockname()` are longer than most.
    let width = |cells: &mut dyn Iterator<Item = String>| {
        cells.map(|cell| cell.chars().count()).max().unwrap_or(0)
    };
    let w_call =
        width(&mut TABLE.iter().map(|row| format!("{}()", row.call))).max(h_call.chars().count());
    let w_syscall = width(&mut TABLE.iter().map(|row| row.strace_shows(lang, false)))
        .max(h_syscall.chars().count());
    let w_internet = width(&mut TABLE.iter().map(|row| row.internet.get(lang).to_string()))
        .max(h_internet.chars().count());
    out.push_str(&format!(
        "{h_call:<w_call$} {h_syscall:<w_syscall$} {h_internet:<w_internet$} OSI\n"
    ));
    // What the kernel does, what goes on the wire and what to look at: indented under the
    // row, cut between words to keep within the narration's width.
    let (sep, next) = match lang {
        Lang::En => (": ", "        "),
        Lang::Fr => (" : ", "        "),
    };
    for row in TABLE {
        out.push_str(&format!(
            "{:<w_call$} {:<w_syscall$} {:<w_internet$} {}\n",
            format!("{}()", row.call),
            row.strace_shows(lang, false),
            row.internet.get(lang),
            row.osi
        ));
        for (heading, text) in [
            (h_kernel, &row.kernel),
            (h_wire, &row.wire),
            (h_look, &row.look),
        ] {
            out.push_str(&narrate::wrap_words(
                &format!("    {heading}{sep}"),
                next,
                text.get(lang),
            ));
        }
    }
    out
}

/// The table as a Markdown table, for the book.
pub fn render_markdown(lang: Lang) -> String {
    let mut out = String::new();
    let header = match lang {
        Lang::En => {
            "| call | strace shows | Internet model | OSI | the kernel | on the wire | look |"
        }
        Lang::Fr => {
            "| appel | strace montre | modèle Internet | OSI | le noyau | sur le fil | à voir |"
        }
    };
    out.push_str(header);
    out.push_str("\n|---|---|---|---|---|---|---|\n");
    for row in TABLE {
        out.push_str(&format!(
            "| `{}()` | {} | {} | {} | {} | {} | {} |\n",
            row.call,
            row.strace_shows(lang, true),
            row.internet.get(lang),
            row.osi,
            row.kernel.get(lang),
            row.wire.get(lang),
            row.look.get(lang)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_has_one_row() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert_ne!(a.call, b.call, "two rows for {}()", a.call);
            }
        }
    }

    /// Opening and releasing a connection is OSI's transport service (T-CONNECT,
    /// T-DISCONNECT), not its session layer: no row says 5.
    #[test]
    fn connections_open_and_close_at_the_transport_layer() {
        for call in ["accept", "accept4", "shutdown", "close"] {
            assert_eq!(row(call).osi, "4", "{call}()");
            assert_eq!(row(call).internet.en, "transport", "{call}()");
        }
        for row in TABLE {
            assert!(
                !row.osi.contains('5'),
                "{}() says OSI {}",
                row.call,
                row.osi
            );
        }
    }

    /// The readiness calls wait on any descriptor and send nothing: all of them, alike, are in
    /// no network layer.
    #[test]
    fn readiness_calls_belong_to_no_layer() {
        for call in ["select", "poll", "epoll_create1", "epoll_ctl", "epoll_wait"] {
            let row = row(call);
            assert_eq!(row.osi, "—", "{call}()");
            assert!(row.internet.en.starts_with("none"), "{call}()");
            assert!(row.internet.fr.starts_with("aucune"), "{call}()");
            assert_eq!(row.internet.en, super::row("poll").internet.en, "{call}()");
        }
    }

    #[test]
    fn glibc_renames_recv_and_send() {
        assert_eq!(row("recv").syscall, "recvfrom");
        assert_eq!(row("send").syscall, "sendto");
        assert_eq!(row("read").syscall, "read");
    }
}
