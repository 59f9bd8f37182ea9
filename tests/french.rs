//! In French (`--lang fr`, or a French locale), the server speaks the course's own words.

mod common;

use std::process::Command;

use common::{BIN, Server, echo, run_to_end, sockstep};
use pretty_assertions::assert_eq;

/// Serves one client with `bonjour` and returns the server's log, with the client's address
/// and the connection's descriptor written `ADDR` and `FD`.
fn one_dialogue(mut server: Server) -> Vec<String> {
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    let client_addr = client.local_addr().unwrap().to_string();
    drop(client);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let log = server.stderr.all();
    let fd = log
        .iter()
        .find_map(|l| {
            let rest = l.strip_prefix("[iterative] fd ")?;
            Some(
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>(),
            )
        })
        .unwrap_or_else(|| panic!("no fd in the log:\n{}", log.join("\n")));
    log.iter()
        .map(|l| {
            l.replace(&client_addr, "ADDR")
                .replace(&format!("] fd {fd}"), "] fd FD")
        })
        .collect()
}

/// The course's words, in the course's order: « Connexion de », « Réception de », « Envoi
/// de », « Envoi ok. », « Fermeture de la connexion avec le client. », « On se débranche ».
const COURSE_LOG: [&str; 7] = [
    "[iterative] fd FD : Connexion de ADDR",
    "[iterative] fd FD : Réception de : \"bonjour\\n\"",
    "[iterative] fd FD : Envoi de : \"BONJOUR\\n\"",
    "[iterative] fd FD : Envoi ok.",
    "[iterative] fd FD : recv() a renvoyé 0 : le client a fermé la connexion.",
    "[iterative] fd FD : Fermeture de la connexion avec le client.",
    "[iterative] On se débranche",
];

/// `--lang fr`: the server's log is the course's.
#[test]
fn lang_fr_logs_the_course_words() {
    let server = Server::loopback(&["--lang", "fr", "--once"]);
    assert_eq!(one_dialogue(server), COURSE_LOG);
}

/// With no `--lang`, `LANG=fr_FR.UTF-8` gives French; `LC_ALL` comes first, as for any
/// program, and `--lang` overrides the environment.
#[test]
fn a_french_locale_gives_french_by_default() {
    let mut command = Command::new(BIN);
    command
        .args(["server", "--bind", "127.0.0.1", "--port", "0", "--once"])
        .env("LANG", "fr_FR.UTF-8");
    assert_eq!(
        one_dialogue(Server::start_with(&mut command, 1)),
        COURSE_LOG
    );

    let mut command = Command::new(BIN);
    command
        .args(["server", "--bind", "127.0.0.1", "--port", "0", "--once"])
        .env("LANG", "fr_FR.UTF-8")
        .env("LC_ALL", "C.UTF-8");
    let log = one_dialogue(Server::start_with(&mut command, 1));
    assert_eq!(log[0], "[iterative] fd FD: connection from ADDR");

    let mut command = Command::new(BIN);
    command
        .args([
            "server",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--once",
            "--lang",
            "fr",
        ])
        .env("LC_ALL", "en_US.UTF-8");
    assert_eq!(
        one_dialogue(Server::start_with(&mut command, 1)),
        COURSE_LOG
    );
}

/// In French, EADDRINUSE is explained in French (the call and the errno stay as strace and the
/// man pages name them).
#[test]
fn eaddrinuse_in_french() {
    let first = Server::loopback(&["--log", "quiet"]);
    let port = first.addr().port().to_string();
    let run = run_to_end(
        &mut sockstep(&[
            "server",
            "--lang",
            "fr",
            "--bind",
            "127.0.0.1",
            "--port",
            &port,
        ]),
        b"",
    );
    assert!(!run.status.success());
    assert_eq!(
        run.stderr,
        format!(
            "sockstep: erreur : bind(127.0.0.1:{port}): EADDRINUSE: Address already in use (une autre socket tient déjà ce port (`ss -tuanp` montre laquelle : un serveur à l'écoute ou, sans SO_REUSEADDR, une connexion en TIME-WAIT) : choisir un autre port, ou --port 0 pour un port libre)"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// French typography, checked on every French string the program can print.
// ---------------------------------------------------------------------------------------------

/// The space French typography puts before `:`, `;`, `?` and `!` and inside « »: sockstep
/// writes the no-break space U+00A0 (one column wide in every terminal, and no line ever breaks
/// before the sign).
const NBSP: char = '\u{a0}';

/// The typography faults of `text`, one message each, with the line they are on.
///
/// The rules: `:`, `;`, `?` and `!` have a no-break space before them; « is followed and »
/// preceded by one; a decimal number before a unit has a comma (`1,5 s`, not `1.5 s`).
///
/// What the rules do not apply to, and why:
/// - text between backticks: commands and code (`ss -tln`, `socket:[inode]`);
/// - text between double quotes: the bytes of a message as the log quotes them, or a value;
/// - strace's notation, in strace's words in every language: a narration's call
///   (`{sa_family=AF_INET, ...}`, `= 0`, `= ?`), the lines before the bracket's first line
///   `    [` back to the one that is not indented by 8 spaces; and a step prompt's call after
///   « ensuite : »;
/// - the cut of a long line: a line indented by 8 spaces that is not part of a narration's
///   call goes on from the line before (a log line, a step prompt's line, a cell of `sockstep
///   layers`), and is checked joined to it, so that a quote or a call cut in two stays whole;
/// - a sign with no space after it: notation, not punctuation (`127.0.0.1:6789`,
///   `::ffff:a.b.c.d`, `https://`, `12:00`, `echo:7007`, `path:3:`, `!=`);
/// - C's notation: the `};` that closes a structure (`sockstep addr`); Markdown's: a table's
///   alignment row (`| :-- | --: |`);
/// - a failed call, `call(args): ERRNO: strerror`: the notation of the error and of the C
///   library's message, which are not translated; and the program's name before its error
///   (`sockstep: erreur…`), as every Unix program starts its messages.
fn typography_faults(text: &str) -> Vec<String> {
    let mut faults = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut strace_call = vec![false; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("    [") {
            let mut j = i;
            while j > 0 {
                j -= 1;
                strace_call[j] = true;
                if !lines[j].starts_with("        ") {
                    break;
                }
            }
        }
    }
    let markdown_alignment = |line: &str| line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
    let mut joined: Vec<String> = Vec::new();
    for (line, _) in lines
        .iter()
        .zip(&strace_call)
        .filter(|(line, call)| !**call && !markdown_alignment(line))
    {
        match joined.last_mut() {
            Some(last) if line.starts_with("        ") => {
                last.push(' ');
                last.push_str(line.trim_start());
            }
            _ => joined.push(line.to_string()),
        }
    }
    for line in &joined {
        let checked = checked_part(line);
        let chars: Vec<char> = checked.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let before = if i > 0 { chars[i - 1] } else { '\n' };
            let after = chars.get(i + 1).copied().unwrap_or('\n');
            let punctuation = matches!(c, ':' | ';' | '?' | '!')
                && (after.is_whitespace() || matches!(after, ')' | '»' | '\n'));
            let c_notation = c == ';' && before == '}';
            if punctuation && before != NBSP && !c_notation && !notation_colon(&chars, i) {
                let what = if before == ' ' {
                    "an ordinary space"
                } else {
                    "no space"
                };
                faults.push(format!(
                    "{what} before {c:?}, where French puts a no-break space (U+00A0), in: {line}"
                ));
            }
            if c == '«' && after != NBSP {
                faults.push(format!("no no-break space after «, in: {line}"));
            }
            if c == '»' && before != NBSP {
                faults.push(format!("no no-break space before », in: {line}"));
            }
        }
        if let Some(number) = decimal_point_before_unit(&chars) {
            faults.push(format!(
                "a decimal point in {number:?}, where French writes a decimal comma, in: {line}"
            ));
        }
    }
    faults
}

/// `line` with what the rules do not apply to (see [`typography_faults`]) each made one `X`.
fn checked_part(line: &str) -> String {
    // strace's notation: a narration line up to its bracket, a step prompt's call.
    let mut line = line.to_string();
    let next = format!("ensuite{NBSP}: ");
    if let Some(at) = line.find(&next) {
        line = format!("{}X", &line[..at + next.len()]);
    }
    // The program's name before its error.
    if let Some(rest) = line.strip_prefix("sockstep: ") {
        line = format!("X {rest}");
    }
    // Code between backticks, quoted bytes between double quotes.
    let mut out = String::new();
    let mut inside: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        match inside {
            Some(quote) => {
                if c == quote && !escaped {
                    inside = None;
                    out.push('X');
                }
                escaped = c == '\\' && !escaped;
            }
            None if c == '`' || c == '"' => {
                inside = Some(c);
                escaped = false;
            }
            None => out.push(c),
        }
    }
    out
}

/// Is the `:` at `i` the notation of a failed call, `call(args): ERRNO: strerror`?
fn notation_colon(chars: &[char], i: usize) -> bool {
    if chars[i] != ':' {
        return false;
    }
    let rest: String = chars[i + 1..].iter().take(3).collect();
    // `bind(…): EADDRINUSE`
    if i > 0 && chars[i - 1] == ')' && rest.starts_with(" E") {
        return true;
    }
    // `EADDRINUSE: Address already in use`
    let word: String = chars[..i]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    word.len() > 2 && word.starts_with('E')
}

/// The first number written with a decimal point before a unit (`1.5 s`, `0.5%`), if any. A
/// dotted run with more than one point (an IP address, a version) is not a decimal number.
fn decimal_point_before_unit(chars: &[char]) -> Option<String> {
    const UNITS: [&str; 9] = ["s", "ms", "µs", "%", "o", "octets", "octet", "Mio", "Kio"];
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit()
            || (i > 0 && (chars[i - 1].is_ascii_digit() || chars[i - 1] == '.'))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let number: String = chars[start..i].iter().collect();
        let number = number.trim_end_matches('.');
        if number.matches('.').count() != 1 {
            continue;
        }
        let rest: String = chars[i..].iter().collect();
        let rest = rest.trim_start_matches([' ', NBSP]);
        let unit: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ')' | ';' | ':' | '.'))
            .collect();
        if UNITS.contains(&unit.as_str()) {
            return Some(format!("{number} {unit}"));
        }
    }
    None
}

/// The checker itself: each rule catches what it should, and lets notation through.
#[test]
fn the_typography_checker_catches_each_fault() {
    let bad = [
        "le noyau: rien",
        "le noyau : rien",
        "ça va?",
        "plus d'envoi ; la suite",
        "«\u{a0}perroquet»",
        "au bout de 1.5 s",
        "au bout de 0.250 s",
        "12.5 % du temps",
    ];
    for text in bad {
        assert_eq!(
            typography_faults(text).len(),
            1,
            "{text:?}: {:?}",
            typography_faults(text)
        );
    }
    let good = [
        "le noyau\u{a0}: rien\u{a0}; ça va\u{a0}? oui\u{a0}!",
        "«\u{a0}perroquet\u{a0}»",
        "au bout de 1,5 s, 12,5\u{a0}% du temps",
        "[client] connect(3, {sa_family=AF_INET, sin_port=htons(6789),\n        16) = 0\n    [transport\u{a0}: connecté à 127.0.0.1:6789]",
        "[fork pid 2] exit_group(0) = ?\n    [aucune\u{a0}: le processus se termine]",
        "Réception de\u{a0}: \"ça va?\\n\"",
        "[iterative] fd 4\u{a0}: Réception de\u{a0}: \"une ligne\n        longue, ça va? oui\\n\"",
        "[client] ensuite\u{a0}: connect(3, {sa_family=AF_INET, sin_port=htons(6789),\n        sin_addr=inet_addr(\"127.0.0.1\")}, 16)\n[client]   couche\u{a0}: transport",
        "`ss -tln`\u{a0}: le port 6789, `socket:[inode]`, ::ffff:a.b.c.d, https://man7.org, à 12:00",
        "sockstep: erreur\u{a0}: bind(127.0.0.1:6789): EADDRINUSE: Address already in use (le port est pris)",
        "Linux 6.1.0 et 127.0.0.1 s'y trouvent",
    ];
    for text in good {
        assert_eq!(typography_faults(text), Vec::<String>::new(), "{text:?}");
    }
}

/// Fails with every fault found in `texts`, each named with where it comes from.
fn assert_french_typography(texts: &[(String, String)]) {
    let faults: Vec<String> = texts
        .iter()
        .flat_map(|(source, text)| {
            typography_faults(text)
                .into_iter()
                .map(move |fault| format!("{source}: {fault}"))
        })
        .collect();
    assert!(
        faults.is_empty(),
        "{} French typography fault(s):\n{}",
        faults.len(),
        faults.join("\n")
    );
}

mod every_string {
    //! Every French string the program can print, from the code's own tables and types: each
    //! enum's list of values is checked against a `match` that names every variant, so that a
    //! new variant fails to compile here until it has a value in the list.

    use std::net::SocketAddr;
    use std::path::Path;
    use std::time::Duration;

    use nix::errno::Errno;
    use nix::sys::signal::Signal;
    use nix::sys::wait::WaitStatus;
    use nix::unistd::Pid;
    use sockstep::bench::words::Bench;
    use sockstep::diagram::Trouble;
    use sockstep::layers::{self, TABLE};
    use sockstep::sys::SysError;
    use sockstep::text::{Holder, Lang, Msg, Note, Problem, TcpState, errno_hint, error_prefix};

    fn v4() -> SocketAddr {
        "127.0.0.1:6789".parse().unwrap()
    }

    fn any4() -> SocketAddr {
        "0.0.0.0:6789".parse().unwrap()
    }

    fn any6() -> SocketAddr {
        "[::]:6789".parse().unwrap()
    }

    fn error() -> SysError {
        SysError {
            call: "recv",
            args: "4".into(),
            errno: Errno::ECONNRESET,
        }
    }

    /// The variant's number; every variant is named.
    fn note_kind(note: &Note) -> usize {
        use Note::*;
        match note {
            Socket => 0,
            SocketDatagram => 1,
            ConnectDatagram { .. } => 2,
            BindDatagram { .. } => 3,
            ReceivedFrom { .. } => 4,
            SentTo { .. } => 5,
            Resolved { .. } => 6,
            NotResolved => 7,
            V6Only { .. } => 8,
            ReuseAddr { .. } => 9,
            NoDelay => 10,
            Bind { .. } => 11,
            Listen { .. } => 12,
            Accept => 13,
            Connect { .. } => 14,
            Received { .. } => 15,
            Sent { .. } => 16,
            Clamped { .. } => 17,
            ShutdownWrite => 18,
            Close => 19,
            CloseListener => 20,
            CloseDatagram => 21,
            CloseEpoll => 22,
            LocalAddr { .. } => 23,
            PeerAddr { .. } => 24,
            Failed { .. } => 25,
            TcpState { .. } => 26,
            StateBeforeClose { .. } => 27,
            Timeout { .. } => 28,
            ShutdownBoth => 29,
            Fork { .. } => 30,
            Pid => 31,
            Tid => 32,
            Waited { .. } => 33,
            Kill { .. } => 34,
            Timer { .. } => 35,
            SigAction { .. } => 36,
            SigMask { .. } => 37,
            SignalTaken { .. } => 38,
            SharedMemory => 39,
            Exit => 40,
            Ready => 41,
            EpollCreate => 42,
            EpollAdd => 43,
            Limit => 44,
            CloseShared => 45,
            CloseListenerCopy => 49,
            CloseAfterShutdown => 46,
            StateBeforeSharedClose { .. } => 47,
            ThreadCreated => 48,
        }
    }
    const NOTE_KINDS: usize = 50;

    /// Each TCP state the kernel numbers, and one it does not.
    fn states() -> Vec<TcpState> {
        (1..=12).map(TcpState::from_kernel).collect()
    }

    fn notes() -> Vec<Note> {
        let mut notes = vec![
            Note::Socket,
            Note::SocketDatagram,
            Note::ConnectDatagram { addr: v4() },
            Note::BindDatagram { addr: any4() },
            Note::BindDatagram { addr: any6() },
            Note::ReceivedFrom {
                kept: 8,
                len: 8,
                from: v4(),
            },
            Note::ReceivedFrom {
                kept: 4,
                len: 8,
                from: v4(),
            },
            Note::SentTo { n: 1, to: v4() },
            Note::Resolved { count: 1 },
            Note::Resolved { count: 2 },
            Note::NotResolved,
            Note::V6Only { on: false },
            Note::V6Only { on: true },
            Note::ReuseAddr { on: true },
            Note::ReuseAddr { on: false },
            Note::NoDelay,
            Note::Bind { addr: any4() },
            Note::Bind { addr: any6() },
            Note::Bind { addr: v4() },
            Note::Listen { backlog: 1 },
            Note::Listen { backlog: 100_000 },
            Note::Accept,
            Note::Connect { addr: v4() },
            Note::Received { n: 0 },
            Note::Received { n: 1 },
            Note::Received { n: 8 },
            Note::Sent { n: 8, len: 8 },
            Note::Sent { n: 3, len: 8 },
            Note::Clamped { asked: 8, given: 1 },
            Note::ShutdownWrite,
            Note::Close,
            Note::CloseListener,
            Note::CloseDatagram,
            Note::CloseEpoll,
            Note::LocalAddr { addr: v4() },
            Note::PeerAddr { addr: v4() },
            Note::Failed {
                errno: Errno::EADDRINUSE,
            },
            Note::Failed {
                errno: Errno::ENOTSOCK,
            },
            Note::Timeout {
                after: Duration::from_millis(1500),
            },
            Note::ShutdownBoth,
            Note::Fork {
                child: Pid::from_raw(4242),
            },
            Note::Pid,
            Note::Tid,
            Note::Waited {
                status: WaitStatus::StillAlive,
            },
            Note::Waited {
                status: WaitStatus::Exited(Pid::from_raw(4242), 0),
            },
            Note::Kill {
                pid: Pid::from_raw(4242),
                signal: Signal::SIGTERM,
            },
            Note::Timer {
                every: Duration::from_millis(5),
            },
            Note::SigAction {
                signal: Signal::SIGINT,
                restart: false,
            },
            Note::SigAction {
                signal: Signal::SIGCHLD,
                restart: true,
            },
            Note::SigMask { block: true },
            Note::SigMask { block: false },
            Note::SignalTaken {
                signal: Signal::SIGCHLD,
            },
            Note::SharedMemory,
            Note::Exit,
            Note::Ready,
            Note::EpollCreate,
            Note::EpollAdd,
            Note::Limit,
            Note::CloseShared,
            Note::CloseListenerCopy,
            Note::CloseAfterShutdown,
            Note::ThreadCreated,
        ];
        for state in states() {
            notes.push(Note::TcpState { state });
            notes.push(Note::StateBeforeClose { state });
            for holder in [Holder::Child, Holder::Parent] {
                notes.push(Note::StateBeforeSharedClose { state, holder });
            }
        }
        notes
    }

    fn msg_kind(msg: &Msg<'_>) -> usize {
        use Msg::*;
        match msg {
            ConnectionFrom { .. } => 0,
            Received { .. } => 1,
            Sending { .. } => 2,
            SendOk => 3,
            ShortSend { .. } => 4,
            PeerClosed => 5,
            ConnectionLost { .. } => 6,
            NoDelayFailed { .. } => 7,
            Closing => 8,
            Unplugging { .. } => 9,
            AcceptFailed { .. } => 10,
            ConnectedTo { .. } => 11,
            ConnectFailed { .. } => 12,
            EndOfInput => 13,
            Disconnecting => 14,
            ConnectionFor { .. } => 15,
            ShortSendWait { .. } => 16,
            ReadingPaused { .. } => 17,
            ReadingResumed => 18,
            PastFdSetSize { .. } => 19,
            NoFileRaised { .. } => 20,
            NoFileAtHard { .. } => 21,
            NoFileFailed { .. } => 22,
            AcceptStarved { .. } => 23,
            AcceptResumed => 24,
            Retried { .. } => 25,
            AcceptInterrupted { .. } => 26,
            ShuttingDown { .. } => 27,
            ClientGrace { .. } => 28,
            GraceOver => 29,
            AtCap { .. } => 30,
            ClientNotServed { .. } => 31,
            Forked { .. } => 32,
            ChildStarts => 33,
            ChildLeft { .. } => 34,
            Forwarding { .. } => 35,
            Killing { .. } => 36,
            ClosingRest { .. } => 37,
            ThreadPanicked => 38,
            DatagramIn { .. } => 39,
            DatagramOut { .. } => 40,
            UnpluggingDatagram => 41,
            DatagramCut { .. } => 42,
            LowPortRefused { .. } => 43,
            RefusedUnlogged { .. } => 44,
            ReplyCapped { .. } => 45,
            DatagramsTo { .. } => 46,
            NoReply { .. } => 47,
            ForeignDatagram { .. } => 48,
            Summary { .. } => 49,
            ListenerSetAside { .. } => 50,
            AcceptWorksAgain { .. } => 51,
            InUseWithoutReuseAddr => 52,
        }
    }
    const MSG_KINDS: usize = 53;

    fn msgs(error: &SysError) -> Vec<Msg<'_>> {
        let data: &[u8] = b"bonjour\n";
        let pid = Pid::from_raw(4242);
        vec![
            Msg::ConnectionFrom { addr: v4() },
            Msg::Received { data },
            Msg::Sending { data },
            Msg::SendOk,
            Msg::ShortSend { sent: 3, len: 8 },
            Msg::PeerClosed,
            Msg::ConnectionLost { error },
            Msg::NoDelayFailed { error },
            Msg::Closing,
            Msg::Unplugging { listeners: 1 },
            Msg::Unplugging { listeners: 2 },
            Msg::AcceptFailed { error },
            Msg::ConnectedTo { addr: v4() },
            Msg::ConnectFailed {
                addr: v4(),
                error,
                next: v4(),
            },
            Msg::EndOfInput,
            Msg::Disconnecting,
            Msg::ConnectionFor {
                addr: v4(),
                service: "echo",
            },
            Msg::ShortSendWait { sent: 3, len: 8 },
            Msg::ReadingPaused {
                pending: 70_000,
                bound: 65_536,
            },
            Msg::ReadingResumed,
            Msg::PastFdSetSize {
                fd: 1024,
                limit: 1024,
            },
            Msg::NoFileRaised {
                from: 1024,
                to: 4096,
            },
            Msg::NoFileAtHard { limit: 1024 },
            Msg::NoFileFailed { error },
            Msg::AcceptStarved { error, clients: 0 },
            Msg::AcceptStarved { error, clients: 3 },
            Msg::AcceptResumed,
            Msg::ListenerSetAside { error },
            Msg::AcceptWorksAgain { tries: 1 },
            Msg::AcceptWorksAgain { tries: 7 },
            Msg::InUseWithoutReuseAddr,
            Msg::Retried {
                call: "recv",
                signal: Signal::SIGALRM,
            },
            Msg::AcceptInterrupted {
                signal: Signal::SIGINT,
            },
            Msg::AcceptInterrupted {
                signal: Signal::SIGCHLD,
            },
            Msg::ShuttingDown {
                signal: Signal::SIGINT,
                clients: 0,
                grace: Duration::from_secs(5),
            },
            Msg::ShuttingDown {
                signal: Signal::SIGTERM,
                clients: 2,
                grace: Duration::from_millis(1500),
            },
            Msg::ClientGrace {
                left: Duration::from_millis(1500),
            },
            Msg::GraceOver,
            Msg::AtCap { max: 4 },
            Msg::ClientNotServed { error },
            Msg::Forked { child: pid },
            Msg::ChildStarts,
            Msg::ChildLeft {
                status: WaitStatus::Exited(pid, 0),
            },
            Msg::ChildLeft {
                status: WaitStatus::Signaled(pid, Signal::SIGKILL, false),
            },
            Msg::Forwarding {
                signal: Signal::SIGTERM,
                children: 2,
            },
            Msg::Killing { children: 2 },
            Msg::ClosingRest { clients: 2 },
            Msg::ThreadPanicked,
            Msg::DatagramIn { from: v4(), data },
            Msg::DatagramOut { to: v4(), data },
            Msg::UnpluggingDatagram,
            Msg::DatagramCut {
                from: v4(),
                len: 2000,
                kept: 1024,
            },
            Msg::LowPortRefused {
                from: "127.0.0.1:53".parse().unwrap(),
            },
            Msg::RefusedUnlogged { cap: 64 },
            Msg::ReplyCapped { len: 30, cap: 3 },
            Msg::DatagramsTo {
                addr: v4(),
                connected: false,
            },
            Msg::DatagramsTo {
                addr: v4(),
                connected: true,
            },
            Msg::NoReply {
                after: Duration::from_millis(1500),
            },
            Msg::ForeignDatagram { from: v4() },
            Msg::Summary {
                clients: 2,
                bytes_in: 16,
                bytes_out: 16,
            },
        ]
    }

    fn problem_kind(problem: &Problem<'_>) -> usize {
        use Problem::*;
        match problem {
            NoTerminal { .. } => 0,
            UnknownHost { .. } => 1,
            NoAddress { .. } => 2,
            ServerVanished => 3,
            ServerClosed => 4,
            Input { .. } => 5,
            Output { .. } => 6,
            OneListenerOnly { .. } => 7,
            BadListen { .. } => 8,
            UdpNotForModel { .. } => 9,
            UdpUnsafeBind { .. } => 10,
            NoDaytimeOverUdp => 11,
            BadTimeout { .. } => 12,
            RepliesLost { .. } => 13,
            UnknownService { .. } => 14,
            MaxIoDatagram => 15,
        }
    }
    const PROBLEM_KINDS: usize = 16;

    fn problems(why: &SysError) -> Vec<Problem<'_>> {
        vec![
            Problem::NoTerminal { why },
            Problem::UnknownHost {
                host: "nulle-part",
                why,
            },
            Problem::NoAddress { host: "nulle-part" },
            Problem::ServerVanished,
            Problem::ServerClosed,
            Problem::Input { why },
            Problem::Output { why },
            Problem::OneListenerOnly { model: "fork" },
            Problem::BadListen { arg: "echo" },
            Problem::UdpNotForModel { model: "fork" },
            Problem::UdpNotForModel { model: "threads" },
            Problem::UdpUnsafeBind { addr: any4() },
            Problem::NoDaytimeOverUdp,
            Problem::BadTimeout { secs: 0.0 },
            Problem::RepliesLost { lost: 1, sent: 3 },
            Problem::MaxIoDatagram,
            Problem::UnknownService {
                service: "http",
                known: "upper, echo, discard, daytime",
            },
        ]
    }

    fn bench_kind(bench: &Bench<'_>) -> usize {
        use Bench::*;
        match bench {
            Machine { .. } => 0,
            Pinned { .. } => 1,
            NotPinnedAsked => 2,
            NotPinnedOneCpu => 3,
            Runs { .. } => 4,
            Seconds { .. } => 5,
            Replies { .. } => 6,
            CountedBy { .. } => 7,
            NotCounted { .. } => 8,
            Nagle { .. } => 9,
            MaxClientsConns => 10,
            MaxClients { .. } => 11,
            Illustrative => 12,
            Progress { .. } => 13,
            RunResult { .. } => 14,
            Steal { .. } => 15,
            LoadAtEnd { .. } => 16,
            Noisy { .. } => 17,
            NoisySteal { .. } => 18,
            NoisyLoad { .. } => 19,
            NoisyCells { .. } => 20,
            SingleSample { .. } => 21,
            Wrote { .. } => 22,
            Legend => 23,
            Headings => 24,
            ChartThroughput { .. } => 25,
            ChartLatency { .. } => 26,
            AxisConnections => 27,
            AxisMsgs => 28,
            AxisP99 => 29,
            PlotWaitingNote => 30,
            BadOption { .. } => 31,
            ServerDidNotStart { .. } => 32,
            LoadSetup { .. } => 33,
            CannotWrite { .. } => 34,
            Plot { .. } => 35,
            Buf { .. } => 36,
            NagleWholeReads { .. } => 37,
        }
    }
    const BENCH_KINDS: usize = 38;

    fn benches(why: &SysError) -> Vec<Bench<'_>> {
        let path = Path::new("bench/report.md");
        vec![
            Bench::Machine {
                cpus: 2,
                cpu_model: "Intel Xeon",
                kernel: "6.1.0",
                load: "0.52 0.58 0.59",
            },
            Bench::Pinned {
                server: 0,
                loadgen: 1,
            },
            Bench::NotPinnedAsked,
            Bench::NotPinnedOneCpu,
            Bench::Runs {
                sizes: &[64, 1024],
                service: "upper",
                until: "1,5 s de ping-pong",
                reps: 3,
            },
            Bench::Seconds { secs: 1.5 },
            Bench::Replies {
                count: 1000,
                secs: 2.5,
            },
            Bench::CountedBy { tool: "perf" },
            Bench::NotCounted {
                why: "ni perf ni strace",
            },
            Bench::Nagle { on: false },
            Bench::Nagle { on: true },
            Bench::Buf { bytes: 1024 },
            Bench::Buf { bytes: 65536 },
            Bench::NagleWholeReads { bytes: 65536 },
            Bench::MaxClientsConns,
            Bench::MaxClients { max: 64 },
            Bench::Illustrative,
            Bench::Progress {
                done: 1,
                total: 12,
                model: "fork",
                size: 64,
                conns: 10,
                rep: 1,
                reps: 3,
            },
            Bench::RunResult {
                msgs_per_s: 12_345.6,
                unserved: 0,
            },
            Bench::RunResult {
                msgs_per_s: 12_345.6,
                unserved: 3,
            },
            Bench::Steal { percent: 12.5 },
            Bench::LoadAtEnd {
                load: "1.52 0.58 0.59",
            },
            Bench::Noisy {
                reasons: "l'hyperviseur a volé 12,5\u{a0}% du temps des processeurs",
            },
            Bench::NoisySteal { percent: 12.5 },
            Bench::NoisyLoad { load: 2.5, cpus: 2 },
            Bench::NoisyCells {
                count: 2,
                total: 12,
                limit: 20.0,
                model: "fork",
                size: 64,
                conns: 10,
                spread: 35.0,
            },
            Bench::SingleSample { reps: 1 },
            Bench::Wrote { path },
            Bench::Legend,
            Bench::Headings,
            Bench::ChartThroughput { size: 64 },
            Bench::ChartLatency { size: 64 },
            Bench::AxisConnections,
            Bench::AxisMsgs,
            Bench::AxisP99,
            Bench::PlotWaitingNote,
            Bench::BadOption { what: "--reps 0" },
            Bench::ServerDidNotStart {
                model: "fork",
                why: "délai dépassé",
                log: path,
            },
            Bench::LoadSetup { why },
            Bench::CannotWrite { path, why },
            Bench::Plot { why },
        ]
    }

    fn trouble_kind(trouble: &Trouble) -> usize {
        match trouble {
            Trouble::Read { .. } => 0,
            Trouble::BadLine { .. } => 1,
            Trouble::OtherVersion { .. } => 2,
            Trouble::Capture { .. } => 3,
            Trouble::Write { .. } => 4,
        }
    }
    const TROUBLE_KINDS: usize = 5;

    fn troubles() -> Vec<Trouble> {
        let path = || "run.jsonl".to_string();
        let why = || "fichier introuvable".to_string();
        vec![
            Trouble::Read {
                path: path(),
                why: why(),
            },
            Trouble::BadLine {
                path: path(),
                line: 3,
                why: why(),
            },
            Trouble::OtherVersion {
                path: path(),
                line: 3,
                v: 9,
            },
            Trouble::Capture {
                path: path(),
                why: why(),
            },
            Trouble::Write {
                path: path(),
                why: why(),
            },
        ]
    }

    /// Every variant has a value in its list.
    fn assert_every_kind<T>(what: &str, values: &[T], kinds: usize, kind: impl Fn(&T) -> usize) {
        let seen: std::collections::BTreeSet<usize> = values.iter().map(kind).collect();
        let missing: Vec<usize> = (0..kinds).filter(|k| !seen.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "{what}: no value for the variants numbered {missing:?}"
        );
    }

    /// Every French string of the code's types and tables: the narration's notes, the log,
    /// the errors and their hints, the bench's words, the diagram's troubles, the layer table
    /// (rows, `sockstep layers` and the book's Markdown), the `--step` prompts for every row.
    #[test]
    fn every_french_string_of_the_code_follows_french_typography() {
        let error = error();
        let mut texts: Vec<(String, String)> = Vec::new();
        Lang::Fr.speaking(|| {
            let notes = notes();
            assert_every_kind("Note", &notes, NOTE_KINDS, note_kind);
            texts.extend(notes.iter().map(|n| (format!("{n:?}"), n.to_string())));
            let msgs = msgs(&error);
            assert_every_kind("Msg", &msgs, MSG_KINDS, msg_kind);
            texts.extend(
                msgs.iter()
                    .map(|m| (format!("Msg #{}", msg_kind(m)), m.to_string())),
            );
            let problems = problems(&error);
            assert_every_kind("Problem", &problems, PROBLEM_KINDS, problem_kind);
            texts.extend(
                problems
                    .iter()
                    .map(|p| (format!("Problem #{}", problem_kind(p)), p.to_string())),
            );
            let benches = benches(&error);
            assert_every_kind("Bench", &benches, BENCH_KINDS, bench_kind);
            texts.extend(
                benches
                    .iter()
                    .map(|b| (format!("Bench #{}", bench_kind(b)), b.to_string())),
            );
            texts.push(("Bench::headings".into(), Bench::headings().join(" | ")));
            let troubles = troubles();
            assert_every_kind("Trouble", &troubles, TROUBLE_KINDS, trouble_kind);
            texts.extend(troubles.iter().map(|t| (format!("{t:?}"), t.to_string())));
            for raw in 1..=133 {
                let errno = Errno::from_raw(raw);
                texts.push((
                    format!("errno_hint({errno:?})"),
                    errno_hint(errno).to_string(),
                ));
            }
            texts.push(("error_prefix".into(), format!("{}x", error_prefix())));
            for row in TABLE {
                let name = row.call;
                for (field, text) in [
                    ("internet", row.internet.fr),
                    ("kernel", row.kernel.fr),
                    ("wire", row.wire.fr),
                    ("look", row.look.fr),
                ] {
                    texts.push((format!("layers::TABLE {name}() {field}"), text.to_string()));
                }
                let prompt = sockstep::text::step_prompt(
                    "[iterative] ",
                    &format!("{}(3)", row.syscall),
                    &layers::label(name, Lang::Fr),
                    name,
                    4242,
                );
                texts.push((format!("step_prompt {name}()"), prompt));
            }
            texts.push((
                "step_waiting".into(),
                sockstep::text::step_waiting("[fork pid 2] ", 4242),
            ));
            texts.push((
                "step_no_turn".into(),
                sockstep::text::step_no_turn("[fork pid 2] ", nix::errno::Errno::ENOLCK),
            ));
            for waits in [true, false] {
                texts.push((
                    format!("step_interrupted waits={waits}"),
                    sockstep::text::step_interrupted(
                        "[iterative] ",
                        "accept",
                        Signal::SIGINT,
                        waits,
                    ),
                ));
            }
        });
        texts.push(("layers::render".into(), layers::render(Lang::Fr)));
        texts.push((
            "layers::render_markdown".into(),
            layers::render_markdown(Lang::Fr),
        ));
        super::assert_french_typography(&texts);
    }
}

/// Everything a French run prints on a terminal: a whole `--narrate --tcp-states` dialogue with each
/// server model (two lines, then SIGTERM), the client's narration, the UDP parrot and its
/// client, `sockstep layers` and `sockstep addr`, a failure's error, and a short bench.
#[test]
fn every_french_run_follows_french_typography() {
    let fr = ["--lang", "fr", "--narrate", "--tcp-states"];
    let mut texts: Vec<(String, String)> = Vec::new();
    for model in ["iterative", "fork", "threads", "select", "poll", "mio"] {
        let mut server = Server::loopback(&[&fr[..], &["--model", model, "--grace", "1"]].concat());
        let port = server.addr().port().to_string();
        let client = common::run_client(
            &[&fr[..], &["--port", &port]].concat(),
            "bonjour\nça va ?\n".as_bytes(),
        );
        assert!(client.status.success(), "{}", client.stderr);
        assert_eq!(client.stdout_text(), "BONJOUR\nÇA VA ?\n");
        server.signal(libc::SIGTERM);
        assert!(server.wait_exit().success());
        server.stderr.wait_closed();
        texts.push((format!("server --model {model}"), server.stderr.text()));
        texts.push((format!("client of {model}"), client.stderr));
    }
    let mut udp = Server::loopback(&[&fr[..], &["--udp"]].concat());
    let port = udp.addr().port().to_string();
    let client = common::run_client(
        &[&fr[..], &["--udp", "--timeout", "5", "--port", &port]].concat(),
        b"bonjour\n",
    );
    assert!(client.status.success(), "{}", client.stderr);
    udp.signal(libc::SIGTERM);
    assert!(udp.wait_exit().success());
    udp.stderr.wait_closed();
    texts.push(("server --udp".into(), udp.stderr.text()));
    texts.push(("client --udp".into(), client.stderr));
    let refused = common::run_client(
        &[&fr[..], &["--port", &common::closed_port().to_string()]].concat(),
        b"",
    );
    texts.push(("client refused".into(), refused.stderr));
    for args in [
        &["layers", "--lang", "fr"][..],
        &["addr", "--lang", "fr", "127.0.0.1:6789"],
        &["addr", "--lang", "fr", "[::1]:6789"],
    ] {
        let run = run_to_end(&mut sockstep(args), b"");
        assert!(run.status.success(), "{args:?}: {}", run.stderr);
        texts.push((
            args.join(" "),
            format!("{}{}", run.stdout_text(), run.stderr),
        ));
    }
    // A short bench: its header, progress lines, table and notes.
    let out = common::scratch_dir("french-bench");
    let bench = common::run_bench(&[
        "--lang",
        "fr",
        "--models",
        "iterative",
        "--sizes",
        "64",
        "--conns",
        "1",
        "--msgs",
        "100",
        "--secs",
        "5",
        "--reps",
        "1",
        "--syscalls",
        "off",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(bench.status.success(), "{}", bench.stderr);
    texts.push(("bench".into(), format!("{}{}", bench.stdout, bench.stderr)));
    let markdown = std::fs::read_to_string(out.join("bench.md")).unwrap();
    texts.push(("bench.md".into(), markdown));
    assert_french_typography(&texts);
}
