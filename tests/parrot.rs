//! The parrot, byte for byte, over real loopback sockets.

mod common;

use std::io::Write;
use std::net::Shutdown;
use std::thread;

use common::{Server, echo, exchange, read_n, read_to_end};
use pretty_assertions::assert_eq;

/// ASCII comes back in upper case, one reply per message, on the same connection.
#[test]
fn ascii_comes_back_in_upper_case() {
    let server = Server::loopback(&[]);
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    assert_eq!(echo(&mut client, b"ca va ?\n"), b"CA VA ?\n");
}

/// Accents, `ß` (which becomes two letters) and emoji follow Unicode's rules.
#[test]
fn unicode_follows_unicode_rules() {
    let server = Server::loopback(&[]);
    let mut client = server.connect();
    let reply = "ÉTÉ À LA PLAGE, STRASSE 😀\n";
    assert_eq!(
        exchange(
            &mut client,
            "été à la plage, straße 😀\n".as_bytes(),
            reply.len()
        ),
        reply.as_bytes()
    );
}

/// Every kind of character, byte for byte: ASCII, accents, `ß` (one letter becomes two), and
/// emoji (four bytes, no upper case), each in its own message on one connection.
#[test]
fn every_kind_of_character_byte_for_byte() {
    let server = Server::loopback(&[]);
    let mut client = server.connect();
    for (sent, expected) in [
        ("hello, world\n", "HELLO, WORLD\n"),
        ("àâçéèêëîïôûùüÿœæ\n", "ÀÂÇÉÈÊËÎÏÔÛÙÜŸŒÆ\n"),
        ("ß\n", "SS\n"),
        ("😀 🎉 ok\n", "😀 🎉 OK\n"),
    ] {
        assert_eq!(
            exchange(&mut client, sent.as_bytes(), expected.len()),
            expected.as_bytes(),
            "the reply to {sent:?}"
        );
    }
}

/// A character cut in two by the network: the server receives `a` and the first byte of `é`
/// in one `recv()`, replies `A` alone (the half character waits), then receives the second
/// byte and replies `É`. The server's log shows the two receptions, so the test knows the
/// halves arrived in two `recv()`s without sleeping.
#[test]
fn a_character_split_across_two_recvs() {
    let server = Server::loopback(&[]);
    let mut client = server.connect();
    let e_acute = "é".as_bytes();
    client.write_all(&[b'a', e_acute[0]]).unwrap();
    server.stderr.wait_for("the first half received", |l| {
        l.contains("received 2 bytes")
    });
    assert_eq!(read_n(&mut client, 1), b"A", "only the whole character");
    client.write_all(&[e_acute[1], b'\n']).unwrap();
    assert_eq!(read_n(&mut client, 3), "É\n".as_bytes());
    server.stderr.wait_count("both halves received", 2, |l| {
        l.contains("received 2 bytes")
    });
}

/// Bytes that are not UTF-8 come back unchanged, the ASCII around them upper-cased; the
/// connection goes on, and the server serves the next client.
#[test]
fn invalid_utf8_passes_through_and_everything_survives() {
    let server = Server::loopback(&[]);
    let mut client = server.connect();
    let sent = b"ab\xffcd\xc3(\xed\xa0\x80z\n";
    assert_eq!(echo(&mut client, sent), b"AB\xffCD\xc3(\xed\xa0\x80Z\n");
    assert_eq!(echo(&mut client, b"still here\n"), b"STILL HERE\n");
    drop(client);
    let mut next = server.connect();
    assert_eq!(echo(&mut next, b"next\n"), b"NEXT\n");
}

/// 1 MiB written in one `write_all` comes back whole and in order, upper-cased. The test reads
/// while it writes (a writer thread), as any client of a stream must: the server replies as the
/// bytes arrive, and a client that only wrote would fill both sides' buffers and stall.
#[test]
fn one_mebibyte_in_one_go_comes_back_whole() {
    let server = Server::loopback(&[]);
    let client = server.connect();
    let pattern = "l'été, straße 😀 ñ ok\n";
    let mut text = pattern.repeat((1 << 20) / pattern.len());
    while text.len() < 1 << 20 {
        text.push('x');
    }
    let expected = text.to_uppercase();
    let mut writer_side = client.try_clone().unwrap();
    let to_send = text.into_bytes();
    let writer = thread::spawn(move || {
        writer_side.write_all(&to_send).expect("write 1 MiB");
        // Half-close: the server's recv() returns 0, it finishes and closes its side.
        writer_side.shutdown(Shutdown::Write).expect("shutdown");
    });
    let mut reader_side = client;
    let got = read_to_end(&mut reader_side);
    writer.join().unwrap();
    assert_eq!(got.len(), expected.len(), "the reply's length");
    assert!(
        got == expected.as_bytes(),
        "the reply differs from the upper-cased text"
    );
}

/// `--buf N` is what each `recv()` asks for, on every model: a message of 2000 bytes comes
/// back whole either way, and the narrated `recvfrom(4, ..., N, 0, ...)` says how many bytes
/// were asked: by default the course's 1024 for the blocking models and 65536 for the event
/// loops, and with `--buf 3000` the same 3000 for all.
#[test]
fn buf_is_what_each_recv_asks_for_on_every_model() {
    let message = [b'a'; 2000];
    for model in ["iterative", "fork", "threads", "select", "poll", "mio"] {
        let default = if ["select", "poll", "mio"].contains(&model) {
            "65536"
        } else {
            "1024"
        };
        for (buf, asked) in [(None, default), (Some("3000"), "3000")] {
            let mut args = vec!["--model", model, "--narrate"];
            if let Some(buf) = buf {
                args.extend(["--buf", buf]);
            }
            let server = Server::loopback(&args);
            let mut client = server.connect();
            assert_eq!(exchange(&mut client, &message, 2000), [b'A'; 2000]);
            let call = server.stderr.wait_for("the narrated recvfrom", |l| {
                l.contains("] recvfrom(") && !l.contains(") = 0 ")
            });
            assert!(
                call.contains(&format!(", {asked}, 0, NULL, NULL) = ")),
                "{model}, --buf {buf:?}: {call}"
            );
        }
    }
}
