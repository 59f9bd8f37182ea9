//! The examples at the end of each subcommand's `--help` (ripgrep's and curl's help show the
//! way): the three commands a user types most with it. A part of the `sockstep` binary only;
//! a unit test in `main.rs` parses every example with the real command line.

/// A command line and what it does: the examples at the end of each `--help`, the three
/// commands a user types most. (`printf ... |` before one is a shell pipe into it.)
pub type Example = (&'static str, &'static str);

pub const SERVER_EXAMPLES: &[Example] = &[
    (
        "sockstep server",
        "the course's parrot: iterative, port 6789, every local IPv4 address",
    ),
    (
        "sockstep server -n -m fork -p 0",
        "a process per client, any free port, each call narrated",
    ),
    (
        "sockstep server -m poll -l upper:6789 -l echo:7007",
        "two services on two ports, one thread",
    ),
];
pub const CLIENT_EXAMPLES: &[Example] = &[
    (
        "sockstep client",
        ">>> prompts; each line comes back in upper case; Ctrl-D quits",
    ),
    (
        "printf 'bonjour\\n' | sockstep client -p 6789",
        "a filter: stdin to the server, replies to stdout",
    ),
    (
        "sockstep client --host localhost -p 7007 -n",
        "another host and port, each call narrated",
    ),
];
pub const LAYERS_EXAMPLES: &[Example] = &[
    (
        "sockstep layers",
        "each call, its layers, what the kernel does, what goes on the wire",
    ),
    ("sockstep --lang fr layers", "the same table in French"),
    (
        "sockstep layers --markdown",
        "as a Markdown table, as the book shows it",
    ),
];
pub const ADDR_EXAMPLES: &[Example] = &[
    (
        "sockstep addr 127.0.0.1:6789",
        "the struct sockaddr_in bind() receives: sin_port = htons(6789), the bytes 1a 85",
    ),
    (
        "sockstep addr 0.0.0.0:6789",
        "INADDR_ANY, every local IPv4 address, as the parrot binds it",
    ),
    (
        "sockstep addr [::1]:6789",
        "a struct sockaddr_in6: IPv6 loopback",
    ),
];
pub const BENCH_EXAMPLES: &[Example] = &[
    (
        "sockstep bench",
        "every model at 1, 10, 100 and 1000 connections; files in bench-out/",
    ),
    (
        "sockstep bench -m iterative,threads,mio -c 1,100",
        "three models, two loads",
    ),
    (
        "sockstep bench --secs 1 --reps 3 -o /tmp/bench",
        "shorter runs, the median of three",
    ),
];
pub const DIAGRAM_EXAMPLES: &[Example] = &[
    (
        "sockstep diagram --events server.jsonl --events client.jsonl -o dialogue.svg",
        "the calls of both sides, and the segments they imply",
    ),
    (
        "sockstep diagram --events server.jsonl --events client.jsonl --pcap dialogue.pcap -o dialogue.svg",
        "with the segments a capture saw (tcpdump -i lo -w dialogue.pcap)",
    ),
    (
        "sockstep diagram --events server.jsonl --events client.jsonl --format mermaid -o dialogue.md",
        "a Mermaid sequence diagram instead of SVG",
    ),
];
pub const KATA_EXAMPLES: &[Example] = &[
    (
        "sockstep kata list",
        "the katas in order, each with whether it is done",
    ),
    (
        "sockstep kata check",
        "build the first kata not done and say what came",
    ),
    (
        "sockstep kata watch",
        "check it again each time its file is saved",
    ),
];
pub const COMPLETIONS_EXAMPLES: &[Example] = &[
    (
        "sockstep completions bash > ~/.local/share/bash-completion/completions/sockstep",
        "bash",
    ),
    (
        "sockstep completions zsh > ~/.zfunc/_sockstep",
        "zsh (with ~/.zfunc in $fpath)",
    ),
    (
        "sockstep completions fish > ~/.config/fish/completions/sockstep.fish",
        "fish",
    ),
];
pub const MAN_EXAMPLES: &[Example] = &[
    ("sockstep man | man -l -", "read it now"),
    (
        "sockstep man > ~/.local/share/man/man1/sockstep.1",
        "install it: then `man sockstep`",
    ),
    ("sockstep man | groff -man -Tutf8 | less", "without man-db"),
];

/// `Examples:` and one line per example, the command and, below it, what it does.
pub fn examples(examples: &[Example]) -> String {
    let mut text = String::from("Examples:");
    for (command, what) in examples {
        text.push_str(&format!("\n  {command}\n      {what}"));
    }
    text
}
