//! The host's virtual memory, behind one small interface: [`Region`] (a
//! zeroed, lazily committed, page-aligned block the simulator owns), the
//! host page size, which pages of a range may hold written data, and the
//! process's resident memory. One backend per host:
//!
//! | backend | hosts | reserve | "lazy" means | written pages |
//! |---|---|---|---|---|
//! | `posix` | Linux, Android, the BSDs, macOS, other Unix | `mmap(MAP_PRIVATE \| MAP_ANON)`, plus `MAP_NORESERVE` on Linux and Android | no physical page until first touch, and (Linux with the default overcommit, macOS, the BSDs) no commit charge either | `mincore` (resident), and on Linux `/proc/self/pagemap` (swapped) |
//! | `windows` | Windows (and Wine) | `VirtualAlloc(MEM_RESERVE \| MEM_WRITE_WATCH)`, then `MEM_COMMIT` of the whole range | no physical page until first touch, but the whole size is charged against the commit limit at creation | `GetWriteWatch` |
//! | `heap` | Miri, and hosts with neither | `std::alloc::alloc_zeroed`, page-aligned | whatever the allocator does | every page counts as written |
//!
//! Nothing here is Linux-only without a `cfg` that says so; each backend
//! file states what it relies on.
#![allow(unsafe_code)]

#[cfg(all(unix, not(miri)))]
mod posix;
#[cfg(all(unix, not(miri)))]
use posix as imp;

#[cfg(all(windows, not(miri)))]
mod windows;
#[cfg(all(windows, not(miri)))]
use windows as imp;

#[cfg(any(miri, not(any(unix, windows))))]
mod heap;
#[cfg(any(miri, not(any(unix, windows))))]
use heap as imp;

/// A zeroed, lazily committed, page-aligned block of `len` bytes the
/// simulator owns, at an address that never moves; released on drop. The
/// backend decides how it is reserved and released.
pub(crate) struct Region {
    base: core::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the region owns its memory and exposes it only through raw
// addresses; moving or sharing the owner across threads is sound.
unsafe impl Send for Region {}
// SAFETY: as above; `&Region` gives no access to the bytes.
unsafe impl Sync for Region {}

impl Region {
    /// Reserves `len` bytes of zeroed, lazily committed memory; the host's
    /// error when it refuses (or `InvalidInput` for 0).
    pub(crate) fn new(len: usize) -> std::io::Result<Region> {
        if len == 0 {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        Ok(Region { base: imp::reserve(len)?, len })
    }

    /// The first byte.
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// The length given to [`Region::new`].
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `base` came from `imp::reserve(len)` and is released once,
        // here; nothing the simulator hands out outlives its region.
        unsafe { imp::release(self.base, self.len) };
    }
}

/// The host's page size: the unit in which pages are committed and in which
/// [`written_pages`] answers.
pub(crate) fn page_size() -> usize {
    // Not a `crate::sync` type: a host constant, read once, never raced
    // in a way a model checker should explore.
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| Some(imp::page_size()).filter(|s| s.is_power_of_two()).unwrap_or(4096))
}

/// Calls `visit(first, count)` for runs of host pages of `base..base + len`
/// (`base` page-aligned) that may hold data written since the memory was
/// created: the pages of `region` that its backend saw written, or, for
/// memory the simulator does not own (`region` is `None`), the pages the
/// host reports as backed. A page that was only read may be reported; a
/// page that was written is never missed.
pub(crate) fn written_pages(region: Option<&Region>, base: usize, len: usize, visit: &mut dyn FnMut(usize, usize)) {
    imp::written_pages(region, base, len, visit)
}

/// Resident set size of this process in bytes, where the host tells it
/// cheaply: Linux (`/proc/self/statm`) and Windows (the working set);
/// `None` elsewhere.
pub(crate) fn resident_bytes() -> Option<u64> {
    imp::resident_bytes()
}
