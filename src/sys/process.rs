//! Processes and threads: `fork`, `pthread_create`, `getpid`, `gettid`, `waitpid`, `_exit`.

use std::os::fd::RawFd;
use std::thread::{self, JoinHandle};

use nix::errno::Errno;
use nix::sys::wait::{WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};
use serde_json::json;

use super::{Entered, Result, call};
use crate::narrate::{self, Arg, Call, Told, record, strace_wait_status};
use crate::text::Note;

// Processes, threads and signals.
//
// The calls below are not networking: they belong to the kernel's process management. The
// concurrent server models need them (a process per client, a thread per client), and the
// shutdown on SIGINT or SIGTERM needs signals. Each is narrated like the socket calls, so that
// the narration still lines up with `strace -f`.

/// `fork(2)`: create a child process.
///
/// Layer: none (process management, not networking). The kernel copies the calling process:
/// its memory (copy-on-write), and its file descriptors, which now have two owners each, so a
/// socket is really closed only when both processes have closed it. `fork()` returns twice:
/// the child's pid in the parent, 0 in the child. Only the calling thread is copied.
///
/// glibc implements `fork()` with the `clone` system call, so strace shows
/// `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f...) = 4243`
/// in the parent (`strace -f` then follows the child).
/// (<https://man7.org/linux/man-pages/man2/fork.2.html>)
///
/// # Safety
///
/// In a process with more than one thread, the child may only make async-signal-safe calls
/// until it exits or execs: another thread may have held a lock (the allocator's, stderr's)
/// that stays locked for ever in the child. Call it from a single-threaded process.
pub unsafe fn fork() -> Result<ForkResult> {
    // What strace shows of the call's arguments (it adds the child_tidptr glibc passes).
    let args = || {
        vec![
            Arg::shown("child_stack", "child_stack=NULL"),
            Arg::shown(
                "flags",
                "flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD",
            ),
        ]
    };
    // --step shows them before the call too.
    let entered = Entered::enter("fork", args)?;
    // SAFETY: the caller promises that the process has one thread.
    let result = unsafe { nix::unistd::fork() };
    let child = match result {
        Ok(ForkResult::Child) => {
            // Not narrated in the child: strace shows one line for the call, the parent's. The
            // child starts its life by returning 0 from here, its own pid still unknown.
            narrate::record::forked();
            return Ok(ForkResult::Child);
        }
        Ok(ForkResult::Parent { child }) => Ok(child),
        Err(errno) => Err(errno),
    };
    entered
        .exit(
            child,
            |_| args(),
            |&child| Told::new(child.as_raw(), Note::Fork { child }),
        )
        .map(|child| ForkResult::Parent { child })
}

/// `pthread_create(3)`, through std's [`thread::Builder::spawn`]: start a thread that runs
/// `serve`, for the client on `conn_fd`.
///
/// Layer: none (process management). Not a system call: a library function, glibc's, which
/// makes these, as `strace -f` shows them: `mmap` and `mprotect` for the new thread's stack
/// (unless glibc reuses the stack of a thread that has ended), `rt_sigprocmask` to block every
/// signal while the thread is born, `clone3` with `CLONE_VM|CLONE_FS|CLONE_FILES|
/// CLONE_SIGHAND|CLONE_THREAD|...` (the same memory, descriptors and signal handlers: a thread,
/// not a process), which returns the new thread's id, and `rt_sigprocmask` to put the mask
/// back. (glibc before 2.34, or a kernel without `clone3`, uses `clone`.) The first thread ever
/// made also unblocks glibc's own two real-time signals (`SIG_UNBLOCK, [RTMIN RT_1]`).
///
/// Those calls are glibc's, so the narration does not write them as ours: one line, with `→`
/// rather than strace's `=`, after them, saying which they were.
/// (<https://man7.org/linux/man-pages/man3/pthread_create.3.html>)
pub fn pthread_create(
    conn_fd: RawFd,
    serve: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    let t_enter = record::now();
    let spawned = thread::Builder::new().spawn(serve);
    let t_exit = record::now();
    if narrate::active() {
        let outcome = match &spawned {
            Ok(_) => Ok(Told::new(0, Note::ThreadCreated)),
            Err(error) => Err(Errno::from_raw(error.raw_os_error().unwrap_or(0))),
        };
        narrate::happened(&Call {
            name: "pthread_create",
            args: vec![
                Arg::shown("thread", "&thread"),
                Arg::shown("attr", "&attr"),
                Arg::shown("start_routine", "thread_start"),
                // The closure std hands the thread; the record keeps the descriptor it serves.
                Arg {
                    name: "fd",
                    shown: format!("arg /* serves fd {conn_fd} */"),
                    value: json!(conn_fd),
                    blamed: None,
                },
            ],
            outcome,
            t_enter,
            t_exit,
        });
    }
    spawned
}

pub fn getpid() -> Pid {
    let pid = nix::unistd::getpid();
    narrate::record::know_pid(pid.as_raw());
    told_id("getpid", pid, Note::Pid)
}

/// Narrates and records the `getpid()` or `gettid()` just made, which cannot fail.
fn told_id(name: &'static str, id: Pid, note: Note) -> Pid {
    let _ = call(name, Vec::new, || Ok(id), |id| Told::new(id.as_raw(), note));
    id
}

/// `gettid(2)`: get the thread id.
///
/// Layer: none (process management). Every thread has its own id; the first thread's is the
/// process id. `strace -f` prefixes each line with `[pid TID]`, the thread's id. It is a system
/// call each time: call it once per thread and keep the answer.
///
/// strace: `gettid() = 4250`
/// (<https://man7.org/linux/man-pages/man2/gettid.2.html>)
pub fn gettid() -> Pid {
    let tid = nix::unistd::gettid();
    narrate::record::know_tid(tid.as_raw());
    told_id("gettid", tid, Note::Tid)
}

/// `waitpid(2)` with `WNOHANG`: collect a child that has exited, without waiting.
///
/// Layer: none (process management). A child that has exited stays a zombie (a line in the
/// process table, `Z` in `ps`, holding its exit status) until its parent collects it. This
/// collects one, any one (pid -1); with WNOHANG it returns at once: `StillAlive` when no child
/// has exited yet, ECHILD when there are no children at all.
///
/// glibc implements `waitpid()` with the `wait4` system call, so strace shows
/// `wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) = 4243`.
/// (<https://man7.org/linux/man-pages/man2/waitpid.2.html>)
pub fn waitpid_any_nohang() -> Result<WaitStatus> {
    let entered = Entered::enter("waitpid", Vec::new)?;
    let result = nix::sys::wait::waitpid(None, Some(WaitPidFlag::WNOHANG));
    let args = |result: &nix::Result<WaitStatus>| {
        let wstatus = match result {
            Ok(status @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => {
                format!("[{}]", strace_wait_status(status))
            }
            _ => "NULL".into(),
        };
        vec![
            Arg::int("pid", -1).blamed(),
            Arg::shown("wstatus", wstatus),
            Arg::shown("options", "WNOHANG").blamed(),
            Arg::shown("rusage", "NULL"),
        ]
    };
    entered.exit(result, args, |&status| {
        Told::new(status.pid().map_or(0, Pid::as_raw), Note::Waited { status })
    })
}

/// `_exit(2)`: end the process now. This is `_exit`, the system call, and not the C library's
/// `exit(3)` nor `std::process::exit`, whatever its short name says.
///
/// Layer: none (process management). The kernel closes every descriptor the process still has
/// (a socket that was the last one: FIN), turns it into a zombie holding `status`, and sends
/// SIGCHLD to its parent. Unlike `exit(3)` and `std::process::exit`, it runs no atexit handler
/// and flushes no buffer: right for a forked child, whose buffers are copies of its parent's.
///
/// glibc's `_exit()` is the `exit_group` system call, which never returns: strace shows
/// `exit_group(0) = ?`, and the narration comes before the call.
/// (<https://man7.org/linux/man-pages/man2/_exit.2.html>)
pub fn exit(status: i32) -> ! {
    // _exit never returns: the narration and the record come before the call.
    let _ = call(
        "_exit",
        || vec![Arg::int("status", status)],
        || Ok(()),
        |()| Told::never(Note::Exit),
    );
    // SAFETY: _exit is always safe to call; it does not return.
    unsafe { libc::_exit(status) }
}
