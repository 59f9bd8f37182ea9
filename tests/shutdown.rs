//! Shutdown on SIGTERM and SIGINT, for every blocking model: the clients connected get their
//! replies, the server exits 0 within its grace period and prints its summary.

mod common;

use common::models;

#[test]
fn iterative_sigterm() {
    models::sigterm_gives_clients_their_replies("iterative", 1);
}

#[test]
fn fork_sigterm() {
    models::sigterm_gives_clients_their_replies("fork", 3);
}

#[test]
fn threads_sigterm() {
    models::sigterm_gives_clients_their_replies("threads", 3);
}

#[test]
fn iterative_sigint() {
    models::sigint_exits_when_clients_leave("iterative", 1);
}

#[test]
fn fork_sigint() {
    models::sigint_exits_when_clients_leave("fork", 3);
}

#[test]
fn threads_sigint() {
    models::sigint_exits_when_clients_leave("threads", 3);
}
