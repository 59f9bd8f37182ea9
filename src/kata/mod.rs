//! `sockstep kata`: broken-on-purpose exercises, graded by what comes back over the wire and by
//! the system calls the student's code made.
//!
//! Each kata is one file under `exercises/`, built as an example of this crate (`cargo build
//! --example NAME`), so that its calls go through [`crate::sys`] and land in the event record.
//! `check` builds it, runs its scenario over loopback ([`scenarios`], with hostile peers and
//! timing that only the right fix survives), tells each step, and on failure quotes the calls
//! of the failing step in strace's notation, read back from the record ([`scene`]). Progress is
//! one small JSON file at the repository's root (`.sockstep-kata.json`, git-ignored), so that
//! `git diff` shows the student's work only. The shipped files are kept in the binary, so that
//! `reset` needs no git; `verify` checks every kata both ways: shipped, it fails; solved, it
//! passes.

pub mod harness;
pub mod scenarios;
pub mod scene;
mod solutions;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use crate::Error;
use scene::{Fail, Program, Scene};

/// One kata.
pub struct Kata {
    /// Its name: the example's name, the argument of `check`, `hint`...
    pub name: &'static str,
    /// Its file under `exercises/` (and `exercises/solutions/`).
    pub file: &'static str,
    /// One line: the call, and what goes wrong.
    pub story: &'static str,
    /// Where to look, without giving the code away.
    pub hint: &'static str,
    /// The book's page that explains the lesson.
    pub page: &'static str,
    /// The file as shipped, broken.
    pub shipped: &'static str,
    /// The file fixed.
    pub solution: &'static str,
    /// What is done to it, and expected.
    pub scenario: fn(&mut Scene) -> Result<(), Fail>,
}

macro_rules! kata {
    ($name:ident, $file:literal, $story:literal, $page:literal, $hint:literal) => {
        Kata {
            name: stringify!($name),
            file: $file,
            story: $story,
            hint: $hint,
            page: $page,
            shipped: include_str!(concat!("../../exercises/", $file)),
            solution: include_str!(concat!("../../exercises/solutions/", $file)),
            scenario: scenarios::$name,
        }
    };
}

/// The katas, in the course's order: set up a server, then a client's reads and writes, then
/// the server's loop, then serving many clients, then a signal and UDP, then a short send on
/// demand (`--max-io`) and the event loops' waits. A new kata joins as one more row, one more
/// file and one more scenario.
pub const KATAS: &[Kata] = &[
    kata!(
        port_zero,
        "01_port_zero.rs",
        "getsockname(): a server bound to port 0 announces port 0",
        "docs/src/strace/iterative.md",
        "bind() to port 0 lets the kernel pick the port, and only the kernel knows it. \
         sys::getsockname(&listen_fd) asks it, after bind(): print the address it returns."
    ),
    kata!(
        reuseaddr,
        "02_reuseaddr.rs",
        "setsockopt(SO_REUSEADDR): a restart fails with EADDRINUSE during TIME_WAIT",
        "docs/src/layers.md",
        "sys::setsockopt(&listen_fd, SockOpt::ReuseAddr(true)) between socket() and bind(): \
         bind() is where the kernel refuses a port still held by TIME_WAIT."
    ),
    kata!(
        one_recv,
        "03_one_recv.rs",
        "recv(): a client takes one recv() for the whole reply",
        "docs/src/glossary.md",
        "TCP is a byte stream: keep calling sys::recv(), appending what it returns, until the \
         reply ends with b'\\n' (or recv() returns 0). A bigger buffer does not help: the bytes \
         are not there yet."
    ),
    kata!(
        half_close,
        "04_half_close.rs",
        "shutdown(SHUT_WR): client and server each wait for the other",
        "docs/src/strace/client.md",
        "The server answers when its recv() returns 0, at your FIN. sys::shutdown_write(&sock) \
         after the last send sends the FIN and keeps the socket open for the answer; close() \
         would give the answer up."
    ),
    kata!(
        recv_timeout,
        "05_recv_timeout.rs",
        "setsockopt(SO_RCVTIMEO): a client waits for ever for a server that hangs",
        "docs/src/models/iterative.md",
        "sys::setsockopt(&sock, SockOpt::RecvTimeout(Duration::from_millis(500))) before \
         recv(): the recv() then fails with EAGAIN, and `?` hands the error to the harness, \
         which prints it and exits 1."
    ),
    kata!(
        recv_zero,
        "06_recv_zero.rs",
        "recv() = 0: a server's loop spins after the client left",
        "docs/src/strace/client.md",
        "recv() returning 0 is the end of the stream (the client's FIN), not an empty message: \
         leave the loop, so that close() sends the server's FIN and accept() comes again."
    ),
    kata!(
        framing,
        "07_framing.rs",
        "recv(): a server counts recv() calls instead of lines",
        "docs/src/glossary.md",
        "Keep the bytes of a connection in a Vec; after each recv(), take every whole line out \
         of it (up to each b'\\n') and answer it; leave the rest for the next recv()."
    ),
    kata!(
        short_send,
        "08_short_send.rs",
        "send(): its return value ignored, the end of a long reply is lost",
        "docs/src/models/select.md",
        "sys::send() returns how many bytes it took. Loop: `sent += sys::send(&conn_fd, \
         &data[sent..])?` until sent == data.len(). (stream::send_all does it for the rest of \
         sockstep.)"
    ),
    kata!(
        utf8_cut,
        "09_utf8_cut.rs",
        "recv(): a UTF-8 character cut across two reads becomes two �",
        "docs/src/glossary.md",
        "std::str::from_utf8 tells where a cut character starts: its error's valid_up_to(), \
         with error_len() == None when more bytes may complete it. Decode up to there, keep the \
         rest for the next recv()."
    ),
    kata!(
        epipe,
        "10_epipe.rs",
        "send() = EPIPE: one client that leaves early stops the whole server",
        "docs/src/strace/capture.md",
        "The `?` after serve(conn_fd) turns one client's ECONNRESET or EPIPE into the end of \
         the server. Match serve()'s result: print the error and go back to accept()."
    ),
    kata!(
        silent_client,
        "11_silent_client.rs",
        "accept(): an iterative server blocked by one client that says nothing",
        "docs/src/models/threads.md",
        "Serve each connection in its own thread: std::thread::spawn(move || serve(conn_fd)), \
         printing its error there. A receive timeout would only make the others wait less."
    ),
    kata!(
        fork_close,
        "12_fork_close.rs",
        "close() after fork(): the parent keeps the connection open",
        "docs/src/models/fork.md",
        "The child has its own descriptor of the connection; the parent must close its copy \
         right after fork(): sys::close(conn_fd)? instead of keeping it in a list."
    ),
    kata!(
        zombies,
        "13_zombies.rs",
        "waitpid(): a forked server leaves a zombie per client",
        "docs/src/models/fork.md",
        "After each fork(), in the parent, collect the children that have exited: call \
         sys::waitpid_any_nohang() again while it returns WaitStatus::Exited or Signaled."
    ),
    kata!(
        interrupted,
        "14_interrupted.rs",
        "EINTR: a signal during accept() or recv() stops a blocking server",
        "docs/src/faults.md",
        "EINTR says that a signal's handler ran while the call waited, and nothing else: in \
         wait_for(), make the call again when its error's errno is Errno::EINTR \
         (signals::retrying says so in the record), and let every other error through. \
         Installing SIGALRM's handler with SA_RESTART also passes here (Linux restarts accept() \
         and recv() on a socket without a timeout), but not with SO_RCVTIMEO, nor select() or \
         poll()."
    ),
    kata!(
        udp_reply,
        "15_udp_reply.rs",
        "sendto(): a UDP server answers every client at the first one's address",
        "docs/src/udp.md",
        "No connection remembers a UDP client: recvfrom() returns, with each datagram, the \
         address it came from, IP and port. Answer each datagram there, not \
         at an address kept from an earlier one."
    ),
    kata!(
        max_io,
        "16_max_io.rs",
        "send() under --max-io 1: a client's line goes out one byte, the rest is never sent",
        "docs/src/faults.md",
        "sys::send() returns how many bytes it took: keep the count, and send again what \
         comes after it, until the whole line is gone. Sending the whole line again repeats \
         its first bytes."
    ),
    kata!(
        select_sets,
        "17_select_sets.rs",
        "select(): a set filled once shrinks to the ready descriptors, and a client starves",
        "docs/src/models/select.md",
        "On return, select() has left in read_set only the descriptors that were ready. Make a \
         new FdSet before each sys::select(), holding every client that has not left."
    ),
    kata!(
        edge_triggered,
        "18_edge_triggered.rs",
        "epoll_wait() with EPOLLET: one recv() per event, and the bytes left behind wait for ever",
        "docs/src/models/mio.md",
        "An edge-triggered event comes once, when bytes arrive, not while some are left. In \
         on_readable, call sys::recv() again until it fails with Errno::EAGAIN (or returns 0). \
         A bigger buffer does not help: under --max-io 1 each recv() takes one byte."
    ),
];

/// What `sockstep kata` does.
#[derive(clap::Subcommand)]
pub enum Action {
    /// The katas in order, each with its story and whether it is done.
    List,
    /// Build a kata, run its scenario, and say step by step what came [default: the first not
    /// done].
    Check { name: Option<String> },
    /// Check the current kata each time its file is saved (keys: h hint, n next, l list, q
    /// quit, each followed by Enter).
    Watch,
    /// Where to look for a kata's fix.
    Hint { name: String },
    /// Put a kata's file back as shipped (broken).
    Reset {
        name: Option<String>,
        /// Every kata, and forget the progress.
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },
    /// A kata's solution, once it is done.
    Solution { name: String },
    /// For teachers and CI: every kata fails as shipped and passes solved, and the wrong fixes
    /// under exercises/wrong/ fail.
    Verify,
    /// Run a kata's solution as its program (what verify runs).
    #[command(hide = true)]
    Solved {
        name: String,
        #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
        args: Vec<String>,
    },
}

/// Runs `sockstep kata ACTION`; `Ok(false)` when a check failed (exit status 1).
pub fn run(action: Action) -> Result<ExitCode, Error> {
    if let Action::Solved { name, .. } = &action {
        let main = solutions::main_of(name).ok_or_else(|| unknown(name))?;
        return Ok(main());
    }
    let repo = Repo::find()?;
    let passed = match action {
        Action::List => {
            print!("{}", repo.list());
            true
        }
        Action::Check { name } => {
            let kata = match name {
                Some(name) => find(&name)?,
                None => match repo.current() {
                    Some(kata) => kata,
                    None => {
                        println!("Every kata is done: {}/{}.", KATAS.len(), KATAS.len());
                        return Ok(ExitCode::SUCCESS);
                    }
                },
            };
            repo.check(kata)?
        }
        Action::Watch => {
            watch(&repo, std::io::BufReader::new(std::io::stdin()))?;
            true
        }
        Action::Hint { name } => {
            let kata = find(&name)?;
            println!("{}\n\nThe book explains it: {}", kata.hint, kata.page);
            true
        }
        Action::Reset { name, all } => {
            repo.reset(name.as_deref(), all)?;
            true
        }
        Action::Solution { name } => {
            let kata = find(&name)?;
            if !repo.done().iter().any(|d| d == kata.name) {
                return Err(Error::Problem(format!(
                    "kata {} is not done yet: its solution opens once `sockstep kata check {}` \
                     passes (`sockstep kata hint {}` meanwhile)",
                    kata.name, kata.name, kata.name
                )));
            }
            print!("{}", kata.solution);
            true
        }
        Action::Verify => repo.verify()?,
        Action::Solved { .. } => true,
    };
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn unknown(name: &str) -> Error {
    let names: Vec<&str> = KATAS.iter().map(|k| k.name).collect();
    Error::Problem(format!("no kata named {name:?}: {}", names.join(", ")))
}

/// The kata named `name`.
pub fn find(name: &str) -> Result<&'static Kata, Error> {
    KATAS
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| unknown(name))
}

/// The repository the student works in.
struct Repo {
    root: PathBuf,
}

/// The progress file, at the repository's root (or where `SOCKSTEP_KATA_STATE` says, for
/// tests).
const STATE_FILE: &str = ".sockstep-kata.json";

impl Repo {
    /// The nearest directory, from the current one up, with `Cargo.toml` and `exercises/`.
    fn find() -> Result<Repo, Error> {
        let cwd = std::env::current_dir().map_err(|e| Error::Problem(format!("getcwd: {e}")))?;
        cwd.ancestors()
            .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("exercises").is_dir())
            .map(|root| Repo {
                root: root.to_path_buf(),
            })
            .ok_or_else(|| {
                Error::Problem(format!(
                    "no exercises/ here nor above {}: run sockstep kata inside the sockstep \
                     repository",
                    cwd.display()
                ))
            })
    }

    fn file(&self, kata: &Kata) -> PathBuf {
        self.root.join("exercises").join(kata.file)
    }

    fn state_path(&self) -> PathBuf {
        std::env::var_os("SOCKSTEP_KATA_STATE")
            .map_or_else(|| self.root.join(STATE_FILE), PathBuf::from)
    }

    /// The katas done, by name.
    fn done(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.state_path()).unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| serde_json::from_value(v["done"].clone()).ok())
            .unwrap_or_default()
    }

    fn save(&self, done: &[String]) -> Result<(), Error> {
        let text = serde_json::json!({ "done": done }).to_string() + "\n";
        std::fs::write(self.state_path(), text)
            .map_err(|e| Error::Problem(format!("write {}: {e}", self.state_path().display())))
    }

    /// The first kata not done.
    fn current(&self) -> Option<&'static Kata> {
        let done = self.done();
        KATAS.iter().find(|k| !done.iter().any(|d| d == k.name))
    }

    fn list(&self) -> String {
        let done = self.done();
        let mut out = String::new();
        for (i, kata) in KATAS.iter().enumerate() {
            let state = if done.iter().any(|d| d == kata.name) {
                "done "
            } else {
                "to do"
            };
            out += &format!("{:>2}. {:<14} {state}  {}\n", i + 1, kata.name, kata.story);
        }
        let n = KATAS
            .iter()
            .filter(|k| done.iter().any(|d| d == k.name))
            .count();
        out += &format!("{n}/{} done\n", KATAS.len());
        out
    }

    /// Builds examples with cargo (`--example NAME`, or `--examples`): cargo's progress and the
    /// compiler's messages go to the student's terminal (stderr). Not `--quiet`: a fresh clone's
    /// first build compiles sockstep and its dependencies, a minute or two that would otherwise
    /// pass in silence.
    fn build(&self, which: &[&str]) -> Result<bool, Error> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(&cargo)
            .arg("build")
            .args(which)
            .current_dir(&self.root)
            .status()
            .map_err(|e| Error::Problem(format!("cannot run cargo: {e}")))?;
        Ok(status.success())
    }

    fn target(&self) -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| self.root.join("target"), PathBuf::from)
    }

    /// The student's build of `kata`.
    fn exercise(&self, kata: &Kata) -> Program {
        Program {
            exe: self.target().join("debug/examples").join(kata.name),
            args: Vec::new(),
        }
    }

    /// Runs `kata`'s scenario against `program`: what was told, and how it ended.
    fn scenario(&self, kata: &Kata, program: Program) -> Result<(String, Result<(), Fail>), Error> {
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let dir = self.target().join("kata");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::Problem(format!("mkdir {}: {e}", dir.display())))?;
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        let events = dir.join(format!("{}-{}-{run}.jsonl", kata.name, std::process::id()));
        let _ = std::fs::remove_file(&events);
        let mut scene = Scene::new(program, events.clone());
        let result = (kata.scenario)(&mut scene);
        scene.end();
        let told = std::mem::take(&mut scene.told);
        drop(scene);
        let _ = std::fs::remove_file(&events);
        Ok((told, result))
    }

    /// `sockstep kata check NAME`: `Ok(true)` when it passes.
    fn check(&self, kata: &Kata) -> Result<bool, Error> {
        println!("kata {}: exercises/{}", kata.name, kata.file);
        if !self.build(&["--example", kata.name])? {
            println!(
                "\nexercises/{} does not build: the compiler's messages are above.",
                kata.file
            );
            return Ok(false);
        }
        let (told, result) = self.scenario(kata, self.exercise(kata))?;
        print!("{told}");
        match result {
            Ok(()) => {
                let mut done = self.done();
                if !done.iter().any(|d| d == kata.name) {
                    done.push(kata.name.to_string());
                    self.save(&done)?;
                }
                println!(
                    "\nkata {} passes. Its solution: sockstep kata solution {}",
                    kata.name, kata.name
                );
                match self.current() {
                    Some(next) => println!(
                        "Next: sockstep kata check   ({}: {})",
                        next.name, next.story
                    ),
                    None => println!("Every kata is done."),
                }
                Ok(true)
            }
            Err(fail) => {
                print!("{}", render_fail(&fail));
                println!(
                    "\nLook at the TODO in exercises/{}; stuck: sockstep kata hint {}",
                    kata.file, kata.name
                );
                Ok(false)
            }
        }
    }

    fn reset(&self, name: Option<&str>, all: bool) -> Result<(), Error> {
        let katas: Vec<&Kata> = match (name, all) {
            (_, true) => KATAS.iter().collect(),
            (Some(name), false) => vec![find(name)?],
            (None, false) => {
                return Err(Error::Problem(
                    "which kata? sockstep kata reset NAME, or --all".into(),
                ));
            }
        };
        for kata in &katas {
            let path = self.file(kata);
            std::fs::write(&path, kata.shipped)
                .map_err(|e| Error::Problem(format!("write {}: {e}", path.display())))?;
            println!("exercises/{} is back as shipped", kata.file);
        }
        let done: Vec<String> = self
            .done()
            .into_iter()
            .filter(|d| !katas.iter().any(|k| k.name == d))
            .collect();
        self.save(&done)
    }

    /// `sockstep kata verify`: `Ok(true)` when every kata fails as shipped and passes solved.
    fn verify(&self) -> Result<bool, Error> {
        let edited: Vec<&str> = KATAS
            .iter()
            .filter(|k| std::fs::read_to_string(self.file(k)).ok().as_deref() != Some(k.shipped))
            .map(|k| k.file)
            .collect();
        if !edited.is_empty() {
            return Err(Error::Problem(format!(
                "verify checks the katas as shipped, and these were edited: {} (sockstep kata \
                 reset --all puts them back)",
                edited.join(", ")
            )));
        }
        if !self.build(&["--examples"])? {
            return Ok(false);
        }
        let me = std::env::current_exe()
            .map_err(|e| Error::Problem(format!("where is sockstep? {e}")))?;
        let mut ok = true;
        for kata in KATAS {
            let started = Instant::now();
            let (shipped_told, shipped) = self.scenario(kata, self.exercise(kata))?;
            let solution = Program {
                exe: me.clone(),
                args: vec!["kata".into(), "solved".into(), kata.name.into()],
            };
            let (solved_told, solved) = self.scenario(kata, solution)?;
            let line = match (&shipped, &solved) {
                (Err(fail), Ok(())) => format!("ok    shipped fails ({})", first_line(&fail.got)),
                (Ok(()), _) => {
                    ok = false;
                    format!("WRONG shipped passes:\n{shipped_told}")
                }
                (_, Err(fail)) => {
                    ok = false;
                    format!("WRONG solution fails:\n{solved_told}{}", render_fail(fail))
                }
            };
            println!(
                "{:<14} {:>5} ms  {line}",
                kata.name,
                started.elapsed().as_millis()
            );
            let wrong = solutions::WRONG.iter().map(|(name, _)| *name);
            for name in wrong.filter(|w| {
                w.strip_prefix(kata.name)
                    .is_some_and(|how| how.starts_with('_'))
            }) {
                let started = Instant::now();
                let program = Program {
                    exe: me.clone(),
                    args: vec!["kata".into(), "solved".into(), name.into()],
                };
                let (told, result) = self.scenario(kata, program)?;
                let line = match result {
                    Err(fail) => format!("ok    wrong fix fails ({})", first_line(&fail.got)),
                    Ok(()) => {
                        ok = false;
                        format!("WRONG wrong fix passes:\n{told}")
                    }
                };
                println!(
                    "  {name:<24} {:>5} ms  {line}",
                    started.elapsed().as_millis()
                );
            }
        }
        Ok(ok)
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The failed step's `*** got ...` and the calls it quotes.
fn render_fail(fail: &Fail) -> String {
    let mut out = format!("     *** {}\n", fail.got);
    if !fail.calls.is_empty() {
        out += "     the calls it looked at, in strace's notation (from the event record):\n";
        for call in &fail.calls {
            out += &format!("       {call}\n");
        }
    }
    out
}

/// What `watch` was told by a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Key {
    Hint,
    Next,
    List,
    Quit,
}

/// A line typed during `watch`: its first letter.
pub fn key(line: &str) -> Option<Key> {
    match line.trim().chars().next()? {
        'h' => Some(Key::Hint),
        'n' => Some(Key::Next),
        'l' => Some(Key::List),
        'q' => Some(Key::Quit),
        _ => None,
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `sockstep kata watch`: checks the current kata, then again each time its file changes
/// (its modification time, looked at 5 times a second); reads keys from `input`, whose end
/// ends the watch.
fn watch(repo: &Repo, input: impl std::io::BufRead + Send + 'static) -> Result<(), Error> {
    let (keys, typed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in input.lines() {
            let Ok(line) = line else { break };
            if let Some(k) = key(&line)
                && keys.send(k).is_err()
            {
                break;
            }
        }
        let _ = keys.send(Key::Quit);
    });
    let mut index = repo.current().map_or(KATAS.len(), |k| {
        KATAS.iter().position(|x| x.name == k.name).unwrap_or(0)
    });
    let mut seen = None;
    loop {
        let Some(kata) = KATAS.get(index) else {
            println!("Every kata is done.");
            return Ok(());
        };
        let now = mtime(&repo.file(kata));
        if now != seen {
            seen = now;
            if repo.check(kata)? {
                index = repo.current().map_or(KATAS.len(), |k| {
                    KATAS.iter().position(|x| x.name == k.name).unwrap_or(0)
                });
                seen = None;
                continue;
            }
            println!(
                "\n[watching exercises/{}: save it to check again; h hint, n next, l list, q quit, then Enter]",
                kata.file
            );
            let _ = std::io::stdout().flush();
        }
        match typed.recv_timeout(Duration::from_millis(200)) {
            Ok(Key::Hint) => println!("{}\nThe book explains it: {}", kata.hint, kata.page),
            Ok(Key::Next) => {
                index += 1;
                seen = None;
            }
            Ok(Key::List) => print!("{}", repo.list()),
            Ok(Key::Quit) | Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_first_letters() {
        assert_eq!(key("h\n"), Some(Key::Hint));
        assert_eq!(key(" next"), Some(Key::Next));
        assert_eq!(key("l"), Some(Key::List));
        assert_eq!(key("quit"), Some(Key::Quit));
        assert_eq!(key("x"), None);
        assert_eq!(key(""), None);
    }

    #[test]
    fn every_kata_has_a_todo_a_story_and_a_page_of_the_book() {
        for kata in KATAS {
            assert!(kata.shipped.contains("TODO"), "{}", kata.name);
            assert!(!kata.solution.contains("TODO"), "{}", kata.name);
            assert!(kata.shipped.starts_with("//! Kata "), "{}", kata.name);
            let page = Path::new(env!("CARGO_MANIFEST_DIR")).join(kata.page);
            assert!(page.is_file(), "{}: {}", kata.name, kata.page);
            assert!(kata.file[3..].starts_with(kata.name), "{}", kata.name);
        }
    }
}
