//! `listen(fd, 1)` queues two connections on Linux, not one: the kernel refuses a new one only
//! when the accept queue is already longer than the backlog (`sk_acceptq_is_full()` compares
//! with `>`, include/net/sock.h; listen(2) calls the backlog the queue's "maximum length").
//! The iterative model's page shows the `ss -tan` this test takes.

mod common;

use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use common::strace::{check_or_bless_block, text_block};
use common::tools::{Tool, have};
use common::{Server, echo, wait_until};
use socket2::{Domain, Socket, Type};

/// `tcp_info.tcpi_state` values (include/net/tcp_states.h).
const TCP_ESTABLISHED: u8 = 1;
const TCP_SYN_SENT: u8 = 2;

/// The kernel's `TCP_INFO` for a socket.
fn tcp_info(socket: &Socket) -> libc::tcp_info {
    // SAFETY: tcp_info is plain data; getsockopt writes at most `len` bytes into it.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let r = libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        );
        assert_eq!(
            r,
            0,
            "getsockopt(TCP_INFO): {}",
            std::io::Error::last_os_error()
        );
        info
    }
}

/// Starts a non-blocking connect to `addr`: the handshake goes on without us.
fn start_connect(addr: SocketAddr) -> Socket {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_nonblocking(true).expect("O_NONBLOCK");
    match socket.connect(&addr.into()) {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        other => panic!("connect({addr}) on a non-blocking socket: {other:?}"),
    }
    socket
}

/// `ss -tan` on `port`, with the ports named (`PORT` for the server's, `CLIENT_1`... for the
/// clients' in the order they connected), in a fixed order: the listener, then each client's
/// two ends (its own, then the server's).
fn ss_on(port: u16, clients: &[u16]) -> String {
    let name = |addr: &str| {
        let (ip, p) = addr.rsplit_once(':').expect("ss prints address:port");
        let p: u16 = p.parse().unwrap_or(0);
        if p == port {
            format!("{ip}:PORT")
        } else if let Some(i) = clients.iter().position(|&c| c == p) {
            format!("{ip}:CLIENT_{}", i + 1)
        } else {
            addr.to_string()
        }
    };
    let mut rows: Vec<((usize, bool), String)> = common::ss_tan(port)
        .iter()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (local, peer) = (name(f[3]), name(f[4]));
            let client =
                |end: &str| (1..=clients.len()).find(|i| end.ends_with(&format!(":CLIENT_{i}")));
            let key = match (client(&local), client(&peer)) {
                (Some(i), _) => (i, false),
                (None, Some(i)) => (i, true),
                (None, None) => (0, false),
            };
            // A connection of another test on the same port number, left in TIME-WAIT after
            // the port was given again, is not this test's: only the listener and our clients.
            if key.0 == 0 && f[0] != "LISTEN" {
                return None;
            }
            let row = format!("{:<9} {:<6} {:<6} {:<20} {}", f[0], f[1], f[2], local, peer);
            Some((key, row.trim_end().to_string()))
        })
        .collect();
    rows.sort();
    let mut text = format!(
        "{:<9} {:<6} {:<6} {:<20} {}\n",
        "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"
    );
    for (_, row) in rows {
        text.push_str(&row);
        text.push('\n');
    }
    text
}

/// With `--backlog 1`, while the iterative server is busy with one client, two more
/// connections complete their handshake (the listener's Recv-Q reads 2), and the next one stays
/// in SYN-SENT: its SYN is dropped, sent again, and dropped again, as long as the queue is full.
#[test]
fn listen_1_queues_two_connections() {
    // The queues are read with `ss`, as a student would read them.
    if !have(&[Tool::Ss]) {
        return;
    }
    let server = Server::loopback(&["--backlog", "1"]);
    let addr = server.addr();
    let mut first = server.connect();
    assert_eq!(echo(&mut first, b"busy\n"), b"BUSY\n"); // accepted: the server is in recv()

    let mut queued = Vec::new();
    for _ in 0..2 {
        let socket = start_connect(addr);
        wait_until("a queued client's handshake to complete", || {
            tcp_info(&socket).tcpi_state == TCP_ESTABLISHED
        });
        queued.push(socket);
    }
    let refused = start_connect(addr);
    wait_until("the third client's SYN to be sent again", || {
        let info = tcp_info(&refused);
        assert_eq!(
            info.tcpi_state, TCP_SYN_SENT,
            "the third client got an answer although the queue held 2"
        );
        info.tcpi_retransmits >= 1
    });
    assert_eq!(tcp_info(&refused).tcpi_state, TCP_SYN_SENT);

    let mut ports = vec![first.local_addr().unwrap().port()];
    for socket in queued.iter().chain([&refused]) {
        let local = socket.local_addr().unwrap().as_socket().unwrap();
        ports.push(local.port());
    }
    let ss = ss_on(addr.port(), &ports);
    let listener = ss
        .lines()
        .find(|l| l.starts_with("LISTEN"))
        .unwrap_or_else(|| panic!("no LISTEN line in:\n{ss}"));
    assert_eq!(
        listener.split_whitespace().nth(1),
        Some("2"),
        "Recv-Q of the listener:\n{ss}"
    );
    check_or_bless_block(
        "docs/src/models/iterative.md",
        "backlog ss",
        &text_block(&ss),
    );
}
