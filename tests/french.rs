//! In French (`--lang fr`, or a French locale), the server speaks the course's own words.

mod common;

use std::process::Command;

use common::{BIN, Server, echo, run_to_end, sockstep};
use pretty_assertions::assert_eq;

/// Serves one client with `bonjour` and returns the server's log, with the client's address
/// and the connection's descriptor written `ADDR` and `FD`.
fn one_dialogue(mut server: Server) -> Vec<String> {
    let mut client = server.connect();
    assert_eq!(echo(&mut client, b"bonjour\n"), b"BONJOUR\n");
    let client_addr = client.local_addr().unwrap().to_string();
    drop(client);
    assert!(server.wait_exit().success());
    server.stderr.wait_closed();
    let log = server.stderr.all();
    let fd = log
        .iter()
        .find_map(|l| {
            let rest = l.strip_prefix("[iterative] fd ")?;
            Some(
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>(),
            )
        })
        .unwrap_or_else(|| panic!("no fd in the log:\n{}", log.join("\n")));
    log.iter()
        .map(|l| {
            l.replace(&client_addr, "ADDR")
                .replace(&format!("] fd {fd}"), "] fd FD")
        })
        .collect()
}

/// The course's words, in the course's order: « Connexion de », « Réception de », « Envoi
/// de », « Envoi ok. », « Fermeture de la connexion avec le client. », « On se débranche ».
const COURSE_LOG: [&str; 7] = [
    "[iterative] fd FD : Connexion de ADDR",
    "[iterative] fd FD : Réception de : \"bonjour\\n\"",
    "[iterative] fd FD : Envoi de : \"BONJOUR\\n\"",
    "[iterative] fd FD : Envoi ok.",
    "[iterative] fd FD : recv() a renvoyé 0 : le client a fermé la connexion.",
    "[iterative] fd FD : Fermeture de la connexion avec le client.",
    "[iterative] On se débranche",
];

/// `--lang fr`: the server's log is the course's.
#[test]
fn lang_fr_logs_the_course_words() {
    let server = Server::loopback(&["--lang", "fr", "--once"]);
    assert_eq!(one_dialogue(server), COURSE_LOG);
}

/// With no `--lang`, `LANG=fr_FR.UTF-8` gives French; `LC_ALL` comes first, as for any
/// program, and `--lang` overrides the environment.
#[test]
fn a_french_locale_gives_french_by_default() {
    let mut command = Command::new(BIN);
    command
        .args(["server", "--bind", "127.0.0.1", "--port", "0", "--once"])
        .env("LANG", "fr_FR.UTF-8");
    assert_eq!(
        one_dialogue(Server::start_with(&mut command, 1)),
        COURSE_LOG
    );

    let mut command = Command::new(BIN);
    command
        .args(["server", "--bind", "127.0.0.1", "--port", "0", "--once"])
        .env("LANG", "fr_FR.UTF-8")
        .env("LC_ALL", "C.UTF-8");
    let log = one_dialogue(Server::start_with(&mut command, 1));
    assert_eq!(log[0], "[iterative] fd FD: connection from ADDR");

    let mut command = Command::new(BIN);
    command
        .args([
            "server",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--once",
            "--lang",
            "fr",
        ])
        .env("LC_ALL", "en_US.UTF-8");
    assert_eq!(
        one_dialogue(Server::start_with(&mut command, 1)),
        COURSE_LOG
    );
}

/// In French, EADDRINUSE is explained in French (the call and the errno stay as strace and the
/// man pages name them).
#[test]
fn eaddrinuse_in_french() {
    let first = Server::loopback(&["--log", "quiet"]);
    let port = first.addr().port().to_string();
    let run = run_to_end(
        &mut sockstep(&[
            "server",
            "--lang",
            "fr",
            "--bind",
            "127.0.0.1",
            "--port",
            &port,
        ]),
        b"",
    );
    assert!(!run.status.success());
    assert_eq!(
        run.stderr,
        format!(
            "sockstep: erreur : bind(127.0.0.1:{port}): EADDRINUSE: Address already in use (une autre socket tient déjà ce port (`ss -ltnp` montre quel serveur) : choisir un autre port, ou --port 0 pour un port libre ; avec --no-reuseaddr, les connexions d'une exécution précédente en TIME_WAIT le tiennent aussi : attendre 60 s)"
        )
    );
}
