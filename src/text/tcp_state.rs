//! A TCP connection's state, as the kernel numbers it and `ss` names it, and what it means.

use super::{Lang, Text};

/// A TCP connection's state, as the kernel numbers it in `tcpi_state`
/// (`include/net/tcp_states.h`) and as `ss` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    /// A number this table does not know (a newer kernel).
    Other(u8),
}

impl TcpState {
    /// The state of `tcpi_state`'s number.
    pub fn from_kernel(number: u8) -> TcpState {
        use TcpState::*;
        match number {
            1 => Established,
            2 => SynSent,
            3 => SynRecv,
            4 => FinWait1,
            5 => FinWait2,
            6 => TimeWait,
            7 => Close,
            8 => CloseWait,
            9 => LastAck,
            10 => Listen,
            11 => Closing,
            n => Other(n),
        }
    }

    /// The name `ss -tan` prints.
    pub fn name(self) -> String {
        use TcpState::*;
        match self {
            Established => "ESTABLISHED".into(),
            SynSent => "SYN-SENT".into(),
            SynRecv => "SYN-RECV".into(),
            FinWait1 => "FIN-WAIT-1".into(),
            FinWait2 => "FIN-WAIT-2".into(),
            TimeWait => "TIME-WAIT".into(),
            Close => "CLOSED".into(),
            CloseWait => "CLOSE-WAIT".into(),
            LastAck => "LAST-ACK".into(),
            Listen => "LISTEN".into(),
            Closing => "CLOSING".into(),
            Other(n) => format!("state {n}"),
        }
    }

    /// What the state means, in a few words.
    pub(super) fn meaning(self, lang: Lang) -> &'static str {
        use TcpState::*;
        let text = match self {
            Established => Text {
                en: "the connection is open both ways",
                fr: "la connexion est ouverte dans les deux sens",
            },
            SynSent => Text {
                en: "SYN sent, waiting for the SYN-ACK",
                fr: "SYN envoyé, on attend le SYN-ACK",
            },
            SynRecv => Text {
                en: "SYN received and answered, waiting for the last ACK",
                fr: "SYN reçu, SYN-ACK envoyé ; on attend le dernier ACK",
            },
            FinWait1 => Text {
                en: "our FIN is sent, not yet acknowledged",
                fr: "notre FIN est parti, pas encore acquitté",
            },
            FinWait2 => Text {
                en: "our FIN is acknowledged; the peer may still send until its own FIN",
                fr: "notre FIN est acquitté ; le pair peut encore envoyer jusqu'à son propre FIN",
            },
            TimeWait => Text {
                en: "both FINs exchanged; the kernel keeps the connection 60 s (2 MSL) so that a late segment is not taken for a new connection's",
                fr: "les deux FIN sont échangés ; le noyau garde la connexion 60 s (2 MSL) pour qu'un segment en retard ne soit pas pris pour celui d'une nouvelle connexion",
            },
            Close => Text {
                en: "this socket has no connection any more; once both FINs are exchanged, Linux keeps the TIME-WAIT of the side that closed first as a separate record, without a socket: `ss -tan state time-wait`",
                fr: "cette socket n'a plus de connexion ; une fois les deux FIN échangés, Linux garde à part, sans socket, le TIME-WAIT du côté qui a fermé le premier : `ss -tan state time-wait`",
            },
            CloseWait => Text {
                en: "the peer has closed its side (its FIN came); ours stays open until we close",
                fr: "le pair a fermé son côté (son FIN est arrivé) ; le nôtre reste ouvert jusqu'à notre close()",
            },
            LastAck => Text {
                en: "our FIN answers the peer's; waiting for its ACK",
                fr: "notre FIN répond à celui du pair ; on attend son ACK",
            },
            Listen => Text {
                en: "waiting for SYNs; the kernel completes handshakes by itself",
                fr: "en attente de SYN ; le noyau mène seul les poignées de main à leur terme",
            },
            Closing => Text {
                en: "both sides sent FIN at the same time",
                fr: "les deux côtés ont envoyé leur FIN en même temps",
            },
            Other(_) => Text {
                en: "a state this program does not know",
                fr: "un état que ce programme ne connaît pas",
            },
        };
        text.get(lang)
    }

    /// What `close()` will do to a connection in this state.
    pub(super) fn after_close(self, lang: Lang) -> &'static str {
        use TcpState::*;
        let text = match self {
            Listen => Text {
                en: "close() stops listening; connections still waiting in the queue are reset (RST)",
                fr: "close() arrête l'écoute ; les connexions encore en file sont réinitialisées (RST)",
            },
            Established => Text {
                en: "close() sends FIN (RST if received bytes are left unread); the connection lives on without a descriptor in FIN-WAIT-1, FIN-WAIT-2, then TIME-WAIT: `ss -tan` shows it",
                fr: "close() envoie un FIN (un RST s'il reste des octets reçus non lus) ; la connexion survit sans descripteur en FIN-WAIT-1, FIN-WAIT-2, puis TIME-WAIT : `ss -tan` la montre",
            },
            CloseWait => Text {
                en: "close() sends our FIN; the connection lives on without a descriptor in LAST-ACK until the peer's ACK, then is gone",
                fr: "close() envoie notre FIN ; la connexion survit sans descripteur en LAST-ACK jusqu'à l'ACK du pair, puis disparaît",
            },
            TimeWait => Text {
                en: "close() only releases the descriptor: the connection stays in TIME-WAIT for 60 s (`ss -tan state time-wait`)",
                fr: "close() ne fait que libérer le descripteur : la connexion reste en TIME-WAIT 60 s (`ss -tan state time-wait`)",
            },
            FinWait1 | FinWait2 | Closing => Text {
                en: "close() releases the descriptor; the kernel finishes the closing handshake by itself",
                fr: "close() libère le descripteur ; le noyau termine seul la fermeture",
            },
            Close => Text {
                en: "close() only releases the descriptor: the connection is already over (its TIME-WAIT, if any, lives on apart)",
                fr: "close() ne fait que libérer le descripteur : la connexion est déjà finie (son éventuel TIME-WAIT vit à part)",
            },
            _ => Text {
                en: "close() releases the descriptor",
                fr: "close() libère le descripteur",
            },
        };
        text.get(lang)
    }
}
