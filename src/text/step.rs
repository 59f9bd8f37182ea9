//! The `--step` prompt: the stop before each call. What to look at comes from the call's row in
//! the layer table (`layers::Row::look`), where all that is said of one call is written.

use nix::errno::Errno;
use nix::sys::signal::Signal;

use super::Lang;
use crate::layers;
use crate::narrate::{CONTINUATION, wrap_call, wrap_words};

/// The stop `--step` makes before a call: the call, its layer, what to look at now (the row of
/// `name` in the layer table), and the invitation to press Enter. `pid` is the process's, for
/// `/proc/PID/fd`. Each line keeps within `narrate::WIDTH` columns: a longer one goes on, indented,
/// on the next lines.
pub fn step_prompt(tag: &str, call: &str, layer: &str, name: &str, pid: u32) -> String {
    let lang = Lang::current();
    let look = layers::row(name)
        .look
        .get(lang)
        .replace("PID", &pid.to_string());
    let (next, layer_word, look_word, enter) = match lang {
        Lang::En => ("next:", "layer:", "look:", "press Enter to make the call"),
        Lang::Fr => (
            "ensuite :",
            "couche :",
            "à voir :",
            "appuyer sur Entrée pour faire l'appel",
        ),
    };
    let mut prompt = wrap_call(&format!("{tag}{next} "), CONTINUATION, call);
    prompt.push_str(&wrap_words(
        &format!("{tag}  {layer_word} "),
        CONTINUATION,
        layer,
    ));
    prompt.push_str(&wrap_words(
        &format!("{tag}  {look_word} "),
        CONTINUATION,
        &look,
    ));
    prompt.push_str(&wrap_words(&format!("{tag}  "), CONTINUATION, enter));
    prompt
}

/// Said on the terminal when another process's stop holds it (the fork model's parent and
/// child): this process's stop comes after that one's Enter.
pub fn step_waiting(tag: &str, holder: i32) -> String {
    let said = match Lang::current() {
        Lang::En => format!(
            "waiting for the terminal: process {holder} is at its stop, and the next Enter is its; one stop at a time"
        ),
        Lang::Fr => format!(
            "en attente du terminal : le processus {holder} est à son arrêt, et la prochaine Entrée est pour lui ; un arrêt à la fois"
        ),
    };
    wrap_words(tag, CONTINUATION, &said)
}

/// Said on the terminal when the lock that gives one process at a time the terminal cannot be
/// had (`fcntl(F_SETLKW)` failed with `errno`): this stop goes on without its turn.
pub fn step_no_turn(tag: &str, errno: Errno) -> String {
    let said = match Lang::current() {
        Lang::En => format!(
            "no lock on the terminal (fcntl F_SETLKW: {errno}): another process's stop may wait for the same Enter"
        ),
        Lang::Fr => format!(
            "pas de verrou sur le terminal (fcntl F_SETLKW : {errno}) : l'arrêt d'un autre processus peut attendre la même Entrée"
        ),
    };
    wrap_words(tag, CONTINUATION, &said)
}

/// Said on the terminal when Ctrl-C (or SIGTERM) ends a stop: no more stops, and whether the
/// call is made (`waits`: it would wait for a peer, so it is not made and returns EINTR).
pub fn step_interrupted(tag: &str, call: &str, signal: Signal, waits: bool) -> String {
    let said = match (Lang::current(), waits) {
        (Lang::En, true) => format!(
            "{signal}: no more stops; {call}() is not made: it fails with EINTR, as if {signal} had interrupted it, and the server shuts down"
        ),
        (Lang::En, false) => {
            format!("{signal}: no more stops; {call}() is made, and the server shuts down")
        }
        (Lang::Fr, true) => format!(
            "{signal} : plus d'arrêt ; {call}() n'est pas appelé : il échoue avec EINTR, comme si {signal} l'avait interrompu, et le serveur s'arrête"
        ),
        (Lang::Fr, false) => {
            format!("{signal} : plus d'arrêt ; {call}() est appelé, puis le serveur s'arrête")
        }
    };
    wrap_words(tag, CONTINUATION, &said)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prompt's lines, each with the lines that go on from it (indented) joined again.
    fn unwrapped(text: &str) -> String {
        text.replace(&format!("\n{CONTINUATION}"), " ")
    }

    /// The prompt's look line is the row's, with `PID` made the process's id; each line keeps
    /// within the width.
    #[test]
    fn the_look_line_is_the_rows() {
        let prompt = step_prompt("[t] ", "close(4)", "transport · OSI 4", "close", 4242);
        let look = layers::row("close").look.en.replace("PID", "4242");
        assert!(look.contains("/proc/4242/fd"), "{look}");
        for line in prompt.lines() {
            assert!(line.chars().count() <= crate::narrate::WIDTH, "{line:?}");
        }
        assert_eq!(
            unwrapped(&prompt),
            format!(
                "[t] next: close(4)\n[t]   layer: transport · OSI 4\n[t]   look: {look}\n[t]   press Enter to make the call\n"
            )
        );
    }
}
