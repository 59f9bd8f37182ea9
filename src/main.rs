//! The `sockstep` command: parses the command line, sets the language, the narration and the
//! log, runs the command, and is the one place where an error becomes an exit code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

use nix::sys::socket::SockType;
use sockstep::narrate::record::{self, Role};
use sockstep::narrate::{self, Log};
use sockstep::server::{self, DEFAULT_BIND, DEFAULT_PORT, DEFAULT_UDP_BIND, Listen, Model, Proto};
use sockstep::service::Service;
use sockstep::stream::Io;
use sockstep::sys::{self, Purpose};
use sockstep::text::{self, Lang, Problem};
use sockstep::{Error, bench, client, diagram, layers, sockaddr};

mod help_examples;
use help_examples::*;

/// TCP/IP socket programming, one system call at a time.
#[derive(Parser)]
#[command(version, about, long_about = None, after_help = examples(&[
    ("sockstep server", "the parrot server, on port 6789"),
    ("sockstep client", "talk to it from another terminal (Ctrl-D to quit)"),
    ("sockstep server -n -m poll", "the poll(2) model, each system call narrated"),
]))]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Language of logs, narration and errors [default: from LC_ALL or LANG, fr* gives fr].
    #[arg(long, global = true, value_enum)]
    lang: Option<Lang>,
}

/// How much of its system calls a server or a client shows: the two commands that make the
/// course's calls (`layers` makes none, `bench` narrates nothing: they refuse these flags).
#[derive(Args)]
struct Watch {
    /// Print each system call on stderr as strace names it, with the layer it acts on: the
    /// program's own calls, no more (--tcp-states adds the TCP-state readings).
    #[arg(short, long)]
    narrate: bool,
    /// Stop before each socket call: show the call, its layer and what to look at now, and wait
    /// for Enter on the terminal (/dev/tty, so a client fed by a pipe can be stepped too).
    /// Turns --narrate and --tcp-states on.
    #[arg(long)]
    step: bool,
    /// After listen, connect, accept and shutdown, and before close, ask the kernel for the TCP
    /// state (getsockopt TCP_INFO: one more system call each, which the program itself does not
    /// need) and print it, as strace shows the call.
    #[arg(long)]
    tcp_states: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run the parrot server (default: iterative, port 6789, every local IPv4 address).
    #[command(after_help = examples(SERVER_EXAMPLES))]
    Server(ServerArgs),
    /// Talk to a server: each line of input is sent, each reply printed.
    #[command(after_help = examples(CLIENT_EXAMPLES))]
    Client(ClientArgs),
    /// Print the table of calls and the layers they act on.
    #[command(after_help = examples(LAYERS_EXAMPLES))]
    Layers(LayersArgs),
    /// Print the struct sockaddr_in (or sockaddr_in6) bind() receives for IP:PORT, field by
    /// field, and its bytes: htons and network byte order.
    #[command(after_help = examples(ADDR_EXAMPLES))]
    Addr(AddrArgs),
    /// Compare the server models under the same load: a table, a CSV and an SVG plot.
    #[command(after_help = examples(BENCH_EXAMPLES))]
    Bench(BenchArgs),
    /// Draw a run as a sequence diagram (UNP figure 2.5): the calls of each --events record and
    /// the segments of a capture between the two TCPs.
    #[command(after_help = examples(DIAGRAM_EXAMPLES))]
    Diagram(DiagramArgs),
    /// Exercises broken on purpose, graded by their behaviour and their system calls.
    #[command(after_help = examples(KATA_EXAMPLES))]
    Kata {
        #[command(subcommand)]
        action: sockstep::kata::Action,
    },
    /// Print a completion script for a shell, generated from these very options.
    #[command(after_help = examples(COMPLETIONS_EXAMPLES))]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from these very options.
    #[command(after_help = examples(MAN_EXAMPLES))]
    Man,
}

#[derive(Args)]
struct ServerArgs {
    #[command(flatten)]
    watch: Watch,
    /// How clients are served.
    #[arg(short, long, value_enum, default_value_t = Model::Iterative)]
    model: Model,
    /// Local address to bind [default: 0.0.0.0 for TCP, the course's '' (every local IPv4
    /// address); 127.0.0.1 for UDP, which answers only a unicast address]. :: is every IPv6
    /// address, and IPv4 too unless --v6only; a name is resolved by getaddrinfo.
    #[arg(short, long)]
    bind: Option<String>,
    /// On an IPv6 address, set IPV6_V6ONLY to 1: IPv6 clients only, and the IPv4 side of the
    /// port left free for another socket [default: 0, dual stack].
    #[arg(long)]
    v6only: bool,
    /// Port of the parrot, the one listener when no --listen is given (0: any free port,
    /// shown in the `listening on` line). The same as --listen upper:PORT.
    #[arg(short, long, default_value_t = DEFAULT_PORT, conflicts_with = "listen")]
    port: u16,
    /// A service on a port, as SERVICE:PORT (upper, echo, discard, daytime), PORT/udp for UDP
    /// as /etc/services writes it (/tcp is the default); repeat it for several services at
    /// once (select, poll and mio) [default: upper:6789].
    #[arg(short, long, value_name = "SERVICE:PORT[/udp]", value_parser = parse_listen)]
    listen: Vec<(Service, u16, Proto)>,
    /// Serve the parrot over UDP on --port: the same as --listen upper:PORT/udp.
    #[arg(long, conflicts_with = "listen")]
    udp: bool,
    /// listen()'s backlog: Linux keeps up to BACKLOG + 1 completed connections waiting for
    /// accept() [default: the course's listen(1), two waiting, for iterative; SOMAXCONN for
    /// the models that serve clients side by side].
    #[arg(long)]
    backlog: Option<i32>,
    /// Serve one client (over UDP: answer one datagram), then close the listening socket and
    /// exit, as the course's example.
    #[arg(long)]
    once: bool,
    /// Which pair of calls moves the bytes.
    #[arg(long, value_enum, default_value_t = Io::SendRecv)]
    io: Io,
    /// Do not set SO_REUSEADDR: a restart then fails with EADDRINUSE while connections the
    /// server closed first wait in TIME_WAIT on its port (60 s; scripts/time-wait.sh shows it).
    #[arg(long)]
    no_reuseaddr: bool,
    /// Most clients served at once; past it the server stops accepting until one leaves
    /// [default: 64 for fork, 1024 for threads; iterative serves one; select, poll and mio
    /// take every client their descriptor limit allows, and ignore it].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_clients: Option<u64>,
    /// On SIGINT or SIGTERM, how long the clients still connected have to leave before the
    /// server closes their connections.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    grace: u64,
    /// What to log on stderr [default: data when the parrot is served, as the course's
    /// parrot prints every message; conn otherwise, as RFC servers log connections only].
    #[arg(long, value_enum)]
    log: Option<Log>,
    /// Append a record of every call and event to FILE, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Leave Nagle's algorithm on: do not set TCP_NODELAY on the connections, to see a reply
    /// sent in pieces wait for the client's delayed ACK.
    #[arg(long)]
    nagle: bool,
    /// Bytes asked of each recv() or read(), on every model, TCP and UDP (over UDP, the most
    /// a datagram keeps) [default: 1024, the course's recv(1024), for iterative, fork and
    /// threads, and for UDP; 65536 for the event loops' TCP connections].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BUF))]
    buf: Option<u64>,
    #[command(flatten)]
    faults: FaultArgs,
}

/// The largest `--buf`: 16 MiB, far past any socket buffer's default, so that no read ever
/// needs more.
const MAX_BUF: u64 = 16 << 20;

/// Faults on purpose, for the server and the client alike.
#[derive(Args)]
struct FaultArgs {
    /// Hand the kernel at most N bytes per recv, read, send or write: real short reads and
    /// writes, which every loop must survive. TCP only: refused with UDP, whose datagrams are
    /// read whole or cut.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_io: Option<u64>,
    /// Raise SIGALRM every MS milliseconds (setitimer), with a handler without SA_RESTART:
    /// blocking calls return EINTR, and must be retried.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    interrupt: Option<u64>,
}

impl FaultArgs {
    /// `--max-io` and UDP: a datagram cannot be read in pieces (a recvfrom() asking for fewer
    /// bytes than the datagram holds cuts it, and the rest is lost), nor sent in pieces (one
    /// sendto() is one datagram). The flag would then lose bytes, or be silently ignored:
    /// refused instead, saying why. `--interrupt` applies to UDP as to TCP.
    fn refuse_max_io_for_udp(&self) -> Result<(), Error> {
        match self.max_io {
            Some(_) => Err(Error::Problem(Problem::MaxIoDatagram.to_string())),
            None => Ok(()),
        }
    }

    /// Sets the faults up: `--max-io` at once, `--interrupt`'s timer just before the
    /// program's first blocking call could be interrupted (see `signals::interrupt_every`).
    fn apply(&self) -> Result<(), Error> {
        if let Some(n) = self.max_io {
            sockstep::sys::io::set_max_io(usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(ms) = self.interrupt {
            sockstep::signals::interrupt_every(Duration::from_millis(ms))?;
        }
        Ok(())
    }
}

/// `echo:7007` → (echo, 7007, TCP); `upper:6789/udp` → (upper, 6789, UDP). A wrong shape
/// (no colon, a port that is no number up to 65535, a protocol other than tcp or udp) and an
/// unknown service (`ftp:21`) are two different mistakes, said differently.
fn parse_listen(arg: &str) -> Result<(Service, u16, Proto), String> {
    use clap::ValueEnum;
    let bad = || text::Problem::BadListen { arg }.to_string();
    let (service, port) = arg.split_once(':').ok_or_else(bad)?;
    let (port, proto) = match port.split_once('/') {
        None => (port, Proto::Tcp),
        Some((port, "tcp")) => (port, Proto::Tcp),
        Some((port, "udp")) => (port, Proto::Udp),
        Some(_) => return Err(bad()),
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    let service = Service::from_str(service, true).map_err(|_| {
        let known: Vec<String> = Service::value_variants()
            .iter()
            .filter_map(|s| Some(s.to_possible_value()?.get_name().to_string()))
            .collect();
        text::Problem::UnknownService {
            service,
            known: &known.join(", "),
        }
        .to_string()
    })?;
    Ok((service, port, proto))
}

#[derive(Args)]
struct ClientArgs {
    #[command(flatten)]
    watch: Watch,
    /// Server to connect to: a name or an IP address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server's port.
    #[arg(short, long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Which pair of calls moves the bytes.
    #[arg(long, value_enum, default_value_t = Io::SendRecv)]
    io: Io,
    /// What to log on stderr.
    #[arg(long, value_enum, default_value_t = Log::Conn)]
    log: Log,
    /// Append a record of every call and event to FILE, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Talk UDP: each line in one datagram (sendto), each reply one datagram (recvfrom).
    #[arg(long, conflicts_with = "io")]
    udp: bool,
    /// With --udp: connect() the socket first, then send and recv; a connected UDP socket
    /// hears ECONNREFUSED when nobody listens (ICMP port unreachable).
    #[arg(long, requires = "udp")]
    connect: bool,
    /// With --udp: how long to wait for each reply (SO_RCVTIMEO), in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, requires = "udp")]
    timeout: f64,
    /// Leave Nagle's algorithm on: do not set TCP_NODELAY on the socket (TCP only).
    #[arg(long, conflicts_with = "udp")]
    nagle: bool,
    #[command(flatten)]
    faults: FaultArgs,
}

#[derive(Args)]
struct LayersArgs {
    /// Print a Markdown table instead of text.
    #[arg(long)]
    markdown: bool,
}

#[derive(Args)]
struct AddrArgs {
    /// The address, as IP:PORT or [IPv6]:PORT.
    addr: SocketAddr,
}

#[derive(Args)]
struct BenchArgs {
    /// Server models to compare, comma-separated [default: every model].
    #[arg(short, long, value_enum, value_delimiter = ',')]
    models: Vec<Model>,
    /// Numbers of connections open at once, comma-separated: one run for each.
    #[arg(short, long, value_delimiter = ',', default_value = "1,10,100,1000")]
    conns: Vec<usize>,
    /// Bytes in each message (and in each reply), comma-separated: every model and number of
    /// connections is run at each size. 16384 is past the blocking models' 1024-byte reads.
    #[arg(
        long,
        alias = "size",
        value_delimiter = ',',
        default_value = "64,16384"
    )]
    sizes: Vec<usize>,
    /// Seconds of load per run; with --msgs, the most a run may last.
    #[arg(long, default_value_t = 3.0)]
    secs: f64,
    /// End each run after this many replies in all instead of after --secs.
    #[arg(long)]
    msgs: Option<u64>,
    /// The service the load talks to.
    #[arg(long, value_enum, default_value_t = bench::PingService::Upper)]
    service: bench::PingService,
    /// Repeat each run this many times and report the median.
    #[arg(long, default_value_t = 1)]
    reps: usize,
    /// Directory for bench.csv, bench.svg, bench.md and the servers' logs.
    #[arg(short, long, default_value = "bench-out")]
    out: PathBuf,
    /// Do not pin the server and the load generator to different CPUs.
    #[arg(long)]
    no_pin: bool,
    /// How to count the server's system calls.
    #[arg(long, value_enum, default_value_t = bench::child::Syscalls::Auto)]
    syscalls: bench::child::Syscalls,
    /// The cap on clients served at once given to fork and threads [default: each run's
    /// number of connections, so that every connection can be served].
    #[arg(long, value_name = "N")]
    max_clients: Option<usize>,
    /// Start the servers with --nagle: Nagle's algorithm left on, to see replies stall on the
    /// client's delayed ACK (with --buf 1024, which answers a long message in pieces).
    #[arg(long)]
    nagle: bool,
    /// Bytes every server asks of each recv() (sockstep server --buf), the same for every
    /// model; --buf 1024 is the course's recv(1024), the blocking models' own default.
    #[arg(long, value_name = "N", default_value_t = 65536,
          value_parser = clap::value_parser!(u64).range(1..=MAX_BUF))]
    buf: u64,
}

#[derive(Args)]
struct DiagramArgs {
    /// An event record (written with --events), the server's or a client's; repeat it.
    #[arg(long, value_name = "FILE", required = true)]
    events: Vec<PathBuf>,
    /// A capture of the dialogue (tcpdump -i lo -w FILE); without it the segments drawn are
    /// those the calls imply, marked as inferred.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Where to write the drawing.
    #[arg(short, long, value_name = "FILE")]
    out: PathBuf,
    /// SVG, or a Mermaid sequence diagram.
    #[arg(long, value_enum, default_value_t = diagram::Format::Svg)]
    format: diagram::Format,
}

fn main() -> ExitCode {
    // The environment's language first, so that the parser's own errors (--listen) follow it.
    Lang::from_env().set();
    let cli = Cli::parse();
    // A kata's outcome is its exit status: a failed check is not an error of sockstep's.
    if let Command::Kata { action } = cli.command {
        return sockstep::kata::run(action).unwrap_or_else(|error| {
            eprintln!("sockstep: {}{error}", text::error_prefix());
            ExitCode::FAILURE
        });
    }
    cli.lang.unwrap_or_else(Lang::from_env).set();
    let (narrating, step, tcp_states) = match &cli.command {
        Command::Server(ServerArgs { watch, .. }) | Command::Client(ClientArgs { watch, .. }) => (
            watch.narrate || watch.step,
            watch.step,
            watch.tcp_states || watch.step,
        ),
        _ => (false, false, false),
    };
    narrate::set_narrate(narrating);
    narrate::set_tcp_states(tcp_states);
    // Without a terminal, --step could never be answered: a setup error.
    let stepping = match step {
        true => narrate::start_stepping()
            .map_err(|why| Error::Problem(Problem::NoTerminal { why: &why }.to_string())),
        false => Ok(()),
    };
    let result = stepping.and_then(|()| run(cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sockstep: {}{error}", text::error_prefix());
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Server(args) => run_server(args),
        Command::Client(args) => run_client(args),
        Command::Bench(args) => run_bench(args),
        Command::Addr(args) => {
            print!("{}", sockaddr::render(&args.addr, Lang::current()));
            Ok(())
        }
        Command::Diagram(args) => Ok(diagram::run(&diagram::Options {
            events: args.events,
            pcap: args.pcap,
            out: args.out,
            format: args.format,
        })?),
        Command::Kata { .. } => Ok(()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "sockstep", &mut script);
            print_all(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|why| Error::Problem(Problem::Output { why: &why }.to_string()))?;
            print_all(&page)
        }
        Command::Layers(args) => {
            let lang = Lang::current();
            if args.markdown {
                print!("{}", layers::render_markdown(lang));
            } else {
                print!("{}", layers::render(lang));
            }
            Ok(())
        }
    }
}

/// Writes `bytes` on stdout; an error (a closed pipe: `sockstep man | head`) is returned,
/// where `print!` would panic.
fn print_all(bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|why| Error::Problem(Problem::Output { why: &why }.to_string()))
}

fn run_server(args: ServerArgs) -> Result<(), Error> {
    if let Some(path) = &args.events {
        record::start(path, Role::Server, Some(args.model.to_string()))?;
    }
    // A name given to --bind is resolved as the client's --host is, by getaddrinfo; the
    // server binds its first IPv4 address, else its first address: the course is IPv4
    // (AF_INET), and so is the client's default 127.0.0.1, whatever order getaddrinfo chose
    // (/etc/gai.conf).
    narrate::set_tag(args.model.to_string());
    let (first_port, first_proto) = args.listen.first().map_or(
        (args.port, if args.udp { Proto::Udp } else { Proto::Tcp }),
        |&(_, port, proto)| (port, proto),
    );
    let sock_type = match first_proto {
        Proto::Tcp => SockType::Stream,
        Proto::Udp => SockType::Datagram,
    };
    let named = match &args.bind {
        Some(host) => {
            let addrs = sys::resolve(host, first_port, Purpose::Bind, sock_type)?;
            let v4 = addrs.iter().find(|a| a.is_ipv4());
            v4.or(addrs.first()).map(|a| a.ip())
        }
        None => None,
    };
    // TCP binds the course's '' by default; UDP the loopback address (see server::datagram).
    let bind = |proto| match (named, proto) {
        (Some(ip), _) => ip,
        (None, Proto::Tcp) => DEFAULT_BIND,
        (None, Proto::Udp) => DEFAULT_UDP_BIND,
    };
    let listens: Vec<Listen> = if args.listen.is_empty() {
        let proto = if args.udp { Proto::Udp } else { Proto::Tcp };
        vec![Listen {
            service: Service::Upper,
            addr: SocketAddr::new(bind(proto), args.port),
            proto,
        }]
    } else {
        args.listen
            .iter()
            .map(|&(service, port, proto)| Listen {
                service,
                addr: SocketAddr::new(bind(proto), port),
                proto,
            })
            .collect()
    };
    // One log line per message costs one write(2) per message: worth it for the parrot, whose
    // course prints every message; the RFC services log their connections only.
    let serves_parrot = listens.iter().any(|l| l.service == Service::Upper);
    narrate::set_log(
        args.log
            .unwrap_or(if serves_parrot { Log::Data } else { Log::Conn }),
    );
    let config = server::Config {
        model: args.model,
        listens,
        backlog: args.backlog.unwrap_or(args.model.default_backlog()),
        once: args.once,
        io: args.io,
        reuseaddr: !args.no_reuseaddr,
        v6only: args.v6only,
        max_clients: args
            .max_clients
            .map_or(args.model.default_max_clients(), |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            }),
        grace: Duration::from_secs(args.grace),
        nagle: args.nagle,
        buf: args.buf.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    };
    if config.listens.iter().any(|l| l.proto == Proto::Udp) {
        args.faults.refuse_max_io_for_udp()?;
    }
    args.faults.apply()?;
    server::run(&config)
}

fn run_client(args: ClientArgs) -> Result<(), Error> {
    if let Some(path) = &args.events {
        record::start(path, Role::Client, None)?;
    }
    narrate::set_log(args.log);
    if args.udp {
        let timeout = Duration::try_from_secs_f64(args.timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                Error::Problem(Problem::BadTimeout { secs: args.timeout }.to_string())
            })?;
        args.faults.refuse_max_io_for_udp()?;
        args.faults.apply()?;
        return client::udp::run(&client::udp::Options {
            host: args.host,
            port: args.port,
            connect: args.connect,
            timeout,
        });
    }
    args.faults.apply()?;
    client::run(&client::Options {
        host: args.host,
        port: args.port,
        io: args.io,
        nagle: args.nagle,
    })
}

fn run_bench(args: BenchArgs) -> Result<(), Error> {
    use clap::ValueEnum;
    let models = if args.models.is_empty() {
        Model::value_variants().to_vec()
    } else {
        args.models
    };
    bench::run(&bench::Options {
        models,
        conns: args.conns,
        sizes: args.sizes,
        secs: args.secs,
        msgs: args.msgs,
        service: args.service,
        reps: args.reps,
        out: args.out,
        pin: !args.no_pin,
        syscalls: args.syscalls,
        max_clients: args.max_clients,
        nagle: args.nagle,
        buf: usize::try_from(args.buf).unwrap_or(usize::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example the help shows parses: the words after `sockstep` (after the pipe, for a
    /// filter; before a redirection) are valid arguments, so no example can drift from the
    /// options.
    #[test]
    fn every_example_parses() {
        for examples in [
            SERVER_EXAMPLES,
            CLIENT_EXAMPLES,
            LAYERS_EXAMPLES,
            ADDR_EXAMPLES,
            BENCH_EXAMPLES,
            DIAGRAM_EXAMPLES,
            KATA_EXAMPLES,
            COMPLETIONS_EXAMPLES,
            MAN_EXAMPLES,
        ] {
            assert_eq!(examples.len(), 3, "three examples per command");
            for (line, _) in examples {
                let words: Vec<&str> = line
                    .split(" | ")
                    .find(|part| part.starts_with("sockstep"))
                    .unwrap_or_else(|| panic!("no sockstep command in {line:?}"))
                    .split_whitespace()
                    .take_while(|w| *w != ">")
                    .collect();
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("{line:?} does not parse: {e}");
                }
            }
        }
    }

    /// clap's own checks of the definitions: no two options share a short flag, every
    /// default parses.
    #[test]
    fn the_definitions_hold() {
        Cli::command().debug_assert();
    }
}
