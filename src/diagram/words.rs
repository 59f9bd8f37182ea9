//! What `sockstep diagram` says when it cannot draw, in English and in French (the diagram's
//! own labels are strace's notation and TCP's, which are not translated).

use std::fmt;

use crate::text::Lang;

/// Why a diagram could not be drawn.
#[derive(Debug)]
pub enum Trouble {
    /// A file could not be read.
    Read { path: String, why: String },
    /// A line of an event record is not a line of the schema (not JSON: cut short?).
    BadLine {
        path: String,
        line: usize,
        why: String,
    },
    /// A line of an event record written with another version of the schema.
    OtherVersion { path: String, line: usize, v: u32 },
    /// The capture could not be read as pcap.
    Capture { path: String, why: String },
    /// The drawing could not be written.
    Write { path: String, why: String },
}

impl fmt::Display for Trouble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, Lang::current()) {
            (Trouble::Read { path, why }, Lang::En) => write!(f, "reading {path}: {why}"),
            (Trouble::Read { path, why }, Lang::Fr) => write!(f, "lecture de {path} : {why}"),
            (Trouble::BadLine { path, line, why }, Lang::En) => write!(
                f,
                "{path}:{line}: not an event of the record ({why}); a last line cut short means its writer was stopped mid-line"
            ),
            (Trouble::BadLine { path, line, why }, Lang::Fr) => write!(
                f,
                "{path}:{line} : pas un événement de l'enregistrement ({why}) ; une dernière ligne coupée veut dire que son auteur a été arrêté en pleine ligne"
            ),
            (Trouble::OtherVersion { path, line, v }, Lang::En) => write!(
                f,
                "{path}:{line}: an event of schema version {v}; this sockstep reads version {}",
                super::events::VERSION
            ),
            (Trouble::OtherVersion { path, line, v }, Lang::Fr) => write!(
                f,
                "{path}:{line} : un événement du schéma version {v} ; ce sockstep lit la version {}",
                super::events::VERSION
            ),
            (Trouble::Capture { path, why }, Lang::En) => {
                write!(f, "{path}: not a pcap capture sockstep can read: {why}")
            }
            (Trouble::Capture { path, why }, Lang::Fr) => {
                write!(
                    f,
                    "{path} : pas une capture pcap que sockstep sait lire : {why}"
                )
            }
            (Trouble::Write { path, why }, Lang::En) => write!(f, "writing {path}: {why}"),
            (Trouble::Write { path, why }, Lang::Fr) => write!(f, "écriture de {path} : {why}"),
        }
    }
}

impl std::error::Error for Trouble {}

impl From<Trouble> for crate::Error {
    fn from(trouble: Trouble) -> crate::Error {
        crate::Error::Problem(trouble.to_string())
    }
}
