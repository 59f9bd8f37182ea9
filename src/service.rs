//! What the server answers: the services, written once for every server model.
//!
//! A service sees the byte stream of one connection, piece by piece as `recv()` delivers it,
//! and says what to send back. It makes no system call: the server models move the bytes.
//!
//! Four services, each on its own port, as one machine offers HTTP on 80 and SMTP on 25
//! (`--listen SERVICE:PORT`): the course's parrot (`upper`) and three of the Internet's oldest
//! services, kept small so that each shows one shape of dialogue: `echo` (RFC 862) answers
//! every byte, `discard` (RFC 863) answers nothing, `daytime` (RFC 867) speaks first, once,
//! without listening, and closes.
//!
//! The course's service is the parrot (« perroquet »): every message comes back in upper case.
//! TCP has no messages, only a stream of bytes, so the parrot is a stream transform with no
//! framing: it upper-cases whatever has arrived and replies at once. Two things make that
//! subtle, and both are handled here:
//! - a UTF-8 character may be cut in two by the network (`é` is the two bytes `C3 A9`, and one
//!   `recv` may end between them): the first part waits for the rest;
//! - not every byte stream is UTF-8: bytes that are not are passed back unchanged, so nothing
//!   is ever lost (the course's Python `decode('utf-8')` would raise an exception instead).

/// A service a server offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    /// The course's parrot: replies in upper case, by Unicode rules (`é`→`É`, `ß`→`SS`).
    Upper,
    /// RFC 862: sends back every byte as it came.
    Echo,
    /// RFC 863: reads everything, answers nothing, keeps the connection open.
    Discard,
    /// RFC 867: sends one line with the local date and time, then closes.
    Daytime,
}

impl Service {
    /// The name used on the command line and in `listening on` lines.
    pub fn name(self) -> &'static str {
        match self {
            Service::Upper => "upper",
            Service::Echo => "echo",
            Service::Discard => "discard",
            Service::Daytime => "daytime",
        }
    }
}

/// How a service begins a connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Opening {
    /// Wait for the client to speak (upper, echo, discard).
    Listen,
    /// Send these bytes at once, then close without reading anything (daytime).
    SayAndClose(Vec<u8>),
}

/// The service's state for one connection.
#[derive(Debug)]
pub struct Session {
    service: Service,
    /// The first bytes of a UTF-8 character whose last bytes have not arrived yet (at most 3).
    carry: Vec<u8>,
}

impl Session {
    pub fn new(service: Service) -> Session {
        Session {
            service,
            carry: Vec::new(),
        }
    }

    /// What to do as soon as the connection is accepted, before reading anything.
    pub fn open(&mut self) -> Opening {
        match self.service {
            Service::Upper | Service::Echo | Service::Discard => Opening::Listen,
            Service::Daytime => Opening::SayAndClose(daytime_line(std::time::SystemTime::now())),
        }
    }

    /// Appends to `reply` the answer to `data`, the bytes one `recv()` just gave.
    pub fn respond(&mut self, data: &[u8], reply: &mut Vec<u8>) {
        match self.service {
            Service::Upper => self.upper(data, reply),
            Service::Echo => reply.extend_from_slice(data),
            // RFC 863: "Any data received is thrown away. No response is sent."
            Service::Discard => {}
            // Daytime closes before reading; should bytes come anyway, they get no answer.
            Service::Daytime => {}
        }
    }

    /// The answer to `data`, the bytes one `recv()` just gave, ready to send: `data` itself for
    /// echo, whose answer is the bytes unchanged (sent from the read buffer, as a C echo
    /// server writes the buffer it read: no copy of each message); otherwise `scratch`,
    /// emptied, then filled by [`Session::respond`].
    pub fn answer<'a>(&mut self, data: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
        if self.service == Service::Echo {
            return data;
        }
        scratch.clear();
        self.respond(data, scratch);
        scratch
    }

    /// Appends to `reply` whatever is still owed when the client has closed its side: the bytes
    /// of a character that will never be completed go back as they came.
    pub fn finish(&mut self, reply: &mut Vec<u8>) {
        reply.append(&mut self.carry);
    }

    fn upper(&mut self, data: &[u8], reply: &mut Vec<u8>) {
        let joined;
        let input = if self.carry.is_empty() {
            data
        } else {
            self.carry.extend_from_slice(data);
            joined = std::mem::take(&mut self.carry);
            &joined[..]
        };
        let mut chunks = input.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            push_upper(chunk.valid(), reply);
            let invalid = chunk.invalid();
            if chunks.peek().is_none() && is_incomplete_char(invalid) {
                // The stream ends in the middle of a character: keep its first bytes until
                // the next recv() brings the rest.
                self.carry.extend_from_slice(invalid);
            } else {
                // Not UTF-8: pass the bytes back unchanged.
                reply.extend_from_slice(invalid);
            }
        }
    }
}

/// A reply to a datagram is never more than this many times the datagram's length: a UDP
/// server answers whoever the source address says, and that address can be forged, so a reply
/// bigger than the request would make the server an amplifier for an attack (CERT CA-1996-01).
/// Upper-casing never needs more: the longest growth in Unicode's case tables is a 2-byte
/// character that becomes three 2-byte ones (`ΐ` → `Ϊ́`), 3 times.
pub const DATAGRAM_REPLY_FACTOR: usize = 3;

impl Service {
    /// Appends to `reply` the answer to one whole datagram: one datagram in, one reply out,
    /// with no state carried from one datagram to the next (each may come from a different
    /// client). A UTF-8 character cannot be cut across datagrams, so bytes that are not UTF-8,
    /// even at the end, go back unchanged. The reply is cut to [`DATAGRAM_REPLY_FACTOR`] times
    /// the datagram; returns its length before the cut if it was cut.
    pub fn answer_datagram(self, datagram: &[u8], reply: &mut Vec<u8>) -> Option<usize> {
        reply.clear();
        let mut session = Session::new(self);
        if let Opening::SayAndClose(line) = session.open() {
            reply.extend_from_slice(&line);
        }
        session.respond(datagram, reply);
        session.finish(reply);
        let cap = datagram.len() * DATAGRAM_REPLY_FACTOR;
        let len = reply.len();
        (len > cap).then(|| {
            reply.truncate(cap);
            len
        })
    }
}

/// The daytime line for `now`, in the local time zone, in RFC 867's own example's format:
/// `Tuesday, February 22, 1982 17:37:43-PST`, ended by CR LF as Internet text lines are.
///
/// RFC 867 leaves the syntax free ("for machine useful time use the Time Protocol"); this is
/// the format it shows. Reading the clock is no system call (Linux serves `clock_gettime`
/// from the vDSO), and the time zone file is read once, at the first call.
pub fn daytime_line(now: std::time::SystemTime) -> Vec<u8> {
    let secs = match now.duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => since.as_secs() as libc::time_t,
        Err(_) => 0,
    };
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let local = unsafe { libc::localtime_r(&secs, &mut tm) };
    let mut out = [0u8; 128];
    let written = if local.is_null() {
        0
    } else {
        // SAFETY: the format is NUL-terminated, `out` is writable for its length, and strftime
        // writes at most that many bytes (it returns 0 if the result does not fit).
        unsafe {
            libc::strftime(
                out.as_mut_ptr().cast(),
                out.len(),
                c"%A, %B %-d, %Y %H:%M:%S-%Z".as_ptr(),
                &tm,
            )
        }
    };
    let mut line = out[..written].to_vec();
    line.extend_from_slice(b"\r\n");
    line
}

/// Appends `text` in upper case. Upper-casing may lengthen the text: `ß` becomes `SS`.
fn push_upper(text: &str, reply: &mut Vec<u8>) {
    if text.is_ascii() {
        reply.extend(text.bytes().map(|b| b.to_ascii_uppercase()));
    } else {
        reply.extend_from_slice(text.to_uppercase().as_bytes());
    }
}

/// Are these bytes the start of a UTF-8 character that more bytes could complete?
fn is_incomplete_char(bytes: &[u8]) -> bool {
    !bytes.is_empty() && std::str::from_utf8(bytes).is_err_and(|e| e.error_len().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Echo answers with the very bytes it was given (no copy, the scratch space untouched);
    /// upper answers from the scratch space, emptied first.
    #[test]
    fn answer_is_the_data_for_echo_and_the_scratch_for_upper() {
        let data = b"abc".to_vec();
        let mut scratch = b"old".to_vec();
        let answer = Session::new(Service::Echo).answer(&data, &mut scratch);
        assert!(std::ptr::eq(answer, &data[..]));
        assert_eq!(scratch, b"old");
        let answer = Session::new(Service::Upper).answer(&data, &mut scratch);
        assert_eq!(answer, b"ABC");
    }

    /// Feeds `pieces` to one upper session as successive recv()s; returns all replies.
    fn parrot(pieces: &[&[u8]]) -> Vec<u8> {
        let mut session = Session::new(Service::Upper);
        let mut reply = Vec::new();
        for piece in pieces {
            session.respond(piece, &mut reply);
        }
        session.finish(&mut reply);
        reply
    }

    #[test]
    fn upper_cases_by_unicode_rules() {
        assert_eq!(
            parrot(&["bonjour, ça va ? straße 😀\n".as_bytes()]),
            "BONJOUR, ÇA VA ? STRASSE 😀\n".as_bytes()
        );
    }

    #[test]
    fn a_character_cut_in_two_waits_for_its_end() {
        let e_acute = "é".as_bytes();
        let mut session = Session::new(Service::Upper);
        let mut reply = Vec::new();
        session.respond(&[b'a', e_acute[0]], &mut reply);
        assert_eq!(reply, b"A", "the half character must wait");
        session.respond(&[e_acute[1], b'\n'], &mut reply);
        assert_eq!(reply, "AÉ\n".as_bytes());
    }

    #[test]
    fn a_four_byte_character_in_four_pieces() {
        let smiley = "😀".as_bytes();
        let pieces: Vec<&[u8]> = smiley.chunks(1).collect();
        assert_eq!(parrot(&pieces), smiley);
    }

    #[test]
    fn bytes_that_are_not_utf8_come_back_unchanged() {
        assert_eq!(parrot(&[b"ab\xffcd\xc3(\n"]), b"AB\xffCD\xc3(\n");
        assert_eq!(parrot(&[b"\xed\xa0\x80x"]), b"\xed\xa0\x80X");
    }

    #[test]
    fn an_unfinished_character_at_the_end_goes_back_as_it_came() {
        assert_eq!(parrot(&[b"ok\xe2\x82"]), b"OK\xe2\x82");
    }

    #[test]
    fn discard_answers_nothing() {
        let mut session = Session::new(Service::Discard);
        assert_eq!(session.open(), Opening::Listen);
        let mut reply = Vec::new();
        session.respond(b"anything\n", &mut reply);
        session.finish(&mut reply);
        assert_eq!(reply, b"");
    }

    #[test]
    fn daytime_speaks_first_one_line() {
        let mut session = Session::new(Service::Daytime);
        let Opening::SayAndClose(line) = session.open() else {
            panic!("daytime must speak first");
        };
        let text = String::from_utf8(line).unwrap();
        assert!(text.ends_with("\r\n"), "{text:?}");
        assert_eq!(text.lines().count(), 1, "{text:?}");
        // RFC 867's shape: `Weekday, Month D, YYYY HH:MM:SS-ZONE`.
        let (weekday, rest) = text.split_once(", ").unwrap();
        assert!(weekday.ends_with("day"), "{text:?}");
        assert!(rest.contains(':') && rest.contains('-'), "{text:?}");
    }

    #[test]
    fn echo_is_the_identity() {
        let mut session = Session::new(Service::Echo);
        let mut reply = Vec::new();
        session.respond(b"abc\xff\n", &mut reply);
        assert_eq!(reply, b"abc\xff\n");
    }

    #[test]
    fn a_datagram_gets_one_whole_reply() {
        let mut reply = Vec::new();
        assert_eq!(
            Service::Upper.answer_datagram(b"ab\xffc\xc3", &mut reply),
            None
        );
        assert_eq!(reply, b"AB\xffC\xc3", "no carry between datagrams");
        assert_eq!(Service::Echo.answer_datagram(b"x\n", &mut reply), None);
        assert_eq!(reply, b"x\n");
        assert_eq!(Service::Discard.answer_datagram(b"x\n", &mut reply), None);
        assert_eq!(reply, b"");
    }

    #[test]
    fn upper_case_grows_at_most_three_times() {
        // U+0390 (2 bytes) upper-cases to U+0399 U+0308 U+0301 (6 bytes): the worst case.
        let mut reply = Vec::new();
        let datagram = "ΐ".repeat(10);
        assert_eq!(
            Service::Upper.answer_datagram(datagram.as_bytes(), &mut reply),
            None
        );
        assert_eq!(reply.len(), datagram.len() * DATAGRAM_REPLY_FACTOR);
        // No character of the Basic Multilingual Plane grows more than 3 times.
        for c in (0..0x1_0000u32).filter_map(char::from_u32) {
            let input = c.to_string();
            let grown = input.to_uppercase().len();
            assert!(grown <= input.len() * DATAGRAM_REPLY_FACTOR, "{c:?}");
        }
    }

    #[test]
    fn a_reply_past_the_factor_is_cut() {
        // Daytime says about 40 bytes to any datagram: to a 2-byte one, 6 bytes at most.
        let mut reply = Vec::new();
        let before = Service::Daytime.answer_datagram(b"?\n", &mut reply);
        assert!(before.is_some_and(|len| len > 6), "{before:?}");
        assert_eq!(reply.len(), 6);
    }
}
