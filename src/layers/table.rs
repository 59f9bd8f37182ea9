//! The rows of the layer table: for each call, its layers, what the kernel does, what goes on
//! the wire, and what to look at meanwhile, in English and in French. A new call gets its row
//! here, and the narration, `--step`, `sockstep layers` and the book then speak of it.

use super::Row;
use crate::text::Text;

macro_rules! t {
    ($en:expr, $fr:expr) => {
        Text { en: $en, fr: $fr }
    };
}

// What several rows share, written once.

/// The wire for both accepts: the handshake is over before the call.
const WIRE_HANDSHAKE_DONE: Text = t!(
    "nothing: SYN, SYN-ACK, ACK were exchanged before, by the kernel",
    "rien : SYN, SYN-ACK, ACK ont déjà été échangés, par le noyau"
);
/// The wire for send() and write().
const WIRE_DATA: Text = t!(
    "data segments (PSH, ACK) →",
    "segments de données (PSH, ACK) →"
);
const LOOK_ACCEPT: Text = t!(
    "run `ss -tn`: a client that connected is already ESTABLISHED although nobody has called accept(); accept() only takes it off the queue",
    "lancer `ss -tn` : un client qui s'est connecté est déjà ESTABLISHED alors que personne n'a appelé accept() ; accept() ne fait que le retirer de la file"
);
const LOOK_RECEIVE: Text = t!(
    "`ss -tn`: bytes that arrived wait in Recv-Q; this call takes them, or blocks until some come",
    "`ss -tn` : les octets arrivés attendent dans Recv-Q ; cet appel les prend, ou bloque jusqu'à ce qu'il en vienne"
);
const LOOK_SEND: Text = t!(
    "the bytes go into the send buffer and leave at once (Send-Q in `ss -tn` stays 0 on loopback); the peer's Recv-Q grows until it reads",
    "les octets vont dans le tampon d'envoi et partent aussitôt (Send-Q de `ss -tn` reste à 0 en local) ; le Recv-Q du pair grandit jusqu'à sa lecture"
);
/// getsockname: on a listening socket (the server's), which `ss -tn` does not list.
const LOOK_LOCAL_NAME: Text = t!(
    "`ss -tln` shows the same address and port for a listening socket (`ss -tn` for a connected one); this call asks the kernel, nothing goes on the wire",
    "`ss -tln` montre la même adresse et le même port pour une socket d'écoute (`ss -tn` pour une socket connectée) ; cet appel interroge le noyau, rien ne passe sur le fil"
);
/// getpeername: only a connected socket has a peer.
const LOOK_NAME: Text = t!(
    "`ss -tn` shows the same addresses and ports; this call asks the kernel, nothing goes on the wire",
    "`ss -tn` montre les mêmes adresses et ports ; cet appel interroge le noyau, rien ne passe sur le fil"
);
const LOOK_WAIT: Text = t!(
    "this call sleeps until one of the descriptors is ready; `cat /proc/PID/wchan` shows where it waits in the kernel",
    "cet appel dort jusqu'à ce qu'un des descripteurs soit prêt ; `cat /proc/PID/wchan` montre où il attend dans le noyau"
);
/// The readiness calls (select, poll, epoll): they wait on descriptors of any kind (sockets,
/// pipes, terminals) and no packet follows them, so they belong to no network layer.
const NO_LAYER_ANY_FD: Text = t!("none (any descriptor)", "aucune (tout descripteur)");
/// For the calls with nothing more particular to watch.
const LOOK_PROCESS: Text = t!(
    "`ls -l /proc/PID/fd` and `ss -tanp` show the process's descriptors and connections",
    "`ls -l /proc/PID/fd` et `ss -tanp` montrent les descripteurs et les connexions du processus"
);

/// The table. Order: the course's server sequence, then the client's, then the calls later
/// server models add.
pub static TABLE: &[Row] = &[
    Row {
        call: "socket",
        syscall: "socket",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "creates a TCP endpoint (SOCK_STREAM: send and receive buffers, a state: CLOSED) or a UDP one (SOCK_DGRAM: a queue of datagrams, no state) and returns a file descriptor for it",
            "crée une extrémité TCP (SOCK_STREAM : tampons d'envoi et de réception, un état : CLOSED) ou UDP (SOCK_DGRAM : une file de datagrammes, pas d'état) et renvoie un descripteur de fichier"
        ),
        wire: t!("nothing", "rien"),
        look: t!(
            "`ls -l /proc/PID/fd`: no socket yet; after this call, one more descriptor, `socket:[inode]`",
            "`ls -l /proc/PID/fd` : pas encore de socket ; après cet appel, un descripteur de plus, `socket:[inode]`"
        ),
    },
    Row {
        call: "setsockopt",
        syscall: "setsockopt",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "sets an option of the socket (SO_REUSEADDR: bind even while old connections on the port are in TIME_WAIT)",
            "règle une option de la socket (SO_REUSEADDR : bind() réussit même si d'anciennes connexions sur ce port sont en TIME_WAIT)"
        ),
        wire: t!("nothing", "rien"),
        look: t!(
            "nothing on the wire and nothing in `ss -tan`: an option only changes how the kernel will treat the socket",
            "rien sur le fil ni dans `ss -tan` : une option change seulement la façon dont le noyau traitera la socket"
        ),
    },
    Row {
        call: "bind",
        syscall: "bind",
        internet: t!("transport + internet", "transport + internet"),
        osi: "4 + 3",
        kernel: t!(
            "reserves the port (transport) on one local IP address or on all of them (internet)",
            "associe à la socket un port (transport) et une adresse IP locale, ou toutes (internet)"
        ),
        wire: t!("nothing", "rien"),
        look: t!(
            "`ss -tln` shows no LISTEN line for the port yet, and a client connecting now gets RST (ECONNREFUSED): bound is not listening",
            "`ss -tln` ne montre pas encore de ligne LISTEN pour ce port, et un client qui se connecte maintenant reçoit un RST (ECONNREFUSED) : une socket liée par bind() n'est pas encore à l'écoute, il faut listen()"
        ),
    },
    Row {
        call: "listen",
        syscall: "listen",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "makes the socket passive (state LISTEN): from now on the kernel completes handshakes by itself, and keeps up to `backlog` + 1 of them (on Linux) waiting for accept()",
            "rend la socket passive (état LISTEN) : dès lors, le noyau mène seul les poignées de main à leur terme, et en garde jusqu'à `backlog` + 1 (sous Linux) en attente d'accept()"
        ),
        wire: t!(
            "nothing yet; an incoming SYN is now answered with SYN-ACK",
            "rien encore ; un SYN entrant reçoit désormais un SYN-ACK"
        ),
        look: t!(
            "`ss -tln`: after this call the port appears in state LISTEN, and clients can connect",
            "`ss -tln` : après cet appel le port apparaît en état LISTEN, et les clients peuvent se connecter"
        ),
    },
    Row {
        call: "accept",
        syscall: "accept",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "takes one connection whose three-way handshake is already done off the queue and gives it a new descriptor; blocks while the queue is empty",
            "retire de la file une connexion dont la poignée de main est déjà faite et lui donne un nouveau descripteur ; bloque tant que la file est vide"
        ),
        wire: WIRE_HANDSHAKE_DONE,
        look: LOOK_ACCEPT,
    },
    Row {
        call: "connect",
        syscall: "connect",
        internet: t!("transport + internet", "transport + internet"),
        osi: "4 + 3",
        kernel: t!(
            "picks a free local (ephemeral) port, routes to the server's IP address, and performs the three-way handshake (UDP: no handshake, the kernel only remembers the peer's address)",
            "choisit un port local libre (éphémère), choisit la choisit la route vers l'adresse IP du serveur et fait la poignée de main en trois temps (UDP : pas de poignée de main, le noyau retient seulement l'adresse du pair)"
        ),
        wire: t!(
            "SYN →, ← SYN-ACK, ACK → (UDP: nothing)",
            "SYN →, ← SYN-ACK, ACK → (UDP : rien)"
        ),
        look: t!(
            "`sudo tcpdump -ni lo tcp` in another terminal: this call sends SYN, gets SYN-ACK and answers ACK; `ss -tn` then shows the connection ESTABLISHED",
            "`sudo tcpdump -ni lo tcp` dans un autre terminal : cet appel envoie un SYN, reçoit le SYN-ACK et répond par un ACK ; `ss -tn` montre ensuite la connexion ESTABLISHED"
        ),
    },
    Row {
        call: "recv",
        syscall: "recvfrom",
        internet: t!("application ↔ transport", "application ↔ transport"),
        osi: "7 ↔ 4",
        kernel: t!(
            "copies bytes the kernel has already received and acknowledged from the socket's receive buffer; blocks while it is empty; 0 means the peer closed",
            "copie des octets déjà reçus et acquittés par le noyau depuis le tampon de réception ; bloque tant qu'il est vide ; 0 veut dire que le pair a fermé"
        ),
        wire: t!(
            "nothing by itself (the kernel sends ACKs and window updates on its own)",
            "rien par lui-même (le noyau envoie seul les ACK et les mises à jour de fenêtre)"
        ),
        look: LOOK_RECEIVE,
    },
    Row {
        call: "read",
        syscall: "read",
        internet: t!("application ↔ transport", "application ↔ transport"),
        osi: "7 ↔ 4",
        kernel: t!(
            "the same as recv() with no flags: read() works on any file descriptor",
            "comme recv() sans option : read() fonctionne avec tout descripteur de fichier"
        ),
        wire: t!("nothing by itself", "rien par lui-même"),
        look: LOOK_RECEIVE,
    },
    Row {
        call: "send",
        syscall: "sendto",
        internet: t!("application ↔ transport", "application ↔ transport"),
        osi: "7 ↔ 4",
        kernel: t!(
            "copies bytes into the socket's send buffer and returns how many it took (maybe fewer than asked); TCP cuts them into segments, IP routes them",
            "copie des octets dans le tampon d'envoi et renvoie le nombre d'octets pris (parfois moins que demandé) ; TCP les découpe en segments, IP les route"
        ),
        wire: WIRE_DATA,
        look: LOOK_SEND,
    },
    Row {
        call: "write",
        syscall: "write",
        internet: t!("application ↔ transport", "application ↔ transport"),
        osi: "7 ↔ 4",
        kernel: t!(
            "the same as send() with no flags: write() works on any file descriptor",
            "comme send() sans option : write() fonctionne avec tout descripteur de fichier"
        ),
        wire: WIRE_DATA,
        look: LOOK_SEND,
    },
    Row {
        call: "recvfrom",
        syscall: "recvfrom",
        internet: t!(
            "application ↔ transport (UDP)",
            "application ↔ transport (UDP)"
        ),
        osi: "7 ↔ 4",
        kernel: t!(
            "takes one whole datagram off the socket's receive queue, with the address it came from; a datagram longer than the buffer is cut (MSG_TRUNC says its real length); blocks while the queue is empty",
            "prend un datagramme entier dans la file de réception, avec l'adresse d'où il vient ; un datagramme plus long que le tampon est coupé (MSG_TRUNC donne sa vraie longueur) ; bloque tant que la file est vide"
        ),
        wire: t!(
            "nothing: UDP sends no acknowledgement",
            "rien : UDP n'envoie pas d'acquittement"
        ),
        look: t!(
            "`ss -uan`: datagrams that arrived wait in Recv-Q; a full queue drops the next ones silently (`nstat -az UdpRcvbufErrors`)",
            "`ss -uan` : les datagrammes arrivés attendent dans Recv-Q ; une file pleine jette les suivants sans rien dire (`nstat -az UdpRcvbufErrors`)"
        ),
    },
    Row {
        call: "sendto",
        syscall: "sendto",
        internet: t!(
            "application ↔ transport (UDP)",
            "application ↔ transport (UDP)"
        ),
        osi: "7 ↔ 4",
        kernel: t!(
            "puts the bytes, whole, in one UDP datagram (8-byte header: ports, length, checksum) for the given address; IP routes it; nothing confirms it arrived",
            "met les octets, entiers, dans un datagramme UDP (en-tête de 8 octets : ports, longueur, somme de contrôle) pour l'adresse donnée ; IP le route ; rien ne confirme qu'il est arrivé"
        ),
        wire: t!("one UDP datagram →", "un datagramme UDP →"),
        look: t!(
            "`tcpdump -i lo -n udp`: one line per datagram, its length as sent; a closed port answers ICMP port unreachable",
            "`tcpdump -i lo -n udp` : une ligne par datagramme, de la longueur envoyée ; un port fermé répond par un ICMP port unreachable"
        ),
    },
    Row {
        call: "shutdown",
        syscall: "shutdown",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "SHUT_WR: no more sending; a FIN follows the data already queued, and the socket can still receive (SHUT_RDWR: no more receiving either, and a blocked recv() returns 0)",
            "SHUT_WR : plus d'envoi ; un FIN suit les données en attente, et la socket peut encore recevoir (SHUT_RDWR : plus de réception non plus, un recv() bloqué renvoie 0)"
        ),
        wire: t!("FIN →", "FIN →"),
        look: t!(
            "this sends FIN: `ss -tn` then shows this end in FIN-WAIT-2 and the other in CLOSE-WAIT, and the peer's recv() returns 0",
            "cet appel envoie un FIN : `ss -tn` montre ensuite cette extrémité en FIN-WAIT-2 et l'autre en CLOSE-WAIT, et le recv() du pair renvoie 0"
        ),
    },
    Row {
        call: "close",
        syscall: "close",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "releases the descriptor; when it was the last one, TCP ends the connection (FIN, or RST if received data was left unread)",
            "libère le descripteur ; si c'était le dernier, TCP termine la connexion (FIN, ou RST s'il restait des données non lues)"
        ),
        wire: t!("FIN → (or RST →)", "FIN → (ou RST →)"),
        look: t!(
            "after this call the descriptor is gone from `ls -l /proc/PID/fd`, but `ss -tan` may still show the connection (TIME-WAIT, LAST-ACK...): the kernel keeps it",
            "après cet appel le descripteur a disparu de `ls -l /proc/PID/fd`, mais `ss -tan` peut encore montrer la connexion (TIME-WAIT, LAST-ACK...) : le noyau la garde"
        ),
    },
    Row {
        call: "getsockname",
        syscall: "getsockname",
        internet: t!("transport + internet", "transport + internet"),
        osi: "4 + 3",
        kernel: t!(
            "tells the local IP address and port of the socket (the port the kernel chose for port 0)",
            "donne l'adresse IP et le port locaux de la socket (le port choisi par le noyau pour le port 0)"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_LOCAL_NAME,
    },
    Row {
        call: "getsockopt",
        syscall: "getsockopt",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "reads an option or a statistic of the socket; TCP_INFO: the connection's state in the TCP state machine, its timers, round-trip time and windows (what `ss -ti` shows)",
            "lit une option ou une statistique de la socket ; TCP_INFO : l'état de la connexion dans l'automate TCP, ses minuteries, son temps d'aller-retour et ses fenêtres (ce que montre `ss -ti`)"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "getpeername",
        syscall: "getpeername",
        internet: t!("transport + internet", "transport + internet"),
        osi: "4 + 3",
        kernel: t!(
            "tells the IP address and port of the other end of the connection",
            "donne l'adresse IP et le port de l'autre extrémité de la connexion"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_NAME,
    },
    // The calls below are not networking. The concurrent models and the shutdown on a signal
    // need them; they act on processes, threads, signals or memory, and no packet follows.
    Row {
        call: "fork",
        syscall: "clone",
        internet: t!(
            "none (process management)",
            "aucune (gestion des processus)"
        ),
        osi: "—",
        kernel: t!(
            "copies the process: memory (copy-on-write) and file descriptors, so each socket now has two owners; returns the child's pid in the parent and 0 in the child",
            "copie le processus : la mémoire (copie à l'écriture) et les descripteurs, chaque socket a donc deux propriétaires ; renvoie le pid du fils dans le père et 0 dans le fils"
        ),
        wire: t!("nothing", "rien"),
        look: t!(
            "`ps -o pid,ppid,cmd --ppid PID`: after this call, one more process, sharing the same sockets",
            "`ps -o pid,ppid,cmd --ppid PID` : après cet appel, un processus de plus, qui partage les mêmes sockets"
        ),
    },
    Row {
        call: "getpid",
        syscall: "getpid",
        internet: t!(
            "none (process management)",
            "aucune (gestion des processus)"
        ),
        osi: "—",
        kernel: t!(
            "tells the process its id, the number `strace -f` shows as [pid N]",
            "donne le numéro du processus, celui que `strace -f` affiche en [pid N]"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "gettid",
        syscall: "gettid",
        internet: t!(
            "none (process management)",
            "aucune (gestion des processus)"
        ),
        osi: "—",
        kernel: t!(
            "tells the thread its id, the number `strace -f` shows as [pid N]",
            "donne le numéro du thread, celui que `strace -f` affiche en [pid N]"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "waitpid",
        syscall: "wait4",
        internet: t!(
            "none (process management)",
            "aucune (gestion des processus)"
        ),
        osi: "—",
        kernel: t!(
            "collects a child that has exited (a zombie until then) and its exit status; with WNOHANG, returns at once when none has",
            "recueille un fils terminé (un zombie jusque-là) et son code de sortie ; avec WNOHANG, rend la main tout de suite s'il n'y en a pas"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "kill",
        syscall: "kill",
        internet: t!("none (signals)", "aucune (signaux)"),
        osi: "—",
        kernel: t!(
            "sends a signal to a process: its handler runs, and a call it was blocked in may return EINTR",
            "envoie un signal à un processus : son gestionnaire s'exécute, et un appel bloqué qu'il interrompt peut renvoyer EINTR"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "sigaction",
        syscall: "rt_sigaction",
        internet: t!("none (signals)", "aucune (signaux)"),
        osi: "—",
        kernel: t!(
            "installs a handler for a signal; without SA_RESTART, a blocked call the signal interrupts returns EINTR",
            "installe un gestionnaire pour un signal ; sans SA_RESTART, un appel bloqué que le signal interrompt renvoie EINTR"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "setitimer",
        syscall: "setitimer",
        internet: t!(
            "none (a timer: not a network call)",
            "aucune (une minuterie : pas un appel réseau)"
        ),
        osi: "—",
        kernel: t!(
            "arms the process's real-time interval timer: SIGALRM every interval, to the process (a fork child does not inherit it)",
            "arme la minuterie d'intervalle du processus : SIGALRM à chaque intervalle, au processus (un fils créé par fork() n'en hérite pas)"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "pthread_sigmask",
        syscall: "rt_sigprocmask",
        internet: t!("none (signals)", "aucune (signaux)"),
        osi: "—",
        kernel: t!(
            "blocks or unblocks signals for the calling thread: a blocked signal waits, pending, and a signal for the process goes to a thread that does not block it",
            "bloque ou débloque des signaux pour le thread appelant : un signal bloqué attend, en suspens, et un signal pour le processus va à un thread qui ne le bloque pas"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "sigtimedwait",
        syscall: "rt_sigtimedwait",
        internet: t!("none (signals)", "aucune (signaux)"),
        osi: "—",
        kernel: t!(
            "takes a pending blocked signal, or waits for one until the timeout (EAGAIN)",
            "prend un signal bloqué en suspens, ou en attend un jusqu'au délai (EAGAIN)"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "mmap",
        syscall: "mmap",
        internet: t!("none (memory)", "aucune (mémoire)"),
        osi: "—",
        kernel: t!(
            "maps zero-filled memory; MAP_SHARED keeps it the same pages in the children forked afterwards, where other memory is copied",
            "projette de la mémoire remplie de zéros ; MAP_SHARED la garde commune aux fils créés ensuite, alors que le reste est copié"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "_exit",
        syscall: "exit_group",
        internet: t!(
            "none (process management)",
            "aucune (gestion des processus)"
        ),
        osi: "—",
        kernel: t!(
            "ends the process: closes its descriptors (FIN on a socket it held last), keeps its exit status for the parent, and sends the parent SIGCHLD",
            "termine le processus : ferme ses descripteurs (FIN sur une socket qu'il tenait en dernier), garde son code de sortie pour le père et envoie SIGCHLD au père"
        ),
        wire: t!(
            "FIN → on each connection it was the last to hold",
            "FIN → sur chaque connexion qu'il était le dernier à tenir"
        ),
        look: LOOK_PROCESS,
    },
    Row {
        call: "accept4",
        syscall: "accept4",
        internet: t!("transport", "transport"),
        osi: "4",
        kernel: t!(
            "as accept(), and sets flags on the new descriptor in the same call (SOCK_NONBLOCK: the connected socket never blocks); on a non-blocking listening socket an empty queue gives EAGAIN",
            "comme accept(), et règle des options du nouveau descripteur dans le même appel (SOCK_NONBLOCK : la socket connectée ne bloque jamais) ; sur une socket d'écoute non bloquante, une file vide donne EAGAIN"
        ),
        wire: WIRE_HANDSHAKE_DONE,
        look: LOOK_ACCEPT,
    },
    Row {
        call: "select",
        syscall: "pselect6",
        internet: NO_LAYER_ANY_FD,
        osi: "—",
        kernel: t!(
            "checks every descriptor of the bit sets (data or a connection waiting? room to send?), sleeps until one is ready, rewrites the sets to say which; descriptors stop at FD_SETSIZE (1024)",
            "examine chaque descripteur des ensembles de bits (des données ou une connexion en attente ? de la place pour envoyer ?), dort jusqu'à ce que l'un soit prêt, réécrit les ensembles pour dire lesquels ; les descripteurs s'arrêtent à FD_SETSIZE (1024)"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_WAIT,
    },
    Row {
        call: "poll",
        syscall: "poll",
        internet: NO_LAYER_ANY_FD,
        osi: "—",
        kernel: t!(
            "the same question as select() with an array of {fd, events}: any descriptor number, answers in revents (POLLHUP, POLLERR even unasked); the whole array is copied and scanned at each call",
            "la même question que select() avec un tableau de {fd, events} : tout numéro de descripteur, réponse dans revents (POLLHUP, POLLERR même sans les demander) ; tout le tableau est copié et parcouru à chaque appel"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_WAIT,
    },
    Row {
        call: "epoll_create1",
        syscall: "epoll_create1",
        internet: NO_LAYER_ANY_FD,
        osi: "—",
        kernel: t!(
            "creates an epoll instance (an interest list and a ready list) and returns a descriptor for it",
            "crée une instance epoll (une liste d'intérêt et une liste des prêts) et renvoie un descripteur qui la désigne"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "epoll_ctl",
        syscall: "epoll_ctl",
        internet: NO_LAYER_ANY_FD,
        osi: "—",
        kernel: t!(
            "adds a socket to the interest list, once: from then on the kernel itself puts it on the ready list when bytes arrive or send room frees up",
            "ajoute une socket à la liste d'intérêt, une fois : dès lors le noyau la met lui-même sur la liste des prêts quand des octets arrivent ou que de la place se libère pour envoyer"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "epoll_wait",
        syscall: "epoll_wait",
        internet: NO_LAYER_ANY_FD,
        osi: "—",
        kernel: t!(
            "sleeps until the ready list is not empty and copies out its events; nothing is scanned, so the cost follows the ready sockets, not the connections",
            "dort jusqu'à ce que la liste des prêts ne soit pas vide et en copie les événements ; rien n'est parcouru, le coût suit les sockets prêtes, pas les connexions"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_WAIT,
    },
    Row {
        call: "getrlimit",
        syscall: "prlimit64",
        internet: t!("none (the process)", "aucune (le processus)"),
        osi: "—",
        kernel: t!(
            "tells a limit of the process: RLIMIT_NOFILE, how many descriptors (so sockets) it may have open, soft and hard",
            "donne une limite du processus : RLIMIT_NOFILE, combien de descripteurs (donc de sockets) il peut avoir ouverts, souple et stricte"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "setrlimit",
        syscall: "prlimit64",
        internet: t!("none (the process)", "aucune (le processus)"),
        osi: "—",
        kernel: t!(
            "sets a limit of the process: raises the soft RLIMIT_NOFILE up to the hard one, so that more clients can be connected at once",
            "règle une limite du processus : monte la limite souple RLIMIT_NOFILE jusqu'à la stricte, pour que plus de clients puissent être connectés à la fois"
        ),
        wire: t!("nothing", "rien"),
        look: LOOK_PROCESS,
    },
    Row {
        call: "pthread_create",
        // A library call: strace shows the calls glibc makes for it, never a line of its own.
        syscall: "",
        internet: t!(
            "none (process management)",
            "aucune (gestion des processus)"
        ),
        osi: "—",
        kernel: t!(
            "nothing by this name: glibc maps the new thread's stack (mmap, mprotect; or reuses one), blocks every signal (rt_sigprocmask), asks the kernel for a thread (clone3 with CLONE_VM|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD: the same memory, descriptors and handlers), then puts the mask back; strace shows those calls",
            "rien sous ce nom : la glibc alloue la pile du nouveau thread (mmap, mprotect ; ou en réemploie une), bloque tous les signaux (rt_sigprocmask), demande un thread au noyau (clone3 avec CLONE_VM|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD : même mémoire, mêmes descripteurs et gestionnaires), puis rétablit le masque ; strace montre ces appels"
        ),
        wire: t!("nothing", "rien"),
        look: t!(
            "`ps -L -p PID` or `ls /proc/PID/task`: one more thread, whose id is the one clone3 returned",
            "`ps -L -p PID` ou `ls /proc/PID/task` : un thread de plus, dont le numéro est celui que clone3 a renvoyé"
        ),
    },
    Row {
        call: "getaddrinfo",
        // A library call: strace shows the calls it makes, never a line of its own.
        syscall: "",
        internet: t!("application", "application"),
        osi: "7",
        kernel: t!(
            "nothing by this name: glibc's resolver, inside the process, tries the nscd cache's Unix socket, reads /etc/nsswitch.conf and /etc/hosts (openat, read, close) and, for a name not found there, asks a DNS server (a UDP socket to port 53); strace shows those calls",
            "rien sous ce nom : le résolveur de la glibc, dans le processus, essaie la socket Unix du cache nscd, lit /etc/nsswitch.conf et /etc/hosts (openat, read, close) et, pour un nom qui n'y est pas, interroge un serveur DNS (une socket UDP vers le port 53) ; strace montre ces appels"
        ),
        wire: t!(
            "nothing for a name in /etc/hosts; otherwise a DNS query → and its answer ← (UDP, port 53)",
            "rien pour un nom de /etc/hosts ; sinon une requête DNS → et sa réponse ← (UDP, port 53)"
        ),
        look: t!(
            "`strace -e trace=openat,socket,connect` shows the files and sockets the resolver opens; `getent ahosts NAME` asks the same question",
            "`strace -e trace=openat,socket,connect` montre les fichiers et les sockets qu'ouvre le résolveur ; `getent ahosts NOM` pose la même question"
        ),
    },
];
