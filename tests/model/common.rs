//! The constants and helpers the model's parts share (`ops`, `reference`,
//! `harness`), in a file of their own so that the fuzz target
//! `tests/fuzz/fuzz_targets/model.rs` can include the same parts with
//! `#[path]` and drive them from fuzz input.

use d3dkmt_sim::NtStatus;

pub(crate) const OK: NtStatus = NtStatus::SUCCESS;
pub(crate) const IP: NtStatus = NtStatus::INVALID_PARAMETER;
pub(crate) const DR: NtStatus = NtStatus::DEVICE_REMOVED;
pub(crate) const BUSY: NtStatus = NtStatus::GRAPHICS_ALLOCATION_BUSY;
pub(crate) const TMR: NtStatus = NtStatus::GRAPHICS_TOO_MANY_REFERENCES;
pub(crate) const NVM: NtStatus = NtStatus::GRAPHICS_NO_VIDEO_MEMORY;

/// docs/contract.md §6 rule 1: the legacy lock's reserved flag bits.
pub(crate) const RESERVED_LOCK_BITS: u32 = 0xFFFF_F800;
pub(crate) const FLAG_READ_ONLY: u32 = 0x1;
pub(crate) const FLAG_WRITE_ONLY: u32 = 0x2;
pub(crate) const FLAG_DONOT_WAIT: u32 = 0x4;
pub(crate) const FLAG_IGNORE_SYNC: u32 = 0x8;
pub(crate) const FLAG_LOCK_ENTIRE: u32 = 0x10;

/// The byte of each page that the test writes and probes.
pub(crate) const PROBE: u64 = 17;
pub(crate) const LOST: u8 = 0xDD;

/// Handles that (with 2 adapters and a few dozen objects) are never issued:
/// the last two values of the sequence (n = 2^24 - 1 and 2^24 - 2). Used
/// when a pick has nothing to pick.
pub(crate) const NEVER_ALLOCATION: u32 = 0x7FFF_FFC0;
pub(crate) const NEVER_DEVICE: u32 = 0x7FFF_FF80;

/// Random bits made into a value with the local-handle shape
/// (`0x40000000 | n << 6`, n >= 1), so the typed API accepts it. It may
/// name nothing, an object of another kind, or (rarely) a live object: the
/// model keys its objects by raw value, so it predicts all three.
pub(crate) fn shaped(bits: u32) -> u32 {
    0x4000_0000 | (((bits >> 6) & 0xFF_FFFF).max(1) << 6)
}

/// The adapters of every simulator the model tests build.
pub(crate) const ADAPTERS: usize = 2;
