//! `sockstep bench`: the server models side by side, measured the same way.
//!
//! What it demonstrates: the price of each way of serving many clients, in numbers. For each
//! model and each number of connections, the bench starts a fresh server (this very binary,
//! `sockstep server --model M`) on a free loopback port, drives it with the built-in load
//! generator (C connections, each a ping-pong of S bytes, for each size S of `--sizes`), stops
//! it, and reports:
//! - msgs/s, and the p50, p99 and max latency of the replies;
//! - the connections that got no reply at all before the end (the iterative server's
//!   head-of-line blocking, as a number: the run always ends on time);
//! - the server's CPU time per message, peak memory, processes and threads (from `/proc`, see
//!   `child`), and system calls per message (`perf stat` or `strace -c`, see `child`).
//!
//! To be fair by construction it prints the machine, pins the server and the load generator
//! to two different CPUs when there are two, repeats each run (`--reps`) and keeps the median,
//! and says that loopback figures are illustrative. It also says when they are little more
//! than that: a single sample (fewer than 3 repetitions), or a noisy machine (steal time, a
//! load average that was high before it started, cells that varied a lot between repetitions).
//!
//! `--buf N` (65536 by default) is given to every server: each model asks as many bytes of
//! each `recv()`, so that the table compares how the models wait, not their buffers (the
//! blocking models' own default is the course's `recv(1024)`, which reads a 16 KiB message in
//! sixteen calls and answers it in sixteen pieces; `--buf 1024` shows that).
//!
//! `--nagle` starts the servers with `--nagle`, which leaves Nagle's algorithm on: with
//! messages bigger than the reads (`--buf 1024` and 16 KiB), the replies then stall on the
//! client's delayed ACK, and the table shows it (the book's page on Nagle explains why).
//!
//! Run it:      `cargo build --release && target/release/sockstep bench`
//! Quick look:  `sockstep bench --models iterative,mio --conns 1,10 --msgs 2000`
//! Read it:     the table on stdout; `bench-out/bench.csv`, `bench.svg` and `bench.md`
//! Compare:     `scripts/loadgen-check.sh` runs another load generator against the same server,
//!              to show that this one is not the bottleneck it measures.
//!
//! The modules: `loadgen` (the mio client), `child` (the server process and what `/proc`,
//! perf and strace say about it), `machine` (CPUs, pinning), `report` (table, CSV, Markdown),
//! `plot` (the SVG) and `words` (what the bench says, in English and in French).

pub mod child;
pub mod loadgen;
pub mod machine;
pub mod plot;
pub mod report;
pub mod words;

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::Error;
use crate::server::Model;
use crate::service::Service;
use child::{Counter, Launch, ServerChild, Syscalls, Tool};
use loadgen::{Load, Until};
use machine::Machine;
use report::Row;
use words::Bench;

/// The services a ping-pong can measure: those that answer each message with as many bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PingService {
    /// The course's parrot (the payload is upper case already, so it comes back unchanged).
    Upper,
    /// RFC 862's echo.
    Echo,
}

impl PingService {
    pub fn service(self) -> Service {
        match self {
            PingService::Upper => Service::Upper,
            PingService::Echo => Service::Echo,
        }
    }
}

/// Everything `sockstep bench` was asked for.
#[derive(Clone, Debug)]
pub struct Options {
    pub models: Vec<Model>,
    pub conns: Vec<usize>,
    /// Bytes in each message: every model and number of connections is run at each size.
    pub sizes: Vec<usize>,
    /// A timed run's length, or a fixed-count run's limit.
    pub secs: f64,
    /// A fixed count of replies per run, instead of a timed run.
    pub msgs: Option<u64>,
    pub service: PingService,
    pub reps: usize,
    pub out: PathBuf,
    pub pin: bool,
    pub syscalls: Syscalls,
    /// The cap on clients served at once given to fork and threads; None: the run's number
    /// of connections, so that every connection can be served.
    pub max_clients: Option<usize>,
    /// Leave Nagle's algorithm on in the servers (`sockstep server --nagle`).
    pub nagle: bool,
    /// Bytes every server asks of each `recv()` (`sockstep server --buf`), the same for
    /// every model.
    pub buf: usize,
}

/// The length of the listen queue every server gets: the kernel's maximum, so that a burst of a
/// thousand connections is queued rather than dropped, whatever the model's own default (the
/// course's `listen(1)` would measure SYN retries, not the model).
const BACKLOG: i32 = libc::SOMAXCONN;

/// Runs the whole bench: prints the header, the progress and the table, and writes the files.
pub fn run(options: &Options) -> Result<(), Error> {
    check(options)?;
    let exe = std::env::current_exe().map_err(|e| {
        Error::Problem(
            Bench::BadOption {
                what: &e.to_string(),
            }
            .to_string(),
        )
    })?;
    machine::raise_fd_limit();
    fs::create_dir_all(&options.out).map_err(|e| cannot_write(&options.out, &e))?;

    let machine = Machine::probe();
    println!(
        "{}",
        Bench::Machine {
            cpus: machine.cpus.len(),
            cpu_model: &machine.cpu_model,
            kernel: &machine.kernel,
            load: &machine.load,
        }
    );
    // The server goes on the first CPU we may use, the load generator (this thread) on the
    // second. Everything else of the machine still runs where the scheduler puts it.
    let cpus = match (options.pin, &machine.cpus[..]) {
        (false, _) => {
            println!("{}", Bench::NotPinnedAsked);
            None
        }
        (true, [server, loadgen, ..]) => {
            println!(
                "{}",
                Bench::Pinned {
                    server: *server,
                    loadgen: *loadgen
                }
            );
            machine::pin(0, *loadgen).ok().map(|()| *server)
        }
        (true, _) => {
            println!("{}", Bench::NotPinnedOneCpu);
            None
        }
    };
    let until = match options.msgs {
        None => Bench::Seconds { secs: options.secs }.to_string(),
        Some(count) => Bench::Replies {
            count,
            secs: options.secs,
        }
        .to_string(),
    };
    println!(
        "{}",
        Bench::Runs {
            sizes: &options.sizes,
            service: options.service.service().name(),
            until: &until,
            reps: options.reps,
        }
    );
    println!("{}", Bench::Nagle { on: options.nagle });
    println!("{}", Bench::Buf { bytes: options.buf });
    if options.nagle && options.sizes.iter().all(|&size| size <= options.buf) {
        println!("{}", Bench::NagleWholeReads { bytes: options.buf });
    }
    let tool = match child::pick_tool(options.syscalls) {
        Ok(Some(tool)) => {
            println!("{}", Bench::CountedBy { tool: tool.name() });
            Some(tool)
        }
        Ok(None) => {
            println!(
                "{}",
                Bench::NotCounted {
                    why: "--syscalls off"
                }
            );
            None
        }
        Err(why) => {
            println!("{}", Bench::NotCounted { why: &why });
            None
        }
    };
    if options
        .models
        .iter()
        .any(|m| matches!(m, Model::Fork | Model::Threads))
    {
        match options.max_clients {
            None => println!("{}", Bench::MaxClientsConns),
            Some(max) => println!("{}", Bench::MaxClients { max }),
        }
    }
    println!("{}", Bench::Illustrative);
    println!();

    let total = options.sizes.len() * options.models.len() * options.conns.len() * options.reps;
    let progress = Progress::new(total);
    let steal_before = machine::steal_ticks();
    let mut rows = Vec::new();
    for &size in &options.sizes {
        for &model in &options.models {
            let log = options.out.join(format!("server-{model}.log"));
            for &conns in &options.conns {
                let mut runs = Vec::with_capacity(options.reps);
                for rep in 1..=options.reps {
                    progress.start(&model.to_string(), size, conns, rep, options.reps);
                    let launch = Launch {
                        exe: &exe,
                        model,
                        service: options.service.service(),
                        backlog: BACKLOG,
                        log: &log,
                        cpu: cpus,
                        max_clients: options.max_clients.unwrap_or(conns),
                        nagle: options.nagle,
                        buf: options.buf,
                    };
                    let row = one_run(&launch, size, conns, options, tool)?;
                    progress.done(&row);
                    runs.push(row);
                }
                rows.push(report::median_row(&runs));
            }
        }
    }
    progress.finish();
    let steal_after = machine::steal_ticks();

    print!("{}", report::table(&rows));
    println!();
    println!("{}", Bench::Legend);
    let (steal, all) = (
        steal_after.0.saturating_sub(steal_before.0),
        steal_after.1.saturating_sub(steal_before.1),
    );
    let steal_pct = (all > 0).then(|| 100.0 * steal as f64 / all as f64);
    if let Some(percent) = steal_pct {
        println!("{}", Bench::Steal { percent });
    }

    println!(
        "{}",
        Bench::LoadAtEnd {
            load: &Machine::probe().load
        }
    );
    let reasons = noise(steal_pct, &machine, &rows);
    if !reasons.is_empty() {
        println!(
            "{}",
            Bench::Noisy {
                reasons: &reasons.join("; ")
            }
        );
    }
    if options.reps < 3 {
        println!("{}", Bench::SingleSample { reps: options.reps });
    }

    let svg =
        plot::svg(&rows).map_err(|why| Error::Problem(Bench::Plot { why: &why }.to_string()))?;
    write(&options.out.join("bench.csv"), &report::csv(&rows))?;
    write(&options.out.join("bench.md"), &report::markdown(&rows))?;
    write(&options.out.join("bench.svg"), &svg)?;
    Ok(())
}

/// Steal time above this share of the CPUs makes the machine noisy, in percent.
const NOISY_STEAL_PCT: f64 = 2.0;
/// A 1-minute load average above this many runnable tasks per CPU, before the bench starts,
/// makes the machine noisy: the bench itself needs two CPUs, one for the server and one for
/// the load generator, and on a machine with two a load of one already takes half of them.
const NOISY_LOAD_PER_CPU: f64 = 0.5;
/// A cell whose msgs/s varied by more than this between repetitions ((max − min) / median, in
/// percent) is noisy.
const NOISY_SPREAD_PCT: f64 = 20.0;

/// Why the figures may be noise rather than the models' doing, one sentence per reason;
/// empty when the machine looked quiet.
fn noise(steal_pct: Option<f64>, machine: &Machine, rows: &[Row]) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(percent) = steal_pct.filter(|&p| p > NOISY_STEAL_PCT) {
        reasons.push(Bench::NoisySteal { percent }.to_string());
    }
    let cpus = machine.cpus.len().max(1);
    if let Some(load) = machine
        .load1()
        .filter(|&l| l > NOISY_LOAD_PER_CPU * cpus as f64)
    {
        reasons.push(Bench::NoisyLoad { load, cpus }.to_string());
    }
    let noisy: Vec<&Row> = rows
        .iter()
        .filter(|r| r.spread_pct.is_some_and(|s| s > NOISY_SPREAD_PCT))
        .collect();
    if let Some(worst) = noisy.iter().max_by(|a, b| {
        a.spread_pct
            .unwrap_or(0.0)
            .total_cmp(&b.spread_pct.unwrap_or(0.0))
    }) {
        reasons.push(
            Bench::NoisyCells {
                count: noisy.len(),
                total: rows.len(),
                limit: NOISY_SPREAD_PCT,
                model: &worst.model,
                size: worst.size,
                conns: worst.conns,
                spread: worst.spread_pct.unwrap_or(0.0),
            }
            .to_string(),
        );
    }
    reasons
}

/// One run: a fresh server, one load, the figures.
fn one_run(
    launch: &Launch<'_>,
    size: usize,
    conns: usize,
    options: &Options,
    tool: Option<Tool>,
) -> Result<Row, Error> {
    let server = ServerChild::start(launch)?;
    let pid = server.pid();
    let counter = tool.and_then(|tool| Counter::attach(tool, pid));
    let before = child::usage(pid);
    let limit = Duration::from_secs_f64(options.secs);
    let load = Load {
        addr: server.addr,
        conns,
        size,
        until: match options.msgs {
            None => Until::Time(limit),
            Some(count) => Until::Replies { count, limit },
        },
    };
    let (outcome, connections) = loadgen::run(&load)?;
    // The counter stops first, while every connection is still open: the server has nothing
    // to do (each client waits for its next message, which will not come), so nothing after
    // the load is counted, not even the closing of a thousand connections.
    let syscalls = counter.and_then(Counter::finish);
    let after = child::usage(pid);
    drop(connections);
    server.stop();

    let per_msg = |total: f64| (outcome.replies > 0).then(|| total / outcome.replies as f64);
    let cpu_us = after.cpu_ns.saturating_sub(before.cpu_ns) as f64 / 1e3;
    Ok(Row {
        model: launch.model.to_string(),
        size,
        conns,
        msgs: outcome.replies,
        secs: outcome.elapsed.as_secs_f64(),
        msgs_per_s: outcome.rate(),
        p50_us: outcome.percentile_us(50.0),
        p99_us: outcome.percentile_us(99.0),
        max_us: outcome.max_us(),
        unserved: outcome.unserved,
        errors: outcome.failed,
        cpu_us_per_msg: per_msg(cpu_us),
        peak_rss_kib: Some(after.peak_rss_kib),
        procs: after.procs,
        threads: after.threads,
        syscalls_per_msg: syscalls.and_then(|n| per_msg(n as f64)),
        spread_pct: None,
    })
}

/// Refuses options that cannot make a run.
fn check(options: &Options) -> Result<(), Error> {
    let bad = |what: &str| Err(Error::Problem(Bench::BadOption { what }.to_string()));
    if options.models.is_empty() {
        return bad("--models: no model");
    }
    if options.conns.is_empty() || options.conns.contains(&0) {
        return bad("--conns: each count must be at least 1");
    }
    if options.sizes.is_empty() || options.sizes.contains(&0) {
        return bad("--sizes: each size must be at least 1 byte");
    }
    if options.reps == 0 {
        return bad("--reps: at least 1");
    }
    if !(options.secs > 0.0 && options.secs.is_finite()) {
        return bad("--secs: a positive number of seconds");
    }
    if options.max_clients == Some(0) {
        return bad("--max-clients: at least 1");
    }
    if options.msgs == Some(0) {
        return bad("--msgs: at least 1");
    }
    if options.buf == 0 {
        return bad("--buf: at least 1 byte");
    }
    Ok(())
}

fn cannot_write(path: &Path, why: &std::io::Error) -> Error {
    Error::Problem(Bench::CannotWrite { path, why }.to_string())
}

/// Writes one output file and says so on stderr.
fn write(path: &Path, contents: &str) -> Result<(), Error> {
    fs::write(path, contents).map_err(|e| cannot_write(path, &e))?;
    eprintln!("{}", Bench::Wrote { path });
    Ok(())
}

/// A progress bar on a terminal, plain lines on stderr otherwise (a log, a pipe, CI).
enum Progress {
    Bar(ProgressBar),
    Lines {
        done: std::cell::Cell<usize>,
        total: usize,
    },
}

impl Progress {
    fn new(total: usize) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
                bar.set_style(style);
            }
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                done: std::cell::Cell::new(0),
                total,
            }
        }
    }

    fn start(&self, model: &str, size: usize, conns: usize, rep: usize, reps: usize) {
        match self {
            Progress::Bar(bar) => {
                let done = bar.position() as usize;
                let total = bar.length().unwrap_or(0) as usize;
                bar.set_message(
                    Bench::Progress {
                        done: done + 1,
                        total,
                        model,
                        size,
                        conns,
                        rep,
                        reps,
                    }
                    .to_string(),
                );
            }
            Progress::Lines { done, total } => {
                done.set(done.get() + 1);
                // French typography: a no-break space before the colon.
                let colon = match crate::text::Lang::current() {
                    crate::text::Lang::En => ":",
                    crate::text::Lang::Fr => " :",
                };
                eprint!(
                    "{}{colon} ",
                    Bench::Progress {
                        done: done.get(),
                        total: *total,
                        model,
                        size,
                        conns,
                        rep,
                        reps,
                    }
                );
            }
        }
    }

    fn done(&self, row: &Row) {
        match self {
            Progress::Bar(bar) => bar.inc(1),
            Progress::Lines { .. } => eprintln!(
                "{}",
                Bench::RunResult {
                    msgs_per_s: row.msgs_per_s,
                    unserved: row.unserved,
                }
            ),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(load: &str) -> Machine {
        Machine {
            cpus: vec![0, 1],
            cpu_model: "test CPU".into(),
            kernel: "6.0".into(),
            load: load.into(),
        }
    }

    fn row(model: &str, spread_pct: Option<f64>) -> Row {
        Row {
            model: model.into(),
            size: 16384,
            conns: 10,
            spread_pct,
            ..Row::default()
        }
    }

    #[test]
    fn a_quiet_machine_has_no_noise() {
        let rows = [row("mio", Some(5.0)), row("poll", None)];
        assert!(noise(Some(0.1), &machine("0.20 0.30 0.40"), &rows).is_empty());
    }

    #[test]
    fn steal_load_and_varying_cells_are_each_a_reason() {
        let rows = [
            row("mio", Some(5.0)),
            row("poll", Some(30.0)),
            row("select", Some(45.0)),
        ];
        let reasons = noise(Some(3.5), &machine("1.50 0.30 0.40"), &rows);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("3.5%"), "{}", reasons[0]);
        assert!(reasons[1].contains("1.50"), "{}", reasons[1]);
        assert!(
            reasons[2].starts_with("2 of 3 cells") && reasons[2].contains("select, 16384 B"),
            "{}",
            reasons[2]
        );
    }
}
