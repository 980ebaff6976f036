//! [`Table`]: the slots handles name, and the one sequence that issues them.
//!
//! Slot `n` is what handle `0x40000000 | (n << 6)` names, whatever the kind
//! of object in it. Slots live in [`Slots`] (chunks allocated as the
//! sequence reaches them, never moved or freed while the table lives), so a
//! stale handle always reads a real slot, whose state word then rejects it.
//!
//! # Reuse policy
//!
//! A new object takes the value retired longest ago if at least
//! [`QUARANTINE`] objects were created since it was retired; otherwise the
//! next value never used (1, 2, 3, …). So a destroyed handle comes back only
//! after 4096 other creations, at the earliest, and the table holds at most
//! the live objects plus the values retired during the last 4096 creations.
//! When every value up to 2^24 − 1 is in use or too recently retired, the
//! table is full and creation fails with `STATUS_NO_MEMORY`, never handing a
//! value out early. Issue order depends only on the order of calls, so a
//! run replays with the same handles.

use std::collections::VecDeque;

use super::MAX_INDEX;
use crate::mem::Slots;
use crate::sync::Mutex;

/// Creations a retired value waits before it is handed out again.
pub(crate) const QUARANTINE: u64 = 4096;

#[cfg(not(any(loom, shuttle)))]
type Storage<T> = Slots<T, 8, { 1 << 16 }>;
// The full-size table holds every `n`: `Table::get` takes its fast lookup.
#[cfg(not(any(loom, shuttle)))]
const _: () = assert!(Storage::<u8>::CAPACITY as u64 == MAX_INDEX as u64 + 1);
// A loom model holds a handful of objects: a small table keeps its
// construction cheap.
#[cfg(any(loom, shuttle))]
type Storage<T> = Slots<T, 2, 16>;

/// The slots handles name and the sequence that issues them.
pub(crate) struct Table<T> {
    slots: Storage<T>,
    issue: Mutex<Issue>,
}

struct Issue {
    /// The next value never handed out.
    next: u32,
    /// Creations so far (the quarantine's clock).
    created: u64,
    /// Retired values, oldest first, with the creation count at retirement.
    retired: VecDeque<(u32, u64)>,
}

impl Issue {
    const fn new() -> Self {
        Issue { next: 1, created: 0, retired: VecDeque::new() }
    }

    /// The values the next `count` creations get, without taking them:
    /// for each creation, the oldest retired value if its quarantine is
    /// over, else the next fresh one. `None` when the sequence runs out.
    fn plan(&self, count: usize) -> Option<Vec<u32>> {
        let mut values = Vec::new();
        values.try_reserve_exact(count).ok()?;
        let (mut reused, mut next, mut created) = (0, self.next, self.created);
        while values.len() < count {
            match self.retired.get(reused) {
                Some(&(n, at)) if created - at >= QUARANTINE => {
                    reused += 1;
                    values.push(n);
                }
                _ if next <= MAX_INDEX => {
                    values.push(next);
                    next += 1;
                }
                _ => return None,
            }
            created += 1;
        }
        Some(values)
    }

    /// Takes what [`Issue::plan`] planned.
    fn commit(&mut self, values: &[u32]) {
        for &n in values {
            if self.retired.front().is_some_and(|&(r, _)| r == n) {
                self.retired.pop_front();
            } else {
                self.next += 1;
            }
            self.created += 1;
        }
    }
}

impl<T: Default> Table<T> {
    /// An empty table; `None` when the host refuses the directory's memory.
    pub(crate) fn new() -> Option<Self> {
        Some(Table { slots: Storage::new()?, issue: Mutex::new(Issue::new()) })
    }

    /// The slot a raw handle names, with its `n`; `None` for a value without
    /// the handle shape or beyond what was ever issued. (`0x40000000`, n = 0,
    /// names slot 0, which is never issued, so its word refuses it.)
    #[inline(always)]
    pub(crate) fn get(&self, raw: u32) -> Option<(u32, &T)> {
        let n = super::index_of_shaped(raw)?;
        // The slot from the handle's bits above the instance field, not from
        // `n`: the table's capacity is exactly `n`'s 24 bits, so masking
        // there drops the local bit too, and the compiler folds the offset
        // into one mask of `raw` (`n` itself is needed only off the hot path).
        // (A smaller table, as under loom, takes the checked lookup.)
        let slot = if Storage::<T>::CAPACITY as u64 == MAX_INDEX as u64 + 1 {
            self.slots.get_wrapping((raw >> super::layout::HANDLE_INDEX.shift) as usize)
        } else {
            self.slots.get(n as usize)
        };
        Some((n, slot?))
    }

    /// Slot `n`.
    #[inline]
    pub(crate) fn at(&self, n: u32) -> Option<&T> {
        self.slots.get(n as usize)
    }

    /// Issues `count` values for new objects, all or none: `None` (and
    /// nothing changed) when the table is full or the host refuses memory.
    /// The caller initialises each slot and publishes it, and calls this only
    /// once nothing else can fail.
    pub(crate) fn issue(&self, count: usize) -> Option<Vec<(u32, &T)>> {
        let mut issue = self.issue.lock();
        let values = issue.plan(count)?;
        if !values.iter().all(|&n| self.slots.ensure(n as usize)) {
            return None;
        }
        issue.commit(&values);
        drop(issue);
        // Every value's chunk exists now.
        values.into_iter().map(|n| Some((n, self.slots.get(n as usize)?))).collect()
    }

    /// Returns value `n` to the sequence after its object died. When the
    /// host refuses the few bytes to remember it, the value is never handed
    /// out again (the table holds 2^24 values; a process that short of
    /// memory loses one rather than aborting).
    pub(crate) fn retire(&self, n: u32) {
        let mut issue = self.issue.lock();
        let at = issue.created;
        if issue.retired.try_reserve(1).is_ok() {
            issue.retired.push_back((n, at));
        }
    }

    /// Starts the sequence over, as in a new table; the caller has retired
    /// every object. Slots stay (a racing reader still reads valid memory),
    /// with their state words: generations keep counting across a restart.
    pub(crate) fn restart(&self) {
        *self.issue.lock() = Issue::new();
    }

    /// One past the highest value issued since the last restart.
    pub(crate) fn issued_end(&self) -> u32 {
        self.issue.lock().next
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::handle::handle_of;

    fn table() -> Table<u8> {
        Table::new().unwrap()
    }

    fn ns(taken: Option<Vec<(u32, &u8)>>) -> Vec<u32> {
        taken.unwrap().into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn values_come_in_sequence_from_one() {
        let t = table();
        assert_eq!(ns(t.issue(3)), [1, 2, 3]);
        assert_eq!(ns(t.issue(1)), [4]);
        assert!(t.get(handle_of(4)).is_some());
        assert!(t.get(0x4000_0001).is_none(), "no handle shape");
        // n = 0 is not a handle: it reads slot 0, which is never issued.
        assert_eq!(t.get(0x4000_0000).map(|(n, _)| n), Some(0));
        assert!(!ns(t.issue(200)).contains(&0));
    }

    #[test]
    // Thousands of creations over the full-size table: each takes minutes
    // under Miri, which the other table tests cover line for line.
    #[cfg_attr(miri, ignore = "thousands of creations: minutes under Miri")]
    fn a_retired_value_waits_for_4096_creations() {
        let t = table();
        let first = ns(t.issue(1))[0];
        t.retire(first);
        for k in 1..=QUARANTINE {
            let n = ns(t.issue(1))[0];
            assert_ne!(n, first, "reissued after {k} creations");
            t.retire(n);
        }
        assert_eq!(ns(t.issue(1)), [first], "the oldest retired value comes back first");
    }

    #[test]
    // Thousands of creations over the full-size table: each takes minutes
    // under Miri, which the other table tests cover line for line.
    #[cfg_attr(miri, ignore = "thousands of creations: minutes under Miri")]
    fn retiring_many_at_once_does_not_shorten_the_wait() {
        let t = table();
        let all = ns(t.issue(5000));
        for &n in &all {
            t.retire(n);
        }
        // 5000 values wait, but none has seen 4096 creations since.
        assert_eq!(ns(t.issue(1)), [5001]);
    }

    #[test]
    fn a_full_table_refuses_and_changes_nothing() {
        let t = table();
        {
            let mut issue = t.issue.lock();
            issue.next = MAX_INDEX; // one fresh value left
        }
        assert!(t.issue(2).is_none());
        assert_eq!(ns(t.issue(1)), [MAX_INDEX], "a refused request took nothing");
        t.retire(MAX_INDEX);
        assert!(t.issue(1).is_none(), "a recently retired value is not handed out early");
    }

    #[test]
    fn restart_issues_the_same_sequence() {
        let t = table();
        ns(t.issue(7));
        t.retire(3);
        t.restart();
        assert_eq!(ns(t.issue(2)), [1, 2]);
        assert_eq!(t.issued_end(), 3);
    }
}
