//! Each kata's scenario: what is done to the program under test, what is expected back, and
//! what its calls must show. A scenario returns at its first failed step.

use std::io::Write as _;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use super::scene::{
    End, Ev, Fail, PATIENCE, Scene, connect, read_datagram, read_some, show, udp_peer,
};

type Step = Result<(), Fail>;

/// What a failed connection says.
fn io_fail(scene: &Scene, what: &str, e: std::io::Error) -> Fail {
    scene.fail(format!("{what}: {e}"))
}

/// Starts a server kata and waits for its `listening on` line.
fn start_server(scene: &mut Scene, args: &[&str]) -> Result<(usize, SocketAddr), Fail> {
    scene.step(format!(
        "start the server ({})",
        if args.is_empty() {
            "port 0".into()
        } else {
            args.join(" ")
        }
    ));
    let p = scene.start(args)?;
    scene.step("expect its `listening on IP:PORT` line");
    let addr = scene.listening(p)?;
    Ok((p, addr))
}

/// A client connects.
fn client(scene: &mut Scene, addr: SocketAddr, who: &str) -> Result<TcpStream, Fail> {
    scene.step(format!("{who} connects to {addr}"));
    connect(addr).map_err(|e| match scene.ended() {
        Some(ended) => scene.fail(format!("connect: {e}: {ended}")),
        None => io_fail(scene, "connect", e),
    })
}

/// `who` sends `data`.
fn send(scene: &mut Scene, stream: &mut TcpStream, who: &str, data: &[u8]) -> Step {
    scene.step(format!("{who} sends {}", show(data)));
    stream
        .write_all(data)
        .map_err(|e| io_fail(scene, "send", e))
}

/// Expects exactly `want` back within `within`.
fn expect(scene: &mut Scene, stream: &mut TcpStream, want: &[u8], within: Duration) -> Step {
    scene.step(format!("expect {} back", show(want)));
    // A reply that already differs from the expected one will not get better.
    let (got, end) = read_some(stream, want.len(), within, |got| !want.starts_with(got));
    if got == want {
        return Ok(());
    }
    let why = match end {
        End::Timeout => format!(", and nothing more within {} ms", within.as_millis()),
        end => end.to_string(),
    };
    Err(scene.fail(format!("got {}{why}", show(&got))))
}

/// Expects the server's FIN (a read returning 0) within `within`, giving up early when the
/// record shows `spin` (a loop that goes on after the end).
fn expect_eof(scene: &mut Scene, stream: &mut TcpStream, within: Duration) -> Step {
    scene.step("expect the end of the stream (the server's FIN)");
    let spinning = |calls: &[Ev]| {
        let zeros = calls
            .iter()
            .filter(|e| e.call() == "recv" && e.ret() == Some(0));
        zeros.count() >= 3
    };
    let mut spun = false;
    let (got, end) = read_some(stream, usize::MAX, within, |_| {
        spun = spinning(&scene.calls());
        spun
    });
    match end {
        End::Eof if got.is_empty() => Ok(()),
        _ if spun => Err(scene.fail(
            "no FIN, and recv() keeps returning 0 on the same connection: the loop goes on after \
             the end of the stream",
        )),
        End::Eof => Err(scene.fail(format!("got {} before the end", show(&got)))),
        _ => Err(scene.fail(format!(
            "no FIN within {} ms: the connection is still open on the server's side",
            within.as_millis()
        ))),
    }
}

/// The descriptor of the `nth` connection the server accepted.
fn accepted(calls: &[Ev], nth: usize) -> Option<i64> {
    calls
        .iter()
        .filter(|e| matches!(e.call(), "accept" | "accept4") && e.errno().is_none())
        .nth(nth)
        .and_then(Ev::ret)
}

/// A hostile peer for client katas: a listener on loopback, port 0.
fn peer_listener(scene: &mut Scene) -> Result<TcpListener, Fail> {
    scene.step("the scenario's server listens on 127.0.0.1, port 0");
    TcpListener::bind("127.0.0.1:0").map_err(|e| io_fail(scene, "bind", e))
}

/// Starts a client kata towards `listener` and accepts its connection.
fn start_client(scene: &mut Scene, listener: &TcpListener) -> Result<(usize, TcpStream), Fail> {
    start_client_with(scene, listener, &[])
}

/// [`start_client`], with more arguments for the client (`--max-io 1`).
fn start_client_with(
    scene: &mut Scene,
    listener: &TcpListener,
    args: &[&str],
) -> Result<(usize, TcpStream), Fail> {
    let addr = listener
        .local_addr()
        .map_err(|e| io_fail(scene, "getsockname", e))?;
    let peer = addr.to_string();
    let args = [&["--peer", peer.as_str()][..], args].concat();
    scene.step(format!("start the client ({})", args.join(" ")));
    let p = scene.start(&args)?;
    scene.step("the scenario's server accepts it");
    listener
        .set_nonblocking(true)
        .map_err(|e| io_fail(scene, "fcntl", e))?;
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|e| io_fail(scene, "fcntl", e))?;
                stream
                    .set_read_timeout(Some(Duration::from_millis(50)))
                    .map_err(|e| io_fail(scene, "setsockopt", e))?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| io_fail(scene, "setsockopt", e))?;
                return Ok((p, stream));
            }
            Err(_) if std::time::Instant::now() < deadline && scene.try_exit(p).is_none() => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(_) => return Err(scene.fail(format!("no connection came: {}", scene.stderr(p)))),
        }
    }
}

/// Reads what the client sent until `want` bytes came.
fn peer_reads(scene: &mut Scene, stream: &mut TcpStream, want: &[u8]) -> Step {
    scene.step(format!("expect the client to send {}", show(want)));
    let (got, _) = read_some(stream, want.len(), PATIENCE, |_| false);
    if got == want {
        Ok(())
    } else {
        Err(scene.fail(format!("got {}", show(&got))))
    }
}

/// Waits for client run `p` to end and expects `want` on its stdout.
fn expect_printed(scene: &mut Scene, p: usize, want: &str) -> Step {
    scene.step(format!(
        "expect the client to print {} and end",
        show(want.as_bytes())
    ));
    if scene.wait_exit(p, PATIENCE).is_none() {
        return Err(scene.fail("the client is still running after 2 s"));
    }
    let out = scene.stdout(p);
    if out == want {
        Ok(())
    } else {
        Err(scene.fail(format!("it printed {}", show(out.as_bytes()))))
    }
}

// The katas.

pub fn port_zero(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    let mut stream = client(scene, addr, "a client")?;
    expect(scene, &mut stream, b"bonjour\n", PATIENCE)?;
    scene.step("check the calls: getsockname() on the listening socket, after bind()");
    let calls = scene.calls();
    let asked = calls.iter().position(|e| e.call() == "getsockname");
    let bound = calls.iter().position(|e| e.call() == "bind");
    match (bound, asked) {
        (Some(b), Some(a)) if a > b => Ok(()),
        _ => Err(scene.fail_calls(
            "no getsockname() after bind()",
            &calls.iter().collect::<Vec<_>>(),
        )),
    }
}

pub fn reuseaddr(scene: &mut Scene) -> Step {
    let (first, addr) = start_server(scene, &[])?;
    let mut stream = client(scene, addr, "a client")?;
    expect(scene, &mut stream, b"bonjour\n", PATIENCE)?;
    expect_eof(scene, &mut stream, PATIENCE)?;
    scene.step("expect the server to end (its side of the connection is now in TIME_WAIT)");
    if scene.wait_exit(first, PATIENCE).is_none() {
        return Err(scene.fail("still running after 2 s"));
    }
    drop(stream);
    let port = addr.port().to_string();
    let (_, again) = start_server(scene, &["--port", &port])?;
    let mut stream = client(scene, again, "a client")?;
    expect(scene, &mut stream, b"bonjour\n", PATIENCE)?;
    scene.step("check the calls: setsockopt(SO_REUSEADDR, [1]) before bind(), in both runs");
    let calls = scene.calls();
    let setup: Vec<&Ev> = calls
        .iter()
        .filter(|e| matches!(e.call(), "setsockopt" | "bind"))
        .collect();
    let mut set = false;
    let mut binds = 0;
    for ev in &setup {
        match ev.call() {
            "setsockopt" => {
                set |= ev.arg("optname") == "SO_REUSEADDR" && ev.arg("optval").starts_with("[1]")
            }
            _ if !set => {
                return Err(
                    scene.fail_calls("bind() came before setsockopt(SO_REUSEADDR, [1])", &setup)
                );
            }
            _ => {
                binds += 1;
                set = false;
            }
        }
    }
    if binds == 2 {
        Ok(())
    } else {
        Err(scene.fail_calls(format!("{binds} bind() calls, 2 expected"), &setup))
    }
}

pub fn one_recv(scene: &mut Scene) -> Step {
    let listener = peer_listener(scene)?;
    let (p, mut stream) = start_client(scene, &listener)?;
    peer_reads(scene, &mut stream, b"bonjour\n")?;
    let reply = b"BONJOUR\n";
    scene.step(
        "the server answers BONJOUR one byte per segment, each once the previous one was read",
    );
    for (i, byte) in reply.iter().enumerate() {
        // A client that has closed gets no more bytes: what it printed tells the rest.
        if stream.write_all(&[*byte]).is_err() {
            break;
        }
        let mut closed = false;
        let read = scene.wait_calls(PATIENCE, |calls| {
            let got: i64 = calls
                .iter()
                .filter(|e| e.call() == "recv")
                .filter_map(Ev::ret)
                .filter(|&n| n > 0)
                .sum();
            closed = calls.iter().any(|e| e.call() == "close");
            got > i as i64 || closed
        });
        if closed {
            break;
        }
        if !read {
            return Err(scene.fail(format!("byte {i} was not read within 2 s")));
        }
    }
    expect_printed(scene, p, "BONJOUR\n")
}

pub fn half_close(scene: &mut Scene) -> Step {
    let listener = peer_listener(scene)?;
    let (p, mut stream) = start_client(scene, &listener)?;
    scene.step("the scenario's server counts lines until the end of the stream (recv() = 0)");
    let (got, end) = read_some(&mut stream, usize::MAX, Duration::from_millis(1500), |_| {
        false
    });
    if end != End::Eof {
        return Err(scene.fail(format!(
            "got {}, but no end of stream within 1.5 s: the server is still waiting for more \
             lines, and the client for the answer",
            show(&got)
        )));
    }
    let lines = got.iter().filter(|&&b| b == b'\n').count();
    let answer = format!("{lines} lines\n");
    scene.step(format!("it answers {}", show(answer.as_bytes())));
    stream
        .write_all(answer.as_bytes())
        .map_err(|e| io_fail(scene, "send", e))?;
    drop(stream);
    expect_printed(scene, p, "3 lines\n")?;
    scene.step("check the calls: shutdown(SHUT_WR) after the last send(), before the first recv()");
    let calls = scene.calls();
    let io: Vec<&Ev> = calls
        .iter()
        .filter(|e| matches!(e.call(), "send" | "recv" | "shutdown" | "close"))
        .collect();
    let last_send = io.iter().rposition(|e| e.call() == "send");
    let first_recv = io.iter().position(|e| e.call() == "recv");
    let shut = io
        .iter()
        .position(|e| e.call() == "shutdown" && e.arg("how") == "SHUT_WR");
    match (last_send, shut, first_recv) {
        (Some(s), Some(h), Some(r)) if s < h && h < r => Ok(()),
        _ => Err(scene.fail_calls("not in that order", &io)),
    }
}

pub fn recv_timeout(scene: &mut Scene) -> Step {
    let listener = peer_listener(scene)?;
    let (p, mut stream) = start_client(scene, &listener)?;
    peer_reads(scene, &mut stream, b"bonjour\n")?;
    scene.step("the scenario's server never answers; expect the client to give up within 1 s, with an error");
    let Some(status) = scene.wait_exit(p, Duration::from_secs(1)) else {
        return Err(scene.fail("the client is still waiting after 1 s"));
    };
    let err = scene.stderr(p);
    if status.success() || !err.contains("EAGAIN") {
        return Err(scene.fail(format!(
            "it ended ({status}) saying {err:?}: expected an error naming EAGAIN"
        )));
    }
    drop(stream);
    scene
        .step("check the calls: setsockopt(SO_RCVTIMEO) before the recv() that failed with EAGAIN");
    let calls = scene.calls();
    let looked: Vec<&Ev> = calls
        .iter()
        .filter(|e| matches!(e.call(), "setsockopt" | "recv"))
        .collect();
    let set = looked
        .iter()
        .position(|e| e.arg("optname") == "SO_RCVTIMEO");
    let failed = looked
        .iter()
        .position(|e| e.call() == "recv" && e.errno() == Some("EAGAIN"));
    match (set, failed) {
        (Some(s), Some(f)) if s < f => Ok(()),
        _ => Err(scene.fail_calls(
            "no setsockopt(SO_RCVTIMEO) before a recv() = -1 EAGAIN",
            &looked,
        )),
    }
}

/// Client A's whole visit: it says `bonjour`, gets `BONJOUR` back, shuts its side down (FIN),
/// and waits for the server's FIN in return (`recv() = 0` on its side).
fn a_says_bonjour_and_leaves(scene: &mut Scene, addr: SocketAddr) -> Step {
    let mut a = client(scene, addr, "client A")?;
    send(scene, &mut a, "client A", b"bonjour\n")?;
    expect(scene, &mut a, b"BONJOUR\n", PATIENCE)?;
    scene.step("client A shuts its side down (FIN →)");
    a.shutdown(Shutdown::Write)
        .map_err(|e| io_fail(scene, "shutdown", e))?;
    expect_eof(scene, &mut a, PATIENCE)
}

pub fn recv_zero(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    a_says_bonjour_and_leaves(scene, addr)?;
    let mut b = client(scene, addr, "client B")?;
    send(scene, &mut b, "client B", b"salut\n")?;
    expect(scene, &mut b, b"SALUT\n", PATIENCE)?;
    scene.step("check the calls: after recv() = 0, the next call on that descriptor is close()");
    let calls = scene.calls();
    let fd = accepted(&calls, 0).unwrap_or(-1);
    let on_fd: Vec<&Ev> = calls.iter().filter(|e| e.fd() == Some(fd)).collect();
    let zero = on_fd
        .iter()
        .position(|e| e.call() == "recv" && e.ret() == Some(0));
    match zero.and_then(|z| on_fd.get(z + 1)) {
        Some(next) if next.call() == "close" => Ok(()),
        _ => Err(scene.fail_calls("no close() right after recv() = 0", &on_fd)),
    }
}

pub fn framing(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    let mut a = client(scene, addr, "a client")?;
    send(scene, &mut a, "the client, in one segment,", b"un\ndeux\n")?;
    expect(scene, &mut a, b"1 UN\n2 DEUX\n", PATIENCE)?;
    send(scene, &mut a, "the client", b"tr")?;
    scene.step("wait until the server has read it");
    let cut = |calls: &[Ev]| {
        let fd = accepted(calls, 0).unwrap_or(-1);
        calls.iter().any(|e| e.is("recv", fd) && e.bytes() == b"tr")
    };
    if !scene.wait_calls(PATIENCE, cut) {
        return Err(scene.fail("no recv() returned \"tr\" within 2 s"));
    }
    send(scene, &mut a, "the client", b"ois\n")?;
    expect(scene, &mut a, b"3 TROIS\n", PATIENCE)
}

/// The short_send kata's reply: bytes 0, 1, ... 250, 0, 1...
fn pattern(from: usize, len: usize) -> Vec<u8> {
    (from..from + len).map(|i| (i % 251) as u8).collect()
}

pub fn short_send(scene: &mut Scene) -> Step {
    const LEN: usize = 8 << 20;
    let (_, addr) = start_server(scene, &[])?;
    scene.step(format!(
        "a slow client, with a receive buffer of 64 KiB, connects to {addr}"
    ));
    let mut a = super::scene::connect_with_rcvbuf(addr, 64 * 1024)
        .map_err(|e| scene.fail(format!("connect: {e}")))?;
    send(scene, &mut a, "it", b"go\n")?;
    scene.step("once the server has read it, the client reads nothing for 600 ms (longer than the server's SO_SNDTIMEO of 500 ms)");
    let asked = |calls: &[Ev]| {
        calls
            .iter()
            .any(|e| e.call() == "recv" && e.bytes() == b"go\n")
    };
    if !scene.wait_calls(PATIENCE, asked) {
        return Err(scene.fail("no recv() returned \"go\\n\" within 2 s"));
    }
    std::thread::sleep(Duration::from_millis(600));
    scene.step(format!(
        "expect {LEN} bytes (8 MiB), then the end of the stream"
    ));
    let (got, end) = read_some(&mut a, LEN + 1, Duration::from_secs(5), |_| false);
    if got.len() != LEN || end != End::Eof {
        return Err(scene.fail(format!("got {} bytes{end}", got.len())));
    }
    if got != pattern(0, LEN) {
        return Err(scene.fail("8 MiB came, but not in order: some bytes were sent twice or lost"));
    }
    scene.step("check the calls: a short send(), then send() again from where it stopped");
    let calls = scene.calls();
    let sends: Vec<&Ev> = calls.iter().filter(|e| e.call() == "send").collect();
    let mut at = 0usize;
    for ev in &sends {
        if ev.bytes() != pattern(at, ev.bytes().len()) {
            return Err(scene.fail_calls(format!("a send() did not start at byte {at}"), &sends));
        }
        at += ev.ret().unwrap_or(0).max(0) as usize;
    }
    if sends.len() < 2 {
        return Err(scene.fail_calls(
            "no short send(): the pause should make the first send() return early; was SO_SNDTIMEO changed?",
            &sends,
        ));
    }
    Ok(())
}

pub fn utf8_cut(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    let mut a = client(scene, addr, "a client")?;
    send(scene, &mut a, "the client", b"caf\xc3")?;
    scene.step("wait until the server has read them");
    let cut = |calls: &[Ev]| {
        let fd = accepted(calls, 0).unwrap_or(-1);
        calls
            .iter()
            .any(|e| e.is("recv", fd) && e.bytes().ends_with(b"\xc3"))
    };
    if !scene.wait_calls(PATIENCE, cut) {
        return Err(scene.fail("no recv() ending with the byte c3 within 2 s"));
    }
    send(scene, &mut a, "the client", b"\xa9\n")?;
    expect(scene, &mut a, "CAFÉ\n".as_bytes(), PATIENCE)
}

pub fn epipe(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    let mut a = client(scene, addr, "client A")?;
    send(scene, &mut a, "client A", b"10000\n")?;
    scene.step("client A reads once, then closes with bytes unread (its kernel answers RST)");
    let (got, _) = read_some(&mut a, 1, PATIENCE, |_| false);
    if got.is_empty() {
        return Err(scene.fail("nothing came"));
    }
    drop(a);
    scene.step("wait until a send() of the server fails");
    let failed = |calls: &[Ev]| {
        calls
            .iter()
            .any(|e| e.call() == "send" && e.errno().is_some())
    };
    if !scene.wait_calls(PATIENCE, failed) {
        return Err(scene.fail("no send() failed within 2 s"));
    }
    let mut b = client(scene, addr, "client B")?;
    send(scene, &mut b, "client B", b"2\n")?;
    scene.step("expect 2 blocks of 64 KiB, then the end of the stream");
    let (got, end) = read_some(&mut b, 2 * 65536 + 1, PATIENCE, |_| false);
    if got.len() != 2 * 65536 || end != End::Eof {
        return Err(scene.fail(format!("got {} bytes{end}", got.len())));
    }
    scene.step("check the calls: no send() on a connection after one failed there");
    let calls = scene.calls();
    let fd = accepted(&calls, 0).unwrap_or(-1);
    let on_fd: Vec<&Ev> = calls.iter().filter(|e| e.fd() == Some(fd)).collect();
    let fail = on_fd
        .iter()
        .position(|e| e.call() == "send" && e.errno().is_some());
    match fail {
        // Until the close of that connection (the descriptor's number comes back for B's).
        Some(f)
            if !on_fd[f + 1..]
                .iter()
                .take_while(|e| e.call() != "close")
                .any(|e| e.call() == "send") =>
        {
            Ok(())
        }
        _ => Err(scene.fail_calls("send() was called again after it failed", &on_fd)),
    }
}

pub fn silent_client(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    let mut a = client(scene, addr, "client A (silent)")?;
    scene.step("wait until the server has accepted it");
    if !scene.wait_calls(PATIENCE, |calls| accepted(calls, 0).is_some()) {
        return Err(scene.fail("no accept() within 2 s"));
    }
    let mut b = client(scene, addr, "client B")?;
    send(scene, &mut b, "client B", b"bonjour\n")?;
    expect(scene, &mut b, b"BONJOUR\n", Duration::from_secs(1))?;
    send(scene, &mut a, "client A, at last,", b"salut\n")?;
    expect(scene, &mut a, b"SALUT\n", PATIENCE)?;
    scene.step("check the calls: B's accept() returned before A's first recv() did");
    let calls = scene.calls();
    let (Some(fd_a), Some(fd_b)) = (accepted(&calls, 0), accepted(&calls, 1)) else {
        return Err(scene.fail_calls(
            "two accept() expected",
            &calls
                .iter()
                .filter(|e| e.call() == "accept")
                .collect::<Vec<_>>(),
        ));
    };
    let accept_b = calls
        .iter()
        .find(|e| e.call() == "accept" && e.ret() == Some(fd_b));
    let recv_a = calls.iter().find(|e| e.is("recv", fd_a));
    match (accept_b, recv_a) {
        // Not "A's recv() began before": its thread may not have reached it yet.
        (Some(acc), Some(rec)) if acc.t_exit() < rec.t_exit() => Ok(()),
        (acc, rec) => Err(scene.fail_calls(
            "B was accepted only after A's first recv() had returned",
            &[rec, acc].into_iter().flatten().collect::<Vec<_>>(),
        )),
    }
}

pub fn fork_close(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    let mut a = client(scene, addr, "a client")?;
    send(scene, &mut a, "the client", b"bonjour\n")?;
    expect(scene, &mut a, b"BONJOUR\n", PATIENCE)?;
    scene.step("the client shuts its side down (FIN →); its server child closes and exits");
    a.shutdown(Shutdown::Write)
        .map_err(|e| io_fail(scene, "shutdown", e))?;
    expect_eof(scene, &mut a, Duration::from_secs(1))?;
    scene.step("check the calls: the parent closed the connection after fork()");
    let calls = scene.calls();
    let fd = accepted(&calls, 0).unwrap_or(-1);
    let parent = calls.iter().find(|e| e.call() == "fork").and_then(Ev::pid);
    let looked: Vec<&Ev> = calls
        .iter()
        .filter(|e| e.pid() == parent && (e.call() == "fork" || e.fd() == Some(fd)))
        .collect();
    let forked = looked.iter().position(|e| e.call() == "fork");
    match forked {
        Some(f) if looked[f..].iter().any(|e| e.call() == "close") => Ok(()),
        _ => Err(scene.fail_calls(
            "no close() of the connection in the parent after fork()",
            &looked,
        )),
    }
}

/// The state letter of process `pid` (`Z` for a zombie), or `None` once it is gone.
fn proc_state(pid: i64) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `PID (COMM) STATE ...`: the command may hold spaces, the state follows its last ')'.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

pub fn zombies(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    a_says_bonjour_and_leaves(scene, addr)?;
    scene.step("wait until A's child has exited: a zombie (Z in /proc/PID/stat) until collected");
    let forks = |calls: &[Ev]| -> Vec<i64> {
        calls
            .iter()
            .filter(|e| e.call() == "fork")
            .filter_map(Ev::ret)
            .collect()
    };
    let Some(&child_a) = forks(&scene.calls()).first() else {
        return Err(scene.fail("no fork() in the record"));
    };
    let exited = || matches!(proc_state(child_a), Some('Z') | None);
    let deadline = std::time::Instant::now() + PATIENCE;
    while !exited() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    if !exited() {
        return Err(scene.fail(format!("child {child_a} still runs after 2 s")));
    }
    let mut b = client(scene, addr, "client B")?;
    send(scene, &mut b, "client B", b"salut\n")?;
    expect(scene, &mut b, b"SALUT\n", PATIENCE)?;
    scene.step(format!(
        "expect A's child, process {child_a}, to be collected: gone from /proc"
    ));
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while proc_state(child_a).is_some() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    if let Some(state) = proc_state(child_a) {
        return Err(scene.fail(format!(
            "process {child_a} is still there, state {state}: a zombie its parent never collected"
        )));
    }
    scene.step(format!("check the calls: a waitpid() returned {child_a}"));
    // The kernel removes the child inside waitpid(); the parent writes the call's record line
    // just after it returns. Give that line a moment to arrive.
    let reaped = |calls: &[Ev]| {
        calls
            .iter()
            .any(|e| e.call() == "waitpid" && e.ret() == Some(child_a))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let mut calls = scene.calls();
    while !reaped(&calls) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
        calls = scene.calls();
    }
    let waits: Vec<&Ev> = calls.iter().filter(|e| e.call() == "waitpid").collect();
    if reaped(&calls) {
        Ok(())
    } else {
        Err(scene.fail_calls(format!("no waitpid() returned {child_a}"), &waits))
    }
}

/// How often `--interrupt` rings in the interrupted kata, and how long each wait lasts: some
/// twenty alarms.
const ALARM_MS: u64 = 10;
const ALARMS_FOR: Duration = Duration::from_millis(200);

/// Lets server run `p` wait through the alarms for `ALARMS_FOR`; fails if it ends meanwhile.
fn survives_alarms(scene: &mut Scene, p: usize, call: &str) -> Step {
    scene.step(format!(
        "the server waits in {call}() for {} ms, through some {} SIGALRMs; expect it still running",
        ALARMS_FOR.as_millis(),
        ALARMS_FOR.as_millis() as u64 / ALARM_MS
    ));
    match scene.wait_exit(p, ALARMS_FOR) {
        None => Ok(()),
        Some(status) => Err(scene.fail(format!(
            "the program has ended ({status}): {}: EINTR only says that a signal's handler ran \
             while {call}() waited",
            scene.stderr(p)
        ))),
    }
}

/// Closes `stream` (it is dropped here) with SO_LINGER {on, 0}: its kernel sends RST instead
/// of FIN.
fn reset(scene: &mut Scene, stream: TcpStream) -> Step {
    use nix::sys::socket::{setsockopt, sockopt};
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    setsockopt(&stream, sockopt::Linger, &linger)
        .map_err(|e| scene.fail(format!("setsockopt(SO_LINGER): {e}")))
}

pub fn interrupted(scene: &mut Scene) -> Step {
    let every = ALARM_MS.to_string();
    let (p, addr) = start_server(scene, &["--interrupt", &every])?;
    survives_alarms(scene, p, "accept")?;
    let mut a = client(scene, addr, "client A")?;
    scene.step("wait until the server has accepted it");
    if !scene.wait_calls(PATIENCE, |calls| accepted(calls, 0).is_some()) {
        return Err(scene.fail("no accept() returned within 2 s"));
    }
    survives_alarms(scene, p, "recv")?;
    scene.step("expect client A's connection still open");
    let calls = scene.calls();
    let fd_a = accepted(&calls, 0).unwrap_or(-1);
    let on_a: Vec<&Ev> = calls.iter().filter(|e| e.fd() == Some(fd_a)).collect();
    if on_a.iter().any(|e| e.call() == "close") {
        return Err(scene.fail_calls(
            format!(
                "the server closed it while it waited in recv(), saying {:?}: EINTR is no \
                 error of the client's",
                scene.stderr(p)
            ),
            &on_a,
        ));
    }
    send(scene, &mut a, "client A", b"bonjour\n")?;
    expect(scene, &mut a, b"BONJOUR\n", PATIENCE)?;
    scene.step("client A shuts its side down (FIN →)");
    a.shutdown(Shutdown::Write)
        .map_err(|e| io_fail(scene, "shutdown", e))?;
    expect_eof(scene, &mut a, PATIENCE)?;
    let b = client(scene, addr, "client B")?;
    scene.step("wait until the server has accepted it");
    if !scene.wait_calls(PATIENCE, |calls| accepted(calls, 1).is_some()) {
        return Err(scene.fail("no second accept() returned within 2 s"));
    }
    scene.step("client B closes with SO_LINGER {on, 0}: its kernel sends RST, not FIN");
    reset(scene, b)?;
    scene.step("expect the server to say ECONNRESET on stderr (a real error), and go on");
    let deadline = std::time::Instant::now() + PATIENCE;
    while !scene.stderr(p).contains("ECONNRESET")
        && scene.try_exit(p).is_none()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    if let Some(ended) = scene.ended() {
        return Err(scene.fail(ended));
    }
    if !scene.stderr(p).contains("ECONNRESET") {
        let calls = scene.calls();
        // B's connection: from its accept() on (its descriptor's number was A's before).
        let at = calls
            .iter()
            .filter(|e| e.call() == "accept" && e.errno().is_none())
            .nth(1);
        let (fd_b, since) = at.map_or((-1, 0), |e| (e.ret().unwrap_or(-1), e.t_exit()));
        let on_b: Vec<&Ev> = calls
            .iter()
            .filter(|e| e.fd() == Some(fd_b) && e.t_enter() >= since)
            .collect();
        return Err(scene.fail_calls(
            "nothing on stderr names ECONNRESET within 2 s: the reset was hidden, as if it were \
             one more interruption",
            &on_b,
        ));
    }
    let mut c = client(scene, addr, "client C")?;
    send(scene, &mut c, "client C", b"salut\n")?;
    expect(scene, &mut c, b"SALUT\n", PATIENCE)
}

/// A UDP client of the scenario, on 127.0.0.1 and a port of its own.
fn udp_client(scene: &mut Scene, who: &str) -> Result<(UdpSocket, SocketAddr), Fail> {
    scene.step(format!("{who} binds a UDP socket to 127.0.0.1, port 0"));
    let sock = udp_peer().map_err(|e| io_fail(scene, "bind", e))?;
    let addr = sock
        .local_addr()
        .map_err(|e| io_fail(scene, "getsockname", e))?;
    Ok((sock, addr))
}

/// `who` sends `data` to `to`, in one datagram.
fn send_datagram(
    scene: &mut Scene,
    sock: &UdpSocket,
    who: &str,
    to: SocketAddr,
    data: &[u8],
) -> Step {
    scene.step(format!("{who} sends {} to {to}", show(data)));
    sock.send_to(data, to)
        .map(|_| ())
        .map_err(|e| io_fail(scene, "sendto", e))
}

/// The datagram calls of the record, to quote.
fn datagram_calls(calls: &[Ev]) -> Vec<&Ev> {
    calls
        .iter()
        .filter(|e| matches!(e.call(), "recvfrom" | "sendto"))
        .collect()
}

/// Expects `want`, in one datagram from `server`, at `who`'s socket within `within`; when none
/// comes, looks whether `other` got it instead.
fn expect_datagram(
    scene: &mut Scene,
    (sock, who): (&UdpSocket, &str),
    want: &[u8],
    server: SocketAddr,
    other: (&UdpSocket, &str),
) -> Step {
    let within = Duration::from_secs(1);
    scene.step(format!(
        "expect {} back at {who}, from {server}",
        show(want)
    ));
    let got = read_datagram(sock, within);
    match got {
        Some((data, from)) if data == want && from == server => Ok(()),
        Some((data, from)) => Err(scene.fail(format!("{who} got {} from {from}", show(&data)))),
        None => {
            let (other_sock, other_who) = other;
            let stray = match read_datagram(other_sock, Duration::from_millis(100)) {
                Some((data, _)) => format!(
                    "; {other_who} got {} instead, a datagram it never asked for: the answer \
                     went to the wrong address (look at sendto()'s address, and at what the \
                     recvfrom() before it returned)",
                    show(&data)
                ),
                None => String::new(),
            };
            let calls = scene.calls();
            Err(scene.fail_calls(
                format!(
                    "nothing came to {who} within {} ms{stray}",
                    within.as_millis()
                ),
                &datagram_calls(&calls),
            ))
        }
    }
}

pub fn udp_reply(scene: &mut Scene) -> Step {
    let (_, server) = start_server(scene, &[])?;
    let (a, addr_a) = udp_client(scene, "client A")?;
    let (b, addr_b) = udp_client(scene, "client B")?;
    let who_a = format!("client A ({addr_a})");
    let who_b = format!("client B ({addr_b})");
    send_datagram(scene, &a, &who_a, server, b"bonjour\n")?;
    expect_datagram(scene, (&a, &who_a), b"BONJOUR\n", server, (&b, &who_b))?;
    send_datagram(scene, &b, &who_b, server, b"salut\n")?;
    expect_datagram(scene, (&b, &who_b), b"SALUT\n", server, (&a, &who_a))?;
    send_datagram(scene, &a, &who_a, server, b"encore\n")?;
    expect_datagram(scene, (&a, &who_a), b"ENCORE\n", server, (&b, &who_b))?;
    scene.step("check the calls: each sendto() goes to the address its recvfrom() returned");
    let calls = scene.calls();
    let looked = datagram_calls(&calls);
    let mut from = None;
    for ev in &looked {
        match ev.call() {
            "recvfrom" => from = Some(&ev.0["args"]["src_addr"]),
            _ if from != Some(&ev.0["args"]["dest_addr"]) => {
                return Err(scene.fail_calls(
                    "a sendto() to another address than the recvfrom() before it returned",
                    &looked,
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

pub fn max_io(scene: &mut Scene) -> Step {
    let line = b"bonjour\n";
    let listener = peer_listener(scene)?;
    let (p, mut stream) = start_client_with(scene, &listener, &["--max-io", "1"])?;
    scene.step(format!(
        "expect the client to send {} (each of its send() calls hands the kernel 1 byte)",
        show(line)
    ));
    let within = Duration::from_secs(1);
    let (got, _) = read_some(&mut stream, line.len(), within, |got| {
        !line.starts_with(got)
    });
    if got != line {
        let why = if line.starts_with(&got) {
            let calls = scene.calls();
            let took: i64 = calls
                .iter()
                .filter(|e| e.call() == "send")
                .filter_map(Ev::ret)
                .sum();
            format!(
                ", and nothing more within {} ms: its send() calls took {took} of the line's {} \
                 bytes",
                within.as_millis(),
                line.len()
            )
        } else {
            ": the line's first bytes came again".into()
        };
        return Err(scene.fail(format!("got {}{why}", show(&got))));
    }
    let reply = b"BONJOUR\n";
    scene.step(format!("the scenario's server answers {}", show(reply)));
    stream
        .write_all(reply)
        .map_err(|e| io_fail(scene, "send", e))?;
    expect_printed(scene, p, "BONJOUR\n")?;
    scene.step("check the calls: short send() calls, each from where the one before stopped");
    let calls = scene.calls();
    let sends: Vec<&Ev> = calls.iter().filter(|e| e.call() == "send").collect();
    let mut at = 0;
    for ev in &sends {
        if !line[at..].starts_with(&ev.bytes()) {
            return Err(scene.fail_calls(format!("a send() did not start at byte {at}"), &sends));
        }
        at += ev.ret().unwrap_or(0).max(0) as usize;
    }
    if sends.len() < line.len() {
        return Err(scene.fail_calls(
            format!(
                "{} send() calls for {} bytes under --max-io 1: was the flag taken away?",
                sends.len(),
                line.len()
            ),
            &sends,
        ));
    }
    Ok(())
}

pub fn select_sets(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &[])?;
    let mut a = client(scene, addr, "client A")?;
    let mut b = client(scene, addr, "client B")?;
    scene.step("wait until the server has accepted both");
    if !scene.wait_calls(PATIENCE, |calls| accepted(calls, 1).is_some()) {
        return Err(scene.fail("no second accept() within 2 s"));
    }
    let within = Duration::from_secs(1);
    send(scene, &mut a, "client A", b"bonjour\n")?;
    expect(scene, &mut a, b"BONJOUR\n", within)?;
    send(scene, &mut a, "client A", b"encore\n")?;
    expect(scene, &mut a, b"ENCORE\n", within)?;
    send(scene, &mut b, "client B", b"salut\n")?;
    // When B starves, the select() calls tell why: quote them, and them only.
    let selects = |scene: &Scene| -> Vec<Ev> {
        let calls = scene.calls();
        calls.into_iter().filter(|e| e.call() == "select").collect()
    };
    expect(scene, &mut b, b"SALUT\n", within).map_err(|fail| {
        let calls = selects(scene);
        scene.fail_calls(
            format!(
                "{}: B's bytes wait unread; look at the read sets select() was handed",
                fail.got
            ),
            &calls.iter().collect::<Vec<_>>(),
        )
    })?;
    send(scene, &mut a, "client A", b"et toi ?\n")?;
    expect(scene, &mut a, b"ET TOI ?\n", within)?;
    scene.step("check the calls: both clients in the read set of every select()");
    let calls = scene.calls();
    let (Some(fd_a), Some(fd_b)) = (accepted(&calls, 0), accepted(&calls, 1)) else {
        return Err(scene.fail("two accept() expected"));
    };
    let both = format!("[{} {}]", fd_a.min(fd_b), fd_a.max(fd_b));
    let selects: Vec<&Ev> = calls.iter().filter(|e| e.call() == "select").collect();
    match selects.iter().find(|e| e.arg("readfds") != both) {
        None if !selects.is_empty() => Ok(()),
        None => Err(scene.fail_calls("no select() in the record", &selects)),
        Some(_) => Err(scene.fail_calls(
            format!("a select() was handed a read set other than {both}"),
            &selects,
        )),
    }
}

pub fn edge_triggered(scene: &mut Scene) -> Step {
    let (_, addr) = start_server(scene, &["--max-io", "1"])?;
    let mut a = client(scene, addr, "a client")?;
    let within = Duration::from_secs(1);
    send(scene, &mut a, "the client, in one segment,", b"bonjour\n")?;
    expect(scene, &mut a, b"BONJOUR\n", within).map_err(|fail| {
        // Did the server stop reading before the buffer was empty?
        let calls = scene.calls();
        let fd = accepted(&calls, 0).unwrap_or(-1);
        let last = calls.iter().rev().find(|e| e.is("recv", fd));
        match last.and_then(Ev::ret) {
            Some(n) if n > 0 => Fail {
                got: format!(
                    "{}: the server's last recv() on its connection returned {n}, not EAGAIN, \
                     and no event came for the bytes it left",
                    fail.got
                ),
                ..fail
            },
            _ => fail,
        }
    })?;
    send(scene, &mut a, "the client", b"salut\n")?;
    expect(scene, &mut a, b"SALUT\n", within)?;
    scene.step("the client shuts its side down (FIN →)");
    a.shutdown(Shutdown::Write)
        .map_err(|e| io_fail(scene, "shutdown", e))?;
    expect_eof(scene, &mut a, within)?;
    scene
        .step("check the calls: before each epoll_wait(), recv() read the connection until EAGAIN");
    let calls = scene.calls();
    let fd = accepted(&calls, 0).unwrap_or(-1);
    let looked: Vec<&Ev> = calls
        .iter()
        .filter(|e| e.call() == "epoll_wait" || e.is("recv", fd))
        .collect();
    let stopped_early = looked.windows(2).any(|pair| {
        let bytes = pair[0].errno().is_none() && pair[0].ret().is_some_and(|n| n > 0);
        pair[0].call() == "recv" && bytes && pair[1].call() == "epoll_wait"
    });
    let drained = looked
        .iter()
        .any(|e| e.call() == "recv" && e.errno() == Some("EAGAIN"));
    if stopped_early {
        Err(scene.fail_calls(
            "a recv() that returned bytes was followed by epoll_wait(), not by another recv()",
            &looked,
        ))
    } else if !drained {
        Err(scene.fail_calls("no recv() on the connection said EAGAIN", &looked))
    } else {
        Ok(())
    }
}
