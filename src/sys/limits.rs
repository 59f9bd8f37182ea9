//! Resource limits: `getrlimit` and `setrlimit` of `RLIMIT_NOFILE`, the descriptors a process
//! may open.

use nix::sys::resource::Resource;

use super::{Entered, Result, call};
use crate::narrate::{Arg, Told};
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
    let entered = Entered::enter("getrlimit", Vec::new)?;
    let result = nix::sys::resource::getrlimit(Resource::RLIMIT_NOFILE);
    let args = |result: &nix::Result<(u64, u64)>| {
        let old = match result {
            Ok((soft, hard)) => format!("{{rlim_cur={soft}, rlim_max={hard}}}"),
            Err(_) => "0x0".into(),
        };
        let mut args = limit_args("NULL");
        args.push(Arg::shown("old_limit", old));
        args
    };
    entered.exit(result, args, |_| Told::new(0, Note::Limit))
}

/// `prlimit64`'s first arguments: this process (0), RLIMIT_NOFILE, the new limit.
fn limit_args(new_limit: impl Into<String>) -> Vec<Arg> {
    vec![
        Arg::int("pid", 0),
        Arg::shown("resource", "RLIMIT_NOFILE").blamed(),
        Arg::shown("new_limit", new_limit),
    ]
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
    let args = || {
        let mut args = limit_args(format!("{{rlim_cur={soft}, rlim_max={hard}}}"));
        args[2] = args[2].clone().blamed_as(format!("{soft}, {hard}"));
        args.push(Arg::shown("old_limit", "NULL"));
        args
    };
    call(
        "setrlimit",
        args,
        || nix::sys::resource::setrlimit(Resource::RLIMIT_NOFILE, soft, hard),
        |()| Told::new(0, Note::Limit),
    )
}
