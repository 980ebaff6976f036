//! Simulated GPU work: submissions that keep allocations busy until their
//! fence completes.
//!
//! Each device has its own fence counter (its first submission gets 1) and
//! keeps its pending work in fence order, with a count of uncompleted
//! submissions per allocation. Submit sets BUSY in an allocation's word when
//! its count goes from 0 to 1; completing a fence retires the work up to it
//! and clears BUSY when a count reaches 0. Work records each allocation's
//! life (slot and generation), so work that outlives a destroyed allocation
//! never touches the slot's next occupant.

use std::collections::{HashSet, VecDeque};

use crate::allocation::Allocations;
use crate::call::Elements;
use crate::device::{life_key, Work};
use crate::error::{ErrorKind, Result};
use crate::handle::HandleKind;

/// `SimKmtSubmit`: in this order, an empty list (`InvalidParameter`), the
/// device (live, active), every handle (an allocation of the device; a
/// handle listed twice is one reference of this work). Returns the fence.
pub(crate) fn submit(allocations: Allocations<'_>, device: u32, list: &dyn Elements<u32>) -> Result<u64> {
    if list.count() == 0 {
        return Err(ErrorKind::InvalidParameter("work must reference an allocation").into());
    }
    let dev = allocations.device(device)?.active()?;
    let mut inner = dev.lock_active()?;
    // Both grow with the elements read, never with the count claimed.
    let (mut seen, mut distinct) = (HashSet::new(), Vec::new());
    for i in 0..list.count() {
        let a = allocations.resolve(&dev, list.get(i))?;
        if seen.insert(a.n) {
            distinct.push(a);
        }
    }
    let fence = inner.next_fence;
    inner.next_fence += 1;
    let mut keys = Vec::with_capacity(distinct.len());
    for a in distinct {
        let key = life_key(a.n, a.gen());
        let count = inner.busy.entry(key).or_insert(0);
        *count += 1;
        if *count == 1 {
            a.slot.set_busy(a.gen(), true);
        }
        keys.push(key);
    }
    inner.pending.push_back(Work { fence, allocations: keys });
    Ok(fence)
}

/// `SimKmtCompleteFence`: retires all the device's work with a fence
/// `<= value` (a value above the last issued fence completes everything; 0
/// does nothing) and wakes blocked locks.
pub(crate) fn complete(allocations: Allocations<'_>, device: u32, value: u64) -> Result<()> {
    let dev = allocations.device(device)?.active()?;
    if value == 0 {
        return Ok(());
    }
    let mut inner = dev.lock_active()?;
    let mut retired: VecDeque<Work> = VecDeque::new();
    while inner.pending.front().is_some_and(|w| w.fence <= value) {
        retired.extend(inner.pending.pop_front());
    }
    for work in retired {
        for key in work.allocations {
            let Some(count) = inner.busy.get_mut(&key) else { continue };
            *count -= 1;
            if *count == 0 {
                inner.busy.remove(&key);
                let (n, gen) = (key as u32, key >> 32);
                if let Some(slot) = allocations.0.handles.at(n) {
                    slot.set_busy(gen, false);
                }
            }
        }
    }
    drop(inner);
    dev.wake().notify_all();
    Ok(())
}

/// The last fence issued on the device (0 before the first submission).
pub(crate) fn last_fence(allocations: Allocations<'_>, device: u32) -> Result<u64> {
    let dev = allocations.device(device)?;
    let inner = dev.lock().map_err(|_| ErrorKind::InvalidHandle(HandleKind::Device))?;
    Ok(inner.next_fence.saturating_sub(1))
}
