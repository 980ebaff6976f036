//! The legacy page-list lock: `D3DKMTLock` and the multi-handle
//! `D3DKMTUnlock`, with their flag and page types.

use std::collections::HashMap;

use super::{Locked, Locker};
use crate::call::Elements;
use crate::config::BusyPolicy;
use crate::error::{ErrorKind, Result};
use crate::gate::Pass;
use crate::slot::LockMask;

bitflags::bitflags! {
    /// `D3DDDICB_LOCKFLAGS` for the legacy page lock: the bits of the
    /// union's `Value`, with Windows' names. `Debug` names the flags set
    /// and shows any other bit in hex.
    ///
    /// ```
    /// use d3dkmt_sim::LockFlags;
    /// let flags = LockFlags::READ_ONLY | LockFlags::DONOT_WAIT;
    /// assert!(flags.contains(LockFlags::DONOT_WAIT));
    /// assert_eq!(flags.bits(), 0x5);
    /// assert_eq!(format!("{flags:?}"), "LockFlags(READ_ONLY | DONOT_WAIT)");
    /// // Bits Windows reserves are kept (the lock rejects them) and shown.
    /// let odd = LockFlags::from_bits_retain(0x801);
    /// assert!(odd.intersects(LockFlags::RESERVED));
    /// assert_eq!(format!("{odd:?}"), "LockFlags(READ_ONLY | 0x800)");
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LockFlags: u32 {
        /// The CPU only reads.
        const READ_ONLY = 0x1;
        /// The CPU only writes (not together with `READ_ONLY`).
        const WRITE_ONLY = 0x2;
        /// Fail with `ALLOCATION_BUSY` instead of waiting for the GPU.
        const DONOT_WAIT = 0x4;
        /// Skip the busy check altogether (wins over `DONOT_WAIT`).
        const IGNORE_SYNC = 0x8;
        /// Lock the whole allocation, ignoring any page list.
        const LOCK_ENTIRE = 0x10;
        /// Accepted, no effect in the simulator.
        const DONOT_EVICT = 0x20;
        /// Accepted, no effect in the simulator.
        const ACQUIRE_APERTURE = 0x40;
        /// Accepted; the simulator never renames, so the handle stays the same.
        const DISCARD = 0x80;
        /// Accepted, no effect in the simulator.
        const NO_EXISTING_REFERENCE = 0x100;
        /// Accepted, no effect in the simulator.
        const USE_ALTERNATE_VA = 0x200;
        /// Accepted; waits as a plain lock does (the simulator does not tell
        /// GPU reads from writes).
        const IGNORE_READ_SYNC = 0x400;
    }
}

impl LockFlags {
    /// The bits Windows reserves, which must be zero: every bit no flag
    /// names. Not a flag itself, so [`LockFlags::all`] leaves them out.
    pub const RESERVED: LockFlags = LockFlags::from_bits_retain(!LockFlags::all().bits());
}

/// Which pages a legacy lock names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pages<'a> {
    /// The whole allocation (`NumPages == 0` or `LockEntire`).
    Entire,
    /// Zero-based page indices; the mapping starts at the first. Every index
    /// must be below the page count, and the list must not be empty.
    List(&'a [u32]),
}

/// The pages a legacy lock names, as the engine reads them: the whole
/// allocation, or a caller's list read one index at a time.
#[derive(Clone, Copy)]
pub(crate) enum PageList<'a> {
    /// The whole allocation.
    Entire,
    /// Zero-based page indices (an empty list is invalid).
    List(&'a dyn Elements<u32>),
}

impl PageList<'_> {
    /// The byte offset of the first page named, after checking every index
    /// against `page_count`, one by one, up to the first bad one.
    pub(crate) fn offset(self, page_count: u32, page_size: u64) -> Result<usize> {
        let PageList::List(list) = self else { return Ok(0) };
        let count = list.count();
        if count == 0 {
            return Err(ErrorKind::InvalidParameter("the page list is empty or NULL").into());
        }
        let first = list.get(0);
        if first >= page_count || (1..count).any(|i| list.get(i) >= page_count) {
            return Err(ErrorKind::InvalidParameter("a page index is out of range").into());
        }
        Ok((u64::from(first) * page_size) as usize)
    }
}

impl Locker<'_> {
    /// `D3DKMTLock`: flag rules first (reserved bits, `READ_ONLY` with
    /// `WRITE_ONLY`), then as Lock2, then the pages, then busy decided by
    /// the flags: `IGNORE_SYNC` skips it, `DONOT_WAIT` fails, otherwise the
    /// call waits (bounded by the configured timeout).
    pub(crate) fn lock_pages(
        self,
        pass: &mut Pass<'_>,
        device: u32,
        allocation: u32,
        flags: u32,
        pages: PageList<'_>,
    ) -> Result<Locked> {
        let flags = LockFlags::from_bits_retain(flags);
        if flags.intersects(LockFlags::RESERVED) {
            return Err(ErrorKind::InvalidParameter("reserved lock flag bits are set").into());
        }
        if flags.contains(LockFlags::READ_ONLY | LockFlags::WRITE_ONLY) {
            return Err(ErrorKind::InvalidParameter("ReadOnly and WriteOnly together").into());
        }
        let pages = if flags.contains(LockFlags::LOCK_ENTIRE) { PageList::Entire } else { pages };
        let policy = if flags.contains(LockFlags::IGNORE_SYNC) {
            BusyPolicy::Ignore
        } else if flags.contains(LockFlags::DONOT_WAIT) {
            BusyPolicy::Fail
        } else {
            BusyPolicy::Wait
        };
        self.lock(pass, device, allocation, pages, policy)
    }

    /// `D3DKMTLock` on the quiet path (see [`Locker::lock2_quiet`]): only
    /// the success, from the prediction and one CAS (a nested lock retries
    /// from the word the CAS returned). Every error, and a busy allocation
    /// the flags say to wait for, is left to the slow path (`None`), which
    /// decides it in order; nothing is taken then.
    #[inline]
    pub(crate) fn lock_quiet(self, device: u32, allocation: u32, flags: u32, pages: PageList<'_>) -> Option<Locked> {
        let flags = LockFlags::from_bits_retain(flags);
        if flags.intersects(LockFlags::RESERVED) || flags.contains(LockFlags::READ_ONLY | LockFlags::WRITE_ONLY) {
            return None;
        }
        let pages = if flags.contains(LockFlags::LOCK_ENTIRE) { PageList::Entire } else { pages };
        let mask = LockMask::new(!flags.contains(LockFlags::IGNORE_SYNC));
        let (_, slot) = self.0.handles.get(allocation)?;
        let expected = slot.expected();
        if !mask.admits(expected) || slot.device() != device {
            return None;
        }
        // Read after the prediction; a successful CAS from a word of the
        // same life validates them.
        let offset = pages.offset(slot.pages(), self.0.settings.page_size()).ok()?;
        let mapping = slot.mapping();
        let limit = self.0.settings.limit();
        let mut word = expected;
        while mask.admits(word) && word.same_object(expected) && word.count() < limit {
            match slot.try_lock_weak(word) {
                // Combined only now: before the CAS they may be a dying
                // allocation's.
                Ok(()) => return Some(Locked { mapping: mapping.offset(offset), gen: word.gen() }),
                Err(now) => word = now,
            }
        }
        None
    }

    /// `D3DKMTUnlock` with a single handle on the quiet path: the same rules
    /// in the same order as Unlock2.
    #[inline]
    pub(crate) fn unlock_quiet(self, device: u32, list: &dyn Elements<u32>) -> super::Quiet<()> {
        if list.count() == 1 {
            self.unlock2_quiet(device, list.get(0), None)
        } else {
            None
        }
    }

    /// `D3DKMTUnlock`: releases one reference from each listed allocation
    /// (a handle listed twice releases two), all or nothing. In order: an
    /// empty list, the device (live, active), each handle (one by one, up
    /// to the first bad one), then whether each allocation holds as many
    /// references as it is listed times (`NotLocked` otherwise).
    ///
    /// It holds the device lock for the whole call (removal, destroy,
    /// submit and other legacy Unlocks wait), freezes every word it will
    /// change after checking it holds enough references (a racing Lock2 or
    /// Unlock2 can then not change it; slow paths that meet a frozen word
    /// wait for the device lock), and then releases and thaws each word in
    /// one step. If one falls short it thaws the others: nothing was
    /// released.
    pub(crate) fn unlock_pages(self, device: u32, list: &dyn Elements<u32>) -> Result<()> {
        if list.count() == 0 {
            return Err(ErrorKind::InvalidParameter("no allocations to unlock").into());
        }
        let dev = self.allocations().device(device)?.active()?;
        let _inner = dev.lock_active()?;
        // Both grow with the elements read, never with the count claimed.
        let mut asked = Vec::new();
        let mut index = HashMap::new();
        for i in 0..list.count() {
            let a = self.allocations().resolve(&dev, list.get(i))?;
            let at = *index.entry(a.n).or_insert_with(|| {
                asked.push((a, 0u32));
                asked.len() - 1
            });
            asked[at].1 += 1;
        }
        for (i, (a, n)) in asked.iter().enumerate() {
            if !a.slot.freeze(a.gen(), *n) {
                for (a, _) in &asked[..i] {
                    a.slot.thaw();
                }
                return Err(ErrorKind::NotLocked.into());
            }
        }
        for (a, n) in &asked {
            a.slot.release_frozen(*n);
        }
        Ok(())
    }
}
