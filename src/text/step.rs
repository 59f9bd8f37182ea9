//! The `--step` prompts: the stop before each call, and what to look at meanwhile.

use super::{Lang, Text};

/// The stop `--step` makes before a call: the call, its layer, what to look at now, and the
/// invitation to press Enter. `pid` is the process's, for `/proc/PID/fd`.
pub fn step_prompt(tag: &str, call: &str, layer: &str, name: &str, pid: u32) -> String {
    let lang = Lang::current();
    let look = step_look(name, lang).replace("PID", &pid.to_string());
    let (next, layer_word, look_word, enter) = match lang {
        Lang::En => ("next", "layer", "look", "press Enter to make the call"),
        Lang::Fr => ("ensuite", "couche", "à voir", "Entrée pour faire l'appel"),
    };
    format!(
        "{tag}{next}: {call}\n{tag}  {layer_word}: {layer}\n{tag}  {look_word}: {look}\n{tag}  {enter}\n"
    )
}

/// What to look at, in another terminal, just before each call.
fn step_look(call: &str, lang: Lang) -> &'static str {
    let text = match call {
        "socket" => Text {
            en: "`ls -l /proc/PID/fd`: no socket yet; after this call, one more descriptor, `socket:[inode]`",
            fr: "`ls -l /proc/PID/fd` : pas encore de socket ; après cet appel, un descripteur de plus, `socket:[inode]`",
        },
        "setsockopt" => Text {
            en: "nothing on the wire and nothing in `ss -tan`: an option only changes how the kernel will treat the socket",
            fr: "rien sur le fil ni dans `ss -tan` : une option change seulement la façon dont le noyau traitera la socket",
        },
        "bind" => Text {
            en: "`ss -tln` shows no LISTEN line for the port yet, and a client connecting now gets RST (ECONNREFUSED): bound is not listening",
            fr: "`ss -tln` ne montre pas encore de ligne LISTEN pour ce port, et un client qui se connecte maintenant reçoit RST (ECONNREFUSED) : lié n'est pas à l'écoute",
        },
        "listen" => Text {
            en: "`ss -tln`: after this call the port appears in state LISTEN, and clients can connect",
            fr: "`ss -tln` : après cet appel le port apparaît en état LISTEN, et les clients peuvent se connecter",
        },
        "accept" | "accept4" => Text {
            en: "run `ss -tn`: a client that connected is already ESTABLISHED although nobody has called accept(); accept() only takes it off the queue",
            fr: "lancer `ss -tn` : un client qui s'est connecté est déjà ESTABLISHED alors que personne n'a appelé accept() ; accept() ne fait que le retirer de la file",
        },
        "connect" => Text {
            en: "`sudo tcpdump -ni lo tcp` in another terminal: this call sends SYN, gets SYN-ACK and answers ACK; `ss -tn` then shows the connection ESTABLISHED",
            fr: "`sudo tcpdump -ni lo tcp` dans un autre terminal : cet appel envoie SYN, reçoit SYN-ACK et répond ACK ; `ss -tn` montre ensuite la connexion ESTABLISHED",
        },
        "recv" | "read" => Text {
            en: "`ss -tn`: bytes that arrived wait in Recv-Q; this call takes them, or blocks until some come",
            fr: "`ss -tn` : les octets arrivés attendent dans Recv-Q ; cet appel les prend, ou bloque jusqu'à ce qu'il en vienne",
        },
        "send" | "write" => Text {
            en: "the bytes go into the send buffer and leave at once (Send-Q in `ss -tn` stays 0 on loopback); the peer's Recv-Q grows until it reads",
            fr: "les octets vont dans le tampon d'envoi et partent aussitôt (Send-Q de `ss -tn` reste à 0 en local) ; le Recv-Q du pair grandit jusqu'à sa lecture",
        },
        "shutdown" => Text {
            en: "this sends FIN: `ss -tn` then shows this end in FIN-WAIT-2 and the other in CLOSE-WAIT, and the peer's recv() returns 0",
            fr: "cet appel envoie FIN : `ss -tn` montre ensuite ce bout en FIN-WAIT-2 et l'autre en CLOSE-WAIT, et le recv() du pair rend 0",
        },
        "close" => Text {
            en: "after this call the descriptor is gone from `ls -l /proc/PID/fd`, but `ss -tan` may still show the connection (TIME-WAIT, LAST-ACK...): the kernel keeps it",
            fr: "après cet appel le descripteur a disparu de `ls -l /proc/PID/fd`, mais `ss -tan` peut encore montrer la connexion (TIME-WAIT, LAST-ACK...) : le noyau la garde",
        },
        "getsockname" | "getpeername" => Text {
            en: "`ss -tn` shows the same addresses and ports; this call asks the kernel, nothing goes on the wire",
            fr: "`ss -tn` montre les mêmes adresses et ports ; cet appel interroge le noyau, rien ne passe sur le fil",
        },
        "select" | "poll" | "epoll_wait" => Text {
            en: "this call sleeps until one of the descriptors is ready; `cat /proc/PID/wchan` shows where it waits in the kernel",
            fr: "cet appel dort jusqu'à ce qu'un des descripteurs soit prêt ; `cat /proc/PID/wchan` montre où il attend dans le noyau",
        },
        "fork" => Text {
            en: "`ps -o pid,ppid,cmd --ppid PID`: after this call, one more process, sharing the same sockets",
            fr: "`ps -o pid,ppid,cmd --ppid PID` : après cet appel, un processus de plus, qui partage les mêmes sockets",
        },
        _ => Text {
            en: "`ls -l /proc/PID/fd` and `ss -tanp` show the process's descriptors and connections",
            fr: "`ls -l /proc/PID/fd` et `ss -tanp` montrent les descripteurs et les connexions du processus",
        },
    };
    text.get(lang)
}
