//! The threads model over real loopback sockets: the scenarios of `common::models`.

mod common;

use common::models;

const MODEL: &str = "threads";

#[test]
fn hundred_clients_at_once() {
    models::hundred_clients_at_once(MODEL);
}

#[test]
fn no_leftovers_after_200_clients() {
    models::no_leftovers_after_200_clients(MODEL);
}

#[test]
fn cap_holds() {
    models::cap_holds(MODEL);
}

#[test]
fn reset_disturbs_nobody() {
    models::reset_disturbs_nobody(MODEL);
}

#[test]
fn book_transcript_is_real() {
    models::book_transcript_is_real(MODEL);
}

#[test]
fn refuses_a_second_listener() {
    models::refuses_a_second_listener(MODEL);
}

#[test]
fn serves_the_listen_service() {
    models::serves_the_listen_service(MODEL);
}
