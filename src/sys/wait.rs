//! The readiness waits of the event-loop models: `select`, `poll`, and epoll through mio
//! (`epoll_create1`, `epoll_ctl`, `epoll_wait`).

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollTimeout};
use nix::sys::select::FdSet;
use nix::sys::time::{TimeVal, TimeValLike};

use super::{Entered, Result, Socket, call};
use crate::narrate::{
    self, Arg, Told, strace_epoll_event, strace_epoll_events, strace_fd_set, strace_pollfd,
};
use crate::text::Note;

/// `select(2)`: wait until some of the given descriptors are ready.
///
/// Layer: none of the network's: it waits on descriptors of any kind (sockets, pipes,
/// terminals) and sends nothing. The kernel looks at each socket in the sets (is there something in its receive buffer, or a connection in its queue? room in
/// its send buffer?), sleeps until one of them is ready, and rewrites the sets to say which are.
/// Level-triggered: a socket with unread bytes is reported again at the next call.
///
/// The sets are bit arrays of `FD_SETSIZE` (1024) bits: a descriptor of 1024 or more cannot be
/// put in one (glibc's `FD_SET` would write past the array; nix refuses with a panic), which is
/// why the select model refuses such connections. `nfds` is the highest descriptor plus one.
///
/// `timeout` bounds the wait (`None`: no bound); 0 ready descriptors means the time is up.
///
/// glibc implements `select()` with the `pselect6` system call (whose sixth argument, a signal
/// mask, it leaves NULL, and whose timeout is a timespec), so strace shows
/// `pselect6(6, [3 5], [4], NULL, NULL, NULL) = 1 (in [5])`.
/// (<https://man7.org/linux/man-pages/man2/select.2.html>)
pub fn select<'fd>(
    nfds: RawFd,
    readfds: &mut FdSet<'fd>,
    writefds: &mut FdSet<'fd>,
    timeout: Option<Duration>,
) -> Result<usize> {
    // NULL waits for ever; a timeval is the longest wait (Linux counts it down as it waits).
    let mut timeval = timeout.map(|t| TimeVal::microseconds(t.as_micros() as i64));
    // The call rewrites the sets: render what was asked before asking, and only when watched.
    let asked = narrate::active().then(|| {
        let wait = match &timeval {
            // pselect6 takes a timespec: glibc turns the microseconds into nanoseconds.
            Some(tv) => format!(
                "{{tv_sec={}, tv_nsec={}}}",
                tv.tv_sec(),
                tv.tv_usec() * 1000
            ),
            None => "NULL".into(),
        };
        vec![
            Arg::int("nfds", nfds).blamed(),
            Arg::shown("readfds", strace_fd_set(readfds, nfds)),
            Arg::shown("writefds", strace_fd_set(writefds, nfds)),
            Arg::shown("exceptfds", "NULL"),
            Arg::shown("timeout", wait),
            Arg::shown("sigmask", "NULL"),
        ]
    });
    let asked = || asked.clone().unwrap_or_default();
    let entered = Entered::enter("select", asked)?;
    let result =
        nix::sys::select::select(nfds, &mut *readfds, &mut *writefds, None, timeval.as_mut())
            .map(|n| n as usize);
    let args = |result: &nix::Result<usize>| match result {
        Ok(_) => asked(),
        // A failed call is named by its nfds even when nobody watches.
        Err(_) => vec![Arg::int("nfds", nfds).blamed()],
    };
    entered.exit(result, args, |&n| {
        // strace names only the sets that hold a ready descriptor: `(in [5])`.
        let ready: Vec<String> = [("in", &*readfds), ("out", &*writefds)]
            .into_iter()
            .filter(|(_, set)| set.fds(Some(nfds - 1)).next().is_some())
            .map(|(name, set)| format!("{name} {}", strace_fd_set(set, nfds)))
            .collect();
        let shown = if n > 0 {
            format!("{n} ({})", ready.join(", "))
        } else {
            format!("{n} (Timeout)")
        };
        Told::new(n as i64, Note::Ready).shown(shown)
    })
}

/// `poll(2)`: wait for some event on a set of file descriptors.
///
/// Layer: none of the network's, as [`select`]. The same question as [`select`], asked with an array of `{fd, events}` instead of bit sets: any descriptor number
/// works, and the kernel answers in each entry's `revents`, where it may also put `POLLHUP`
/// (the connection is over) or `POLLERR` (an error is pending, such as a RST) even if they were
/// not asked for. Level-triggered, and the whole array is copied in and scanned at every call.
///
/// `timeout` bounds the wait, in milliseconds (`None`: -1, no bound); 0 means the time is up.
///
/// strace: `poll([{fd=3, events=POLLIN}, {fd=5, events=POLLIN}], 2, -1) = 1 ([{fd=5, revents=POLLIN}])`
/// (<https://man7.org/linux/man-pages/man2/poll.2.html>)
pub fn poll(fds: &mut [PollFd<'_>], timeout: Option<Duration>) -> Result<usize> {
    let millis = timeout.map_or(-1, wait_millis);
    let count = fds.len();
    let entered = Entered::enter("poll", || {
        poll_args(format!("[... {count} descriptors]"), count, millis)
    })?;
    let result = nix::poll::poll(
        fds,
        PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX),
    )
    .map(|n| n as usize);
    let args = |_: &_| {
        let asked: Vec<String> = fds
            .iter()
            .map(|p| strace_pollfd(p.as_fd().as_raw_fd(), "events", p.events()))
            .collect();
        poll_args(format!("[{}]", asked.join(", ")), count, millis)
    };
    entered.exit(result, args, |&n| {
        // strace shows the entries whose revents are not empty.
        let answered: Vec<String> = fds
            .iter()
            .filter_map(|p| p.revents().filter(|r| !r.is_empty()).map(|r| (p, r)))
            .map(|(p, revents)| strace_pollfd(p.as_fd().as_raw_fd(), "revents", revents))
            .collect();
        let told = Told::new(n as i64, Note::Ready);
        if n > 0 {
            told.shown(format!("{n} ([{}])", answered.join(", ")))
        } else {
            told
        }
    })
}

/// poll's arguments: the array, its length (an error names it), the bound in milliseconds.
fn poll_args(array: String, count: usize, millis: i32) -> Vec<Arg> {
    vec![
        Arg::shown("fds", array),
        Arg::int("nfds", count as i64).blamed_as(format!("{count} fds")),
        Arg::int("timeout", millis),
    ]
}

/// A wait's bound in whole milliseconds, rounded up so that a bound of 0.4 ms does not become
/// a poll that returns at once (and a loop that spins until the time is up).
fn wait_millis(timeout: Duration) -> i32 {
    let micros = timeout.as_micros();
    i32::try_from(micros.div_ceil(1000)).unwrap_or(i32::MAX)
}

/// `epoll_create1(2)`: open an epoll file descriptor, here inside a [`mio::Poll`].
///
/// Layer: none of the network's: the kernel creates an epoll instance, a set of descriptors to
/// watch (the interest list) and a list of those that are ready, and returns a descriptor for
/// it. `mio::Poll::new()` makes exactly this call and nothing else.
///
/// strace: `epoll_create1(EPOLL_CLOEXEC) = 3`
/// (<https://man7.org/linux/man-pages/man2/epoll_create1.2.html>)
pub fn epoll_create1() -> Result<mio::Poll> {
    call(
        "epoll_create1",
        || vec![Arg::shown("flags", "EPOLL_CLOEXEC")],
        || mio::Poll::new().map_err(io_errno),
        |poll| Told::new(poll.as_raw_fd(), Note::EpollCreate),
    )
}

/// `epoll_ctl(2)` with `EPOLL_CTL_ADD`: add a descriptor to an epoll instance's interest list,
/// here through [`mio::Registry::register`] and [`mio::unix::SourceFd`], so that the socket stays
/// ours (made by our `socket()` or `accept4()`) and mio only watches it.
///
/// Layer: none of the network's: any descriptor can be watched, and nothing goes on the
/// wire. From now on the kernel itself
/// puts the socket on the ready list when bytes arrive or room frees up in its send buffer: the
/// program pays once here, not at every wait as with `select()` and `poll()`. mio always asks
/// for edge-triggered notification (`EPOLLET`): one event per change, not one per wait while the
/// socket stays ready; readable includes `EPOLLRDHUP` (the peer sent FIN). The token comes back
/// with each event: it tells which connection the event is for.
///
/// strace: `epoll_ctl(3, EPOLL_CTL_ADD, 5, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=0, u64=0}}) = 0`
/// (<https://man7.org/linux/man-pages/man2/epoll_ctl.2.html>)
pub fn epoll_ctl_add(
    registry: &mio::Registry,
    epoll_fd: RawFd,
    sock: &Socket,
    token: mio::Token,
    interest: mio::Interest,
) -> Result<()> {
    let args = || {
        let mut events = Vec::new();
        if interest.is_readable() {
            events.push("EPOLLIN");
        }
        if interest.is_writable() {
            events.push("EPOLLOUT");
        }
        if interest.is_readable() {
            events.push("EPOLLRDHUP");
        }
        events.push("EPOLLET");
        let event = strace_epoll_event(&events.join("|"), token.0);
        vec![
            Arg::fd(epoll_fd),
            Arg::shown("op", "EPOLL_CTL_ADD").blamed(),
            Arg::int("target_fd", sock.fd()).blamed(),
            Arg::shown("event", event),
        ]
    };
    call(
        "epoll_ctl",
        args,
        || {
            registry
                .register(&mut mio::unix::SourceFd(&sock.fd()), token, interest)
                .map_err(io_errno)
        },
        |()| Told::new(0, Note::EpollAdd),
    )
}

/// `epoll_wait(2)`: wait for events on an epoll instance, here inside [`mio::Poll::poll`],
/// which makes exactly this call.
///
/// Layer: none of the network's, as [`select`] and [`poll`]. The kernel sleeps until the
/// ready list is not empty, then copies up to `events.capacity()` events out of it. Unlike
/// `select()` and `poll()`, nothing is passed in and nothing is scanned: the cost is the number
/// of ready sockets, not the number of connections.
///
/// `timeout` bounds the wait, in milliseconds (`None`: -1, no bound); 0 means the time is up.
///
/// strace: `epoll_wait(3, [{events=EPOLLIN, data={u32=0, u64=0}}], 1024, -1) = 1`
/// (<https://man7.org/linux/man-pages/man2/epoll_wait.2.html>)
pub fn epoll_wait(
    poll: &mut mio::Poll,
    events: &mut mio::Events,
    timeout: Option<Duration>,
) -> Result<usize> {
    let millis = timeout.map_or(-1, wait_millis);
    let epoll_fd = poll.as_raw_fd();
    let capacity = events.capacity();
    let args = |ready: String| {
        vec![
            Arg::fd(epoll_fd),
            Arg::shown("events", ready),
            Arg::int("maxevents", capacity as i64),
            Arg::int("timeout", millis),
        ]
    };
    let entered = Entered::enter("epoll_wait", || args("...".into()))?;
    // mio rounds a bound up to whole milliseconds, as `wait_millis` does.
    let result = poll
        .poll(events, timeout)
        .map(|()| events.iter().count())
        .map_err(io_errno);
    let after = |_: &_| {
        let ready: Vec<String> = events
            .iter()
            .map(|event| strace_epoll_event(&strace_epoll_events(event), event.token().0))
            .collect();
        args(format!("[{}]", ready.join(", ")))
    };
    entered.exit(result, after, |&n| Told::new(n as i64, Note::Ready))
}

/// The errno inside an `io::Error` from mio, which makes its calls with libc directly.
fn io_errno(error: std::io::Error) -> Errno {
    error
        .raw_os_error()
        .map_or(Errno::UnknownErrno, Errno::from_raw)
}
