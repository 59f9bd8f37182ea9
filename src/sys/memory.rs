//! Memory: `mmap` of a page the fork model's processes share.

use std::num::NonZeroUsize;
use std::ptr::NonNull;

use nix::sys::mman::{MapFlags, ProtFlags};

use super::{Result, call};
use crate::narrate::{Arg, Told};
use crate::text::Note;

/// `mmap(2)` of anonymous shared memory: `len` bytes, zero-filled, that a process and the
/// children it forks afterwards all see.
///
/// Layer: none (memory management). Memory is copied at `fork()`: a counter the child adds to
/// is the child's own copy, and the parent never sees it. A `MAP_SHARED` mapping is the
/// exception, the same physical page in every process that inherits it.
///
/// strace: `mmap(NULL, 24, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = 0x7f3c2a1b4000`
/// (<https://man7.org/linux/man-pages/man2/mmap.2.html>)
pub fn mmap_shared(len: NonZeroUsize) -> Result<NonNull<libc::c_void>> {
    let args = || {
        vec![
            Arg::shown("addr", "NULL"),
            Arg::int("length", len.get() as i64).blamed(),
            Arg::shown("prot", "PROT_READ|PROT_WRITE"),
            Arg::shown("flags", "MAP_SHARED|MAP_ANONYMOUS").blamed_as("MAP_SHARED"),
            Arg::int("fd", -1),
            Arg::int("offset", 0),
        ]
    };
    call(
        "mmap",
        args,
        // SAFETY: a new anonymous mapping aliases nothing the program already has.
        || unsafe {
            nix::sys::mman::mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        },
        |ptr| {
            Told::new(ptr.as_ptr() as i64, Note::SharedMemory).shown(format!("{:p}", ptr.as_ptr()))
        },
    )
}
