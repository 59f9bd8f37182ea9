//! The fork model's summary counters, in one page of memory shared by the parent and every
//! child it forks.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::dialogue::Tally;
use crate::sys;

/// The summary's counters, in one page of memory the parent shares with every child it forks.
///
/// After `fork()` a child's memory is a copy: a counter it adds to is its own, and the parent
/// never sees the change. A `MAP_SHARED` mapping made before the fork is the same memory in
/// every process, and lock-free atomics work across processes as they do across threads.
/// (A pipe from each child to the parent would do too, at the cost of a read in the parent's
/// loop.)
pub struct Counters {
    clients: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl Counters {
    /// Maps the shared counters, all zero.
    pub fn map() -> sys::Result<&'static Counters> {
        const SIZE: NonZeroUsize = match NonZeroUsize::new(std::mem::size_of::<Counters>()) {
            Some(size) => size,
            None => panic!("Counters has a size"),
        };
        let page = sys::mmap_shared(SIZE)?;
        // SAFETY: the mapping is zero-filled, and zero is a valid AtomicU64; it is page-aligned,
        // more than AtomicU64 needs; it is never unmapped, so it lives as long as the process;
        // and it is only ever used through atomics.
        Ok(unsafe { page.cast::<Counters>().as_ref() })
    }

    pub fn add(&self, tally: Tally) {
        self.clients.fetch_add(tally.clients, Ordering::Relaxed);
        self.bytes_in.fetch_add(tally.bytes_in, Ordering::Relaxed);
        self.bytes_out.fetch_add(tally.bytes_out, Ordering::Relaxed);
    }

    pub fn total(&self) -> Tally {
        Tally {
            clients: self.clients.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }
}
