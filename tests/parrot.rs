//! The parrot, byte for byte, over real loopback sockets.

mod common;

use common::{Server, echo, exchange};
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
