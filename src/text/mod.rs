//! Every sentence sockstep says to a person, in English and in French.
//!
//! The server's French log uses the course's own words (« Connexion de », « Réception de »,
//! « Envoi de », « Envoi ok. », « Fermeture de la connexion avec le client. », « On se
//! débranche »). Nothing else in the crate holds user-facing prose: other modules build a
//! [`Msg`] or a [`Note`] and this module words it. The one exception is the layer table, whose
//! rows carry their own two languages (see `layers`), and the bench's words, which live beside
//! the bench (`bench::words`).
//!
//! Machine-read lines are not translated: `listening on IP:PORT` on stdout is a contract with
//! scripts and tests, and strace's notation in the narration is strace's.
//!
//! One file per audience, each with its exhaustive `match` on (message, language), so that the
//! compiler proves every message exists in both languages:
//!
//! - `log`: [`Msg`], the server's and the client's log on stderr.
//! - `notes`: [`Note`], the narration's bracket after each call.
//! - `tcp_state`: [`TcpState`], a connection's state as the kernel and `ss` name it.
//! - `errors`: [`Problem`], [`errno_hint`], [`error_prefix`]: what goes wrong, and why.
//! - `step`: [`step_prompt`], the stop `--step` makes before each call.
//!
//! This file holds what they share: the language, a fixed text in both languages, and the
//! small words for bytes, counts and decimal numbers.
//!
//! French typography, everywhere the French text is written: a no-break space (U+00A0, typed
//! as the character itself) before `:`, `;`, `?` and `!` and inside « », so that a line never
//! breaks before the sign; a decimal comma (`1,5 s`, through [`decimal`]). `tests/french.rs`
//! checks every French string the program prints against these rules.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

mod errors;
mod log;
mod notes;
mod step;
mod tcp_state;

pub use errors::{Problem, errno_hint, error_prefix};
pub use log::Msg;
pub use notes::{Holder, Note};
pub use step::{step_interrupted, step_no_turn, step_prompt, step_waiting};
pub use tcp_state::TcpState;

/// The language of logs, narration and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    En,
    Fr,
}

static LANG: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// A language this thread speaks for a moment, whatever the program's: the event record
    /// words its messages in English.
    static SPEAKING: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

impl Lang {
    /// Runs `f` with this thread speaking `self`.
    pub fn speaking<T>(self, f: impl FnOnce() -> T) -> T {
        let before = SPEAKING.with(|s| s.replace(Some(self)));
        let result = f();
        SPEAKING.with(|s| s.set(before));
        result
    }

    /// The language the environment asks for: `LC_ALL`, then `LC_MESSAGES`, then `LANG`, as
    /// `setlocale` reads them; `fr*` gives French, anything else English.
    pub fn from_env() -> Lang {
        let wanted = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|value| !value.is_empty())
            .unwrap_or_default();
        if wanted.starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// Sets the language of the whole program (once, in `main`).
    pub fn set(self) {
        LANG.store(self as u8, Ordering::Relaxed);
    }

    /// The language of the whole program (or the one this thread is [`Lang::speaking`]).
    pub fn current() -> Lang {
        if let Some(lang) = SPEAKING.with(std::cell::Cell::get) {
            return lang;
        }
        match LANG.load(Ordering::Relaxed) {
            1 => Lang::Fr,
            _ => Lang::En,
        }
    }
}

/// A fixed text in both languages.
#[derive(Clone, Copy, Debug)]
pub struct Text {
    pub en: &'static str,
    pub fr: &'static str,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Fr => self.fr,
        }
    }
}

/// Shows received or sent bytes as the course's `print` shows a decoded message: as text,
/// quoted, with control characters escaped, cut after 60 characters. Bytes that are not UTF-8
/// show as U+FFFD (the bytes themselves are passed on unchanged; this is only the log).
pub struct Quoted<'a>(pub &'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 60;
        let text = String::from_utf8_lossy(self.0);
        let mut chars = text.chars();
        let shown: String = chars.by_ref().take(SHOWN).collect();
        write!(f, "\"{}\"", shown.escape_debug())?;
        if chars.next().is_some() {
            write!(f, "...")?;
        }
        Ok(())
    }
}

/// A decimal number as the language writes it: `1.5` in English, `1,5` in French.
/// `places`: the digits after the point, or `None` for as many as the number needs.
pub fn decimal(value: f64, places: Option<usize>) -> String {
    let text = match places {
        Some(places) => format!("{value:.places$}"),
        None => format!("{value}"),
    };
    decimal_point(&text)
}

/// `text` with each decimal point (a `.` between two digits) written as the language writes
/// it: unchanged in English, a comma in French (`0.52 0.58` becomes `0,52 0,58`).
pub fn decimal_point(text: &str) -> String {
    if Lang::current() == Lang::En {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between_digits = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c == '.' && between_digits { ',' } else { c }
        })
        .collect()
}

/// A number of bytes, worded: `1 byte`, `8 bytes`; in French `1 octet`, `8 octets` (French
/// keeps 0 and 1 singular).
pub struct Bytes(pub usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        match (Lang::current(), n) {
            (Lang::En, 1) => write!(f, "1 byte"),
            (Lang::En, _) => write!(f, "{n} bytes"),
            (Lang::Fr, 0 | 1) => write!(f, "{n} octet"),
            (Lang::Fr, _) => write!(f, "{n} octets"),
        }
    }
}

/// `1 client`, `3 clients`: the number and the word that agrees with it. English makes
/// every number but 1 plural; French only numbers from 2 (`0 client servi`).
pub(crate) fn count(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n = n.try_into().unwrap_or(u64::MAX);
    let plural = match Lang::current() {
        Lang::En => n != 1,
        Lang::Fr => n > 1,
    };
    format!("{n} {}", if plural { many } else { one })
}
