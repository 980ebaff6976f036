//! Device removal: a device removed on purpose, every device of an adapter
//! reset (a TDR) or an adapter surprise-removed.
//!
//! Removal is sticky: the first reason stays until the device is destroyed.
//! It drops every lock on the device's allocations, retires its pending
//! work and loses the content of its allocations (every written byte reads
//! 0xDD), while their memory stays mapped.

use crate::allocation::Allocations;
use crate::device::{DeviceInner, ExecutionState, LiveDevice};
use crate::error::{ErrorKind, Result};

/// `SimKmtRemoveDevice`: removes the device with `reason` (any but
/// `Active`). Removing a removed device again is `DeviceRemoved` and keeps
/// the first reason.
pub(crate) fn remove_device(allocations: Allocations<'_>, device: u32, reason: ExecutionState) -> Result<()> {
    if !reason.is_removal_reason() {
        return Err(ErrorKind::InvalidParameter("ACTIVE is not a removal reason").into());
    }
    let dev = allocations.device(device)?.active()?;
    let mut inner = dev.lock_active()?;
    remove_locked(allocations, &dev, &mut inner, reason);
    Ok(())
}

/// `SimKmtResetAdapter`: every live device of adapter `index` is removed
/// with reason `Reset`; new devices can be created afterwards. On a removed
/// adapter: `DeviceRemoved`.
pub(crate) fn reset_adapter(allocations: Allocations<'_>, index: u32) -> Result<()> {
    remove_adapter_devices(allocations, index, ExecutionState::Reset)
}

/// `SimKmtRemoveAdapter`: surprise removal of adapter `index`. Every device
/// is removed with reason `Stopped`, the LUID disappears from enumeration
/// and creating a device on a still-open handle fails with `DeviceRemoved`.
pub(crate) fn remove_adapter(allocations: Allocations<'_>, index: u32) -> Result<()> {
    remove_adapter_devices(allocations, index, ExecutionState::Stopped)
}

/// Both adapter removals: a TDR (`Reset`) leaves the adapter present, a
/// surprise removal (`Stopped`) marks it removed first; either on a removed
/// adapter is `DeviceRemoved`.
fn remove_adapter_devices(allocations: Allocations<'_>, index: u32, reason: ExecutionState) -> Result<()> {
    let adapter = allocations.0.adapters.get(index);
    let devices = adapter.devices();
    if adapter.is_removed() {
        return Err(ErrorKind::DeviceRemoved.into());
    }
    if reason == ExecutionState::Stopped {
        adapter.mark_removed();
    }
    remove_all(allocations, devices.iter().copied(), reason);
    Ok(())
}

/// Removes each live, active device of a list (an adapter's, whose lock
/// the caller holds).
fn remove_all(allocations: Allocations<'_>, devices: impl Iterator<Item = u32>, reason: ExecutionState) {
    for raw in devices {
        let Ok(dev) = allocations.device(raw) else { continue };
        let Ok(mut inner) = dev.lock_active() else { continue };
        remove_locked(allocations, &dev, &mut inner, reason);
    }
}

/// Removal proper; the caller holds the device's lock and checked that it
/// is live and active.
///
/// Order matters: first every allocation word gets REMOVED with its lock
/// count dropped to 0 (so every lock, fast or slow, fails from here on);
/// then pending work is retired and content is lost; last the device's own
/// reason is published, the predictions say REMOVED, and waiters are woken.
/// Whoever sees the device removed therefore also sees every allocation
/// removed.
pub(crate) fn remove_locked(
    allocations: Allocations<'_>,
    dev: &LiveDevice<'_>,
    inner: &mut DeviceInner,
    reason: ExecutionState,
) {
    let slots = || inner.allocations.keys().filter_map(|&n| allocations.0.handles.at(n));
    for slot in slots() {
        slot.mark_removed();
    }
    for slot in slots() {
        if let Some(view) = slot.memory().view() {
            view.lose_content();
        }
    }
    dev.slot().set_reason(reason.to_raw());
    for slot in slots() {
        slot.publish_removal();
    }
    inner.pending.clear();
    inner.busy.clear();
    dev.wake().notify_all();
}
