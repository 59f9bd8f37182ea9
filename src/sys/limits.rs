//! Resource limits: `getrlimit` and `setrlimit` of `RLIMIT_NOFILE`, the descriptors a process
//! may open.

use nix::sys::resource::Resource;

use super::{Result, named};
use crate::narrate;
use crate::text::Note;

/// `getrlimit(2)` for `RLIMIT_NOFILE`: how many file descriptors this process may open.
///
/// Layer: none of the network's: a limit of the process. Returns the soft limit (the one
/// enforced; `ulimit -n`, often 1024) and the hard limit (the ceiling up to which an
/// unprivileged process may raise the soft one). Every connection is a descriptor, so a server
/// with 1024 of them open gets EMFILE from `accept()`.
///
/// glibc implements it with the `prlimit64` system call, so strace shows
/// `prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=1024, rlim_max=4096}) = 0`.
/// (<https://man7.org/linux/man-pages/man2/getrlimit.2.html>)
pub fn getrlimit_nofile() -> Result<(u64, u64)> {
    let result = nix::sys::resource::getrlimit(Resource::RLIMIT_NOFILE);
    narrate::syscall(
        "getrlimit",
        || match result {
            Ok((soft, hard)) => {
                format!("0, RLIMIT_NOFILE, NULL, {{rlim_cur={soft}, rlim_max={hard}}}")
            }
            Err(_) => "0, RLIMIT_NOFILE, NULL, 0x0".into(),
        },
        &result.map(|_| 0),
        || Note::Limit,
    );
    named(result, "getrlimit", || "RLIMIT_NOFILE".into())
}

/// `setrlimit(2)` for `RLIMIT_NOFILE`: set how many file descriptors this process may open.
///
/// Layer: none of the network's: a limit of the process. An unprivileged process may raise
/// its soft limit up to the hard limit (EPERM beyond).
///
/// glibc implements it with the `prlimit64` system call, so strace shows
/// `prlimit64(0, RLIMIT_NOFILE, {rlim_cur=4096, rlim_max=4096}, NULL) = 0`.
/// (<https://man7.org/linux/man-pages/man2/setrlimit.2.html>)
pub fn setrlimit_nofile(soft: u64, hard: u64) -> Result<()> {
    let result = nix::sys::resource::setrlimit(Resource::RLIMIT_NOFILE, soft, hard);
    narrate::syscall(
        "setrlimit",
        || format!("0, RLIMIT_NOFILE, {{rlim_cur={soft}, rlim_max={hard}}}, NULL"),
        &result.map(|()| 0),
        || Note::Limit,
    );
    named(result, "setrlimit", || {
        format!("RLIMIT_NOFILE, {soft}, {hard}")
    })
}
