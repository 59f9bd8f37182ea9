//! The katas' solutions, compiled into sockstep so that `sockstep kata verify` can run them
//! (as `sockstep kata solved NAME`) without building them apart. Each is its exercise's file
//! with the fix, under `exercises/solutions/`; the student reads it with `sockstep kata
//! solution NAME` once the kata is done. Beside them, under `exercises/wrong/`, fixes that look
//! right and are not, which verify runs too.

use std::process::ExitCode;

#[path = "../../exercises/solutions/18_edge_triggered.rs"]
mod edge_triggered;
#[path = "../../exercises/solutions/10_epipe.rs"]
mod epipe;
#[path = "../../exercises/solutions/12_fork_close.rs"]
mod fork_close;
#[path = "../../exercises/solutions/07_framing.rs"]
mod framing;
#[path = "../../exercises/solutions/04_half_close.rs"]
mod half_close;
#[path = "../../exercises/solutions/14_interrupted.rs"]
mod interrupted;
#[path = "../../exercises/solutions/16_max_io.rs"]
mod max_io;
#[path = "../../exercises/solutions/03_one_recv.rs"]
mod one_recv;
#[path = "../../exercises/solutions/01_port_zero.rs"]
mod port_zero;
#[path = "../../exercises/solutions/05_recv_timeout.rs"]
mod recv_timeout;
#[path = "../../exercises/solutions/06_recv_zero.rs"]
mod recv_zero;
#[path = "../../exercises/solutions/02_reuseaddr.rs"]
mod reuseaddr;
#[path = "../../exercises/solutions/17_select_sets.rs"]
mod select_sets;
#[path = "../../exercises/solutions/08_short_send.rs"]
mod short_send;
#[path = "../../exercises/solutions/11_silent_client.rs"]
mod silent_client;
#[path = "../../exercises/solutions/15_udp_reply.rs"]
mod udp_reply;
#[path = "../../exercises/solutions/09_utf8_cut.rs"]
mod utf8_cut;
#[path = "../../exercises/solutions/13_zombies.rs"]
mod zombies;

// Wrong fixes, each kept because a student may well try it: verify checks that its kata's
// scenario rejects it.
#[path = "../../exercises/wrong/18_edge_triggered_bigger_buffer.rs"]
mod edge_triggered_bigger_buffer;
#[path = "../../exercises/wrong/10_epipe_ignore.rs"]
mod epipe_ignore;
#[path = "../../exercises/wrong/07_framing_split.rs"]
mod framing_split;
#[path = "../../exercises/wrong/14_interrupted_any_error.rs"]
mod interrupted_any_error;
#[path = "../../exercises/wrong/14_interrupted_sleep.rs"]
mod interrupted_sleep;
#[path = "../../exercises/wrong/16_max_io_whole_again.rs"]
mod max_io_whole_again;
#[path = "../../exercises/wrong/03_one_recv_bigger_buffer.rs"]
mod one_recv_bigger_buffer;
#[path = "../../exercises/wrong/06_recv_zero_return.rs"]
mod recv_zero_return;
#[path = "../../exercises/wrong/08_short_send_no_timeout.rs"]
mod short_send_no_timeout;
#[path = "../../exercises/wrong/11_silent_client_timeout.rs"]
mod silent_client_timeout;
#[path = "../../exercises/wrong/15_udp_reply_same_ip.rs"]
mod udp_reply_same_ip;

/// A kata program's `main`.
pub type Main = fn() -> ExitCode;

/// The wrong fixes, by name: the kata's name, then how the fix goes wrong.
pub const WRONG: &[(&str, Main)] = &[
    ("one_recv_bigger_buffer", one_recv_bigger_buffer::main),
    ("recv_zero_return", recv_zero_return::main),
    ("framing_split", framing_split::main),
    ("short_send_no_timeout", short_send_no_timeout::main),
    ("epipe_ignore", epipe_ignore::main),
    ("silent_client_timeout", silent_client_timeout::main),
    ("interrupted_any_error", interrupted_any_error::main),
    ("interrupted_sleep", interrupted_sleep::main),
    ("udp_reply_same_ip", udp_reply_same_ip::main),
    ("max_io_whole_again", max_io_whole_again::main),
    (
        "edge_triggered_bigger_buffer",
        edge_triggered_bigger_buffer::main,
    ),
];

/// The `main` of the solution of kata `name`, or of the wrong fix `name`.
pub fn main_of(name: &str) -> Option<fn() -> ExitCode> {
    let main: fn() -> ExitCode = match name {
        "port_zero" => port_zero::main,
        "reuseaddr" => reuseaddr::main,
        "one_recv" => one_recv::main,
        "half_close" => half_close::main,
        "recv_timeout" => recv_timeout::main,
        "recv_zero" => recv_zero::main,
        "framing" => framing::main,
        "short_send" => short_send::main,
        "utf8_cut" => utf8_cut::main,
        "epipe" => epipe::main,
        "silent_client" => silent_client::main,
        "fork_close" => fork_close::main,
        "zombies" => zombies::main,
        "interrupted" => interrupted::main,
        "udp_reply" => udp_reply::main,
        "max_io" => max_io::main,
        "select_sets" => select_sets::main,
        "edge_triggered" => edge_triggered::main,
        _ => {
            return WRONG
                .iter()
                .find(|(wrong, _)| *wrong == name)
                .map(|(_, main)| *main);
        }
    };
    Some(main)
}
