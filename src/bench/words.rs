//! What `sockstep bench` says, in English and in French.

use std::fmt;

use crate::dialogue::BUF_SIZE;
use crate::text::{Lang, decimal, decimal_point};

/// What `sockstep bench` says: its header, its progress, its table's headings and notes, and
/// its problems. The CSV's header is machine-read and stays in English, as `listening on` does.
pub enum Bench<'a> {
    /// The machine the figures come from.
    Machine {
        cpus: usize,
        cpu_model: &'a str,
        kernel: &'a str,
        load: &'a str,
    },
    /// Where the server and the load generator run.
    Pinned {
        server: usize,
        loadgen: usize,
    },
    /// `--no-pin`.
    NotPinnedAsked,
    /// Only one CPU may be used: both share it.
    NotPinnedOneCpu,
    /// What each run does.
    Runs {
        sizes: &'a [usize],
        service: &'a str,
        until: &'a str,
        reps: usize,
    },
    /// `3 s per run`.
    Seconds {
        secs: f64,
    },
    /// `until 1000 replies (at most 3 s)`.
    Replies {
        count: u64,
        secs: f64,
    },
    /// How syscalls are counted, or why they are not.
    CountedBy {
        tool: &'a str,
    },
    NotCounted {
        why: &'a str,
    },
    /// Whether the servers leave Nagle's algorithm on (`--nagle`).
    Nagle {
        on: bool,
    },
    /// How many bytes every server asks of each `recv()` (`--buf`).
    Buf {
        bytes: usize,
    },
    /// `--nagle` with reads at least as long as every message: nothing will stall.
    NagleWholeReads {
        bytes: usize,
    },
    /// fork and threads may serve every connection of the run.
    MaxClientsConns,
    /// fork and threads serve at most `max` clients at once.
    MaxClients {
        max: usize,
    },
    /// The honesty note.
    Illustrative,
    /// A plain progress line (when stderr is not a terminal).
    Progress {
        done: usize,
        total: usize,
        model: &'a str,
        size: usize,
        conns: usize,
        rep: usize,
        reps: usize,
    },
    /// The outcome of one run, after its progress line.
    RunResult {
        msgs_per_s: f64,
        unserved: usize,
    },
    /// The hypervisor took this share of the CPUs during the bench.
    Steal {
        percent: f64,
    },
    /// The load average when the bench ended: how busy the machine was meanwhile.
    LoadAtEnd {
        load: &'a str,
    },
    /// The figures may say more about the machine than about the models: why, in `reasons`
    /// (each one of the next three), joined.
    Noisy {
        reasons: &'a str,
    },
    /// The hypervisor stole this share of the CPUs.
    NoisySteal {
        percent: f64,
    },
    /// The 1-minute load average was this high before the bench started.
    NoisyLoad {
        load: f64,
        cpus: usize,
    },
    /// `count` of `total` cells varied by more than `limit` percent between repetitions, the
    /// most `worst` (model, size, connections).
    NoisyCells {
        count: usize,
        total: usize,
        limit: f64,
        model: &'a str,
        size: usize,
        conns: usize,
        spread: f64,
    },
    /// Fewer than 3 repetitions: each figure is a single sample.
    SingleSample {
        reps: usize,
    },
    /// A file was written.
    Wrote {
        path: &'a std::path::Path,
    },
    /// The notes under the table.
    Legend,
    /// Headings of the table's columns, in order.
    Headings,
    /// Chart captions (one pair per message size) and axis names.
    ChartThroughput {
        size: usize,
    },
    ChartLatency {
        size: usize,
    },
    AxisConnections,
    AxisMsgs,
    AxisP99,
    /// Under the plot: what a hollow ring means.
    PlotWaitingNote,
    /// Problems.
    BadOption {
        what: &'a str,
    },
    ServerDidNotStart {
        model: &'a str,
        why: &'a str,
        log: &'a std::path::Path,
    },
    LoadSetup {
        why: &'a dyn fmt::Display,
    },
    CannotWrite {
        path: &'a std::path::Path,
        why: &'a dyn fmt::Display,
    },
    Plot {
        why: &'a dyn fmt::Display,
    },
}

/// `64, 1024 and 16384`: a list of numbers in a sentence.
fn list(numbers: &[usize], and: &str) -> String {
    let words: Vec<String> = numbers.iter().map(usize::to_string).collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {and} {last}", rest.join(", ")),
    }
}

impl Bench<'_> {
    /// The table's column headings (one string per column).
    pub fn headings() -> [&'static str; 14] {
        match Lang::current() {
            Lang::En => [
                "model",
                "size B",
                "conns",
                "msgs/s",
                "p50 µs",
                "p99 µs",
                "max µs",
                "waiting",
                "errors",
                "CPU µs/msg",
                "RSS MiB",
                "procs",
                "threads",
                "syscalls/msg",
            ],
            Lang::Fr => [
                "modèle",
                "taille o",
                "connex.",
                "msgs/s",
                "p50 µs",
                "p99 µs",
                "max µs",
                "en attente",
                "erreurs",
                "CPU µs/msg",
                "RSS Mio",
                "processus",
                "threads",
                "appels/msg",
            ],
        }
    }
}

impl fmt::Display for Bench<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, Lang::current()) {
            (
                Bench::Machine {
                    cpus,
                    cpu_model,
                    kernel,
                    load,
                },
                Lang::En,
            ) => write!(
                f,
                "machine: {cpus} CPUs ({cpu_model}), Linux {kernel}; load average at start: {load}"
            ),
            (
                Bench::Machine {
                    cpus,
                    cpu_model,
                    kernel,
                    load,
                },
                Lang::Fr,
            ) => write!(
                f,
                "machine : {cpus} processeurs ({cpu_model}), Linux {kernel} ; charge moyenne au départ : {}",
                decimal_point(load)
            ),
            (Bench::Pinned { server, loadgen }, Lang::En) => write!(
                f,
                "pinning: the server runs on CPU {server}, the load generator on CPU {loadgen} (--no-pin to share them)"
            ),
            (Bench::Pinned { server, loadgen }, Lang::Fr) => write!(
                f,
                "épinglage : le serveur tourne sur le processeur {server}, le générateur de charge sur le {loadgen} (--no-pin pour les partager)"
            ),
            (Bench::NotPinnedAsked, Lang::En) => {
                write!(
                    f,
                    "pinning: off (--no-pin): the scheduler places server and load generator"
                )
            }
            (Bench::NotPinnedAsked, Lang::Fr) => write!(
                f,
                "épinglage : non (--no-pin) : l'ordonnanceur place serveur et générateur de charge"
            ),
            (Bench::NotPinnedOneCpu, Lang::En) => write!(
                f,
                "pinning: off: one CPU only, server and load generator share it"
            ),
            (Bench::NotPinnedOneCpu, Lang::Fr) => write!(
                f,
                "épinglage : non : un seul processeur, serveur et générateur de charge le partagent"
            ),
            (
                Bench::Runs {
                    sizes,
                    service,
                    until,
                    reps,
                },
                Lang::En,
            ) => write!(
                f,
                "each run: a fresh server, messages of {} bytes to the {service} service, {until}; median of {reps} run(s)",
                list(sizes, "and")
            ),
            (
                Bench::Runs {
                    sizes,
                    service,
                    until,
                    reps,
                },
                Lang::Fr,
            ) => write!(
                f,
                "chaque mesure : un serveur neuf, des messages de {} octets au service {service}, {until} ; médiane de {reps} mesure(s)",
                list(sizes, "et")
            ),
            (Bench::Nagle { on: false }, Lang::En) => write!(
                f,
                "Nagle's algorithm: off, every server sets TCP_NODELAY on each connection (--nagle leaves it on); so does the load generator"
            ),
            (Bench::Nagle { on: false }, Lang::Fr) => write!(
                f,
                "algorithme de Nagle : désactivé, chaque serveur pose TCP_NODELAY sur chaque connexion (--nagle le laisse actif) ; le générateur de charge aussi"
            ),
            (Bench::Nagle { on: true }, Lang::En) => write!(
                f,
                "Nagle's algorithm: left on in every server (--nagle): a small segment waits until the small one sent before it is acknowledged, and the client's TCP may delay that ACK by 40 ms; the load generator still sets TCP_NODELAY"
            ),
            (Bench::Nagle { on: true }, Lang::Fr) => write!(
                f,
                "algorithme de Nagle : laissé actif dans chaque serveur (--nagle) : un petit segment attend que le petit segment envoyé avant lui soit acquitté, et le TCP du client peut retarder cet ACK de 40 ms ; le générateur de charge pose toujours TCP_NODELAY"
            ),
            (Bench::Buf { bytes }, Lang::En) if *bytes == BUF_SIZE => write!(
                f,
                "reads: every server asks {bytes} bytes of each recv() (--buf {bytes}), the course's recv(1024): a longer message is read and answered in pieces"
            ),
            (Bench::Buf { bytes }, Lang::Fr) if *bytes == BUF_SIZE => write!(
                f,
                "lectures : chaque serveur demande {bytes} octets à chaque recv() (--buf {bytes}), le recv(1024) du cours : un message plus long est lu, et sa réponse envoyée, par morceaux"
            ),
            (Bench::Buf { bytes }, Lang::En) => write!(
                f,
                "reads: every server asks {bytes} bytes of each recv() (--buf {bytes}), the same for every model; the course's recv(1024), the blocking models' own default, is --buf {BUF_SIZE}"
            ),
            (Bench::Buf { bytes }, Lang::Fr) => write!(
                f,
                "lectures : chaque serveur demande {bytes} octets à chaque recv() (--buf {bytes}), pour tous les modèles ; le recv(1024) du cours, le défaut des modèles bloquants, c'est --buf {BUF_SIZE}"
            ),
            (Bench::NagleWholeReads { bytes }, Lang::En) => write!(
                f,
                "with --nagle and reads of {bytes} bytes, each message of this run is read whole and its reply leaves in one send(): Nagle's algorithm has nothing to hold back; --buf {BUF_SIZE} shows the stall"
            ),
            (Bench::NagleWholeReads { bytes }, Lang::Fr) => write!(
                f,
                "avec --nagle et des lectures de {bytes} octets, chaque message de cette mesure est lu en entier et sa réponse part en un seul send() : l'algorithme de Nagle n'a rien à retenir ; --buf {BUF_SIZE} montre l'attente"
            ),
            (Bench::Seconds { secs }, Lang::En) => write!(f, "{secs} s of ping-pong"),
            (Bench::Seconds { secs }, Lang::Fr) => {
                write!(f, "{} s de ping-pong", decimal(*secs, None))
            }
            (Bench::Replies { count, secs }, Lang::En) => {
                write!(f, "until {count} replies (at most {secs} s)")
            }
            (Bench::Replies { count, secs }, Lang::Fr) => {
                write!(
                    f,
                    "jusqu'à {count} réponses (au plus {} s)",
                    decimal(*secs, None)
                )
            }
            (Bench::CountedBy { tool }, Lang::En) => {
                write!(f, "system calls: counted by {tool} during the load")
            }
            (Bench::CountedBy { tool }, Lang::Fr) => {
                write!(f, "appels système : comptés par {tool} pendant la charge")
            }
            (Bench::NotCounted { why }, Lang::En) => {
                write!(f, "system calls: not counted ({why})")
            }
            (Bench::NotCounted { why }, Lang::Fr) => {
                write!(f, "appels système : non comptés ({why})")
            }
            (Bench::MaxClientsConns, Lang::En) => write!(
                f,
                "fork and threads: --max-clients set to each run's number of connections, so that every connection can be served (--max-clients N to cap them)"
            ),
            (Bench::MaxClientsConns, Lang::Fr) => write!(
                f,
                "fork et threads : --max-clients réglé au nombre de connexions de chaque mesure, pour que toutes puissent être servies (--max-clients N pour les limiter)"
            ),
            (Bench::MaxClients { max }, Lang::En) => write!(
                f,
                "fork and threads: at most {max} clients served at once (--max-clients)"
            ),
            (Bench::MaxClients { max }, Lang::Fr) => write!(
                f,
                "fork et threads : au plus {max} clients servis à la fois (--max-clients)"
            ),
            (Bench::Illustrative, Lang::En) => write!(
                f,
                "Loopback figures are illustrative: client and server share one machine and no network is crossed. Compare the models within one run, not with figures from another machine."
            ),
            (Bench::Illustrative, Lang::Fr) => write!(
                f,
                "Les chiffres sur la boucle locale sont indicatifs : client et serveur partagent une machine et aucun réseau n'est traversé. Comparer les modèles au sein d'une même exécution, pas avec les chiffres d'une autre machine."
            ),
            (
                Bench::Progress {
                    done,
                    total,
                    model,
                    size,
                    conns,
                    rep,
                    reps,
                },
                Lang::En,
            ) => write!(
                f,
                "bench [{done}/{total}] {model}, {size} B, {conns} connection(s), run {rep}/{reps}"
            ),
            (
                Bench::Progress {
                    done,
                    total,
                    model,
                    size,
                    conns,
                    rep,
                    reps,
                },
                Lang::Fr,
            ) => write!(
                f,
                "bench [{done}/{total}] {model}, {size} o, {conns} connexion(s), mesure {rep}/{reps}"
            ),
            (
                Bench::RunResult {
                    msgs_per_s,
                    unserved,
                },
                Lang::En,
            ) => {
                write!(f, "{msgs_per_s:.0} msgs/s, {unserved} waiting")
            }
            (
                Bench::RunResult {
                    msgs_per_s,
                    unserved,
                },
                Lang::Fr,
            ) => {
                write!(f, "{msgs_per_s:.0} msgs/s, {unserved} en attente")
            }
            (Bench::Steal { percent }, Lang::En) => write!(
                f,
                "steal time during the bench: {percent:.1}% of the CPUs' time went to other virtual machines (noise)"
            ),
            (Bench::Steal { percent }, Lang::Fr) => write!(
                f,
                "temps volé pendant le bench : {} % du temps des processeurs est allé à d'autres machines virtuelles (bruit)",
                decimal(*percent, Some(1))
            ),
            (Bench::LoadAtEnd { load }, Lang::En) => write!(
                f,
                "load average at the end: {load} (other work on the machine makes the figures noisier)"
            ),
            (Bench::LoadAtEnd { load }, Lang::Fr) => write!(
                f,
                "charge moyenne à la fin : {} (tout autre travail sur la machine rend les chiffres plus bruités)",
                decimal_point(load)
            ),
            (Bench::Noisy { reasons }, Lang::En) => write!(
                f,
                "noisy machine: {reasons}. These figures may say more about the machine than about the models: run again when it is quiet."
            ),
            (Bench::Noisy { reasons }, Lang::Fr) => write!(
                f,
                "machine bruyante : {reasons}. Ces chiffres peuvent en dire plus sur la machine que sur les modèles : recommencer quand elle est calme."
            ),
            (Bench::NoisySteal { percent }, Lang::En) => {
                write!(f, "the hypervisor stole {percent:.1}% of the CPUs' time")
            }
            (Bench::NoisySteal { percent }, Lang::Fr) => write!(
                f,
                "l'hyperviseur a volé {} % du temps des processeurs",
                decimal(*percent, Some(1))
            ),
            (Bench::NoisyLoad { load, cpus }, Lang::En) => write!(
                f,
                "the load average was {load:.2} before the bench started, with {cpus} CPUs: other work was running"
            ),
            (Bench::NoisyLoad { load, cpus }, Lang::Fr) => write!(
                f,
                "la charge moyenne était de {} avant le début du bench, pour {cpus} processeurs : d'autres travaux tournaient",
                decimal(*load, Some(2))
            ),
            (
                Bench::NoisyCells {
                    count,
                    total,
                    limit,
                    model,
                    size,
                    conns,
                    spread,
                },
                Lang::En,
            ) => write!(
                f,
                "{count} of {total} cells varied by more than {limit:.0}% in msgs/s between repetitions (the most: {model}, {size} B, {conns} connection(s), {spread:.0}%)"
            ),
            (
                Bench::NoisyCells {
                    count,
                    total,
                    limit,
                    model,
                    size,
                    conns,
                    spread,
                },
                Lang::Fr,
            ) => write!(
                f,
                "{count} cases sur {total} ont varié de plus de {limit:.0} % en msgs/s d'une répétition à l'autre (le plus : {model}, {size} o, {conns} connexion(s), {spread:.0} %)"
            ),
            (Bench::SingleSample { reps }, Lang::En) => write!(
                f,
                "single sample: each figure comes from {reps} run(s), fewer than 3, so it says little about how much it would vary; --reps 3 or more reports the median and flags the cells that vary a lot"
            ),
            (Bench::SingleSample { reps }, Lang::Fr) => write!(
                f,
                "échantillon unique : chaque chiffre vient de {reps} mesure(s), moins de 3, et dit peu de chose de combien il varierait ; --reps 3 ou plus donne la médiane et signale les cases qui varient beaucoup"
            ),
            (Bench::Wrote { path }, Lang::En) => write!(f, "wrote {}", path.display()),
            (Bench::Wrote { path }, Lang::Fr) => write!(f, "écrit : {}", path.display()),
            (Bench::Legend, Lang::En) => write!(
                f,
                "waiting: connections that got no reply before the end of the run (a model that serves one client at a time leaves the others waiting). \
errors: connections refused, reset or answered wrongly. \
Latencies are those of the replies received. \
CPU: the server's user+system time during the load, its child processes included. \
RSS: peak resident memory, summed over the server's processes (fork: pages shared copy-on-write are counted in each process). \
procs, threads: the server's processes and threads at the end of the load."
            ),
            (Bench::Legend, Lang::Fr) => write!(
                f,
                "en attente : connexions sans aucune réponse à la fin de la mesure (un modèle qui sert un client à la fois fait attendre les autres). \
erreurs : connexions refusées, réinitialisées ou mal servies. \
Les latences sont celles des réponses reçues. \
CPU : temps utilisateur+système du serveur pendant la charge, processus fils compris. \
RSS : mémoire résidente maximale, additionnée sur les processus du serveur (fork : les pages partagées en copie sur écriture comptent dans chaque processus). \
processus, threads : ceux du serveur à la fin de la charge."
            ),
            (Bench::Headings, _) => write!(f, "{}", Bench::headings().join(" | ")),
            (Bench::ChartThroughput { size }, Lang::En) => {
                write!(f, "throughput, {size}-byte messages")
            }
            (Bench::ChartThroughput { size }, Lang::Fr) => {
                write!(f, "débit, messages de {size} octets")
            }
            (Bench::ChartLatency { size }, Lang::En) => {
                write!(f, "p99 latency, {size}-byte messages")
            }
            (Bench::ChartLatency { size }, Lang::Fr) => {
                write!(f, "latence p99, messages de {size} octets")
            }
            (Bench::AxisConnections, Lang::En) => write!(f, "connections"),
            (Bench::AxisConnections, Lang::Fr) => write!(f, "connexions"),
            (Bench::PlotWaitingNote, Lang::En) => write!(
                f,
                "A hollow ring: some connections got no reply at all during that run (see the table's waiting column); its figures are those of the connections served."
            ),
            (Bench::PlotWaitingNote, Lang::Fr) => write!(
                f,
                "Un anneau vide : des connexions n'ont reçu aucune réponse pendant cette mesure (colonne en attente du tableau) ; ses chiffres sont ceux des connexions servies."
            ),
            (Bench::AxisMsgs, _) => write!(f, "msgs/s"),
            (Bench::AxisP99, Lang::En) => write!(f, "p99 latency"),
            (Bench::AxisP99, Lang::Fr) => write!(f, "latence p99"),
            (Bench::BadOption { what }, Lang::En) => write!(f, "bench: {what}"),
            (Bench::BadOption { what }, Lang::Fr) => write!(f, "bench : {what}"),
            (Bench::ServerDidNotStart { model, why, log }, Lang::En) => write!(
                f,
                "the {model} server did not start: {why} (its log: {})",
                log.display()
            ),
            (Bench::ServerDidNotStart { model, why, log }, Lang::Fr) => write!(
                f,
                "le serveur {model} n'a pas démarré : {why} (son journal : {})",
                log.display()
            ),
            (Bench::LoadSetup { why }, Lang::En) => {
                write!(f, "the load generator could not start: {why}")
            }
            (Bench::LoadSetup { why }, Lang::Fr) => {
                write!(f, "le générateur de charge n'a pas pu démarrer : {why}")
            }
            (Bench::CannotWrite { path, why }, Lang::En) => {
                write!(f, "cannot write {}: {why}", path.display())
            }
            (Bench::CannotWrite { path, why }, Lang::Fr) => {
                write!(f, "impossible d'écrire {} : {why}", path.display())
            }
            (Bench::Plot { why }, Lang::En) => write!(f, "drawing the plot: {why}"),
            (Bench::Plot { why }, Lang::Fr) => write!(f, "dessin du graphique : {why}"),
        }
    }
}
