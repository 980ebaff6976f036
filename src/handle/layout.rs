//! Every bit position of a handle and of a slot's state word, from one
//! definition.
//!
//! A [`Field`] is a run of bits; each field below is declared after the one
//! beneath it, so positions are derived, never typed twice, and two fields
//! can never overlap or disagree about a width. Compile-time asserts check
//! that each layout fills exactly its word.

/// A run of `width` bits starting at bit `shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) shift: u32,
    pub(crate) width: u32,
}

impl Field {
    /// The lowest field of a word.
    pub(crate) const fn first(width: u32) -> Field {
        Field { shift: 0, width }
    }

    /// The field right above `below`.
    pub(crate) const fn after(below: Field, width: u32) -> Field {
        Field { shift: below.end(), width }
    }

    /// The first bit above the field.
    pub(crate) const fn end(self) -> u32 {
        self.shift + self.width
    }

    /// The field's bits, in place.
    pub(crate) const fn mask(self) -> u64 {
        (u64::MAX >> (64 - self.width)) << self.shift
    }

    /// The field's value in `word`.
    #[inline(always)]
    pub(crate) const fn get(self, word: u64) -> u64 {
        (word & self.mask()) >> self.shift
    }

    /// `value` moved into the field (the caller keeps it in range).
    #[inline(always)]
    pub(crate) const fn put(self, value: u64) -> u64 {
        (value << self.shift) & self.mask()
    }

    /// The largest value the field holds.
    pub(crate) const fn max(self) -> u64 {
        u64::MAX >> (64 - self.width)
    }
}

// === the handle (a 32-bit D3DKMT_HANDLE), Windows' local-handle shape ===
//
//  31  30  29                                   6  5      0
// +---+---+--------------------------------------+--------+
// | 0 | 1 |             n (1 .. 2^24)            |   0    |
// +---+---+--------------------------------------+--------+

/// Bits 0..6: zero in a local handle (shared handles, once they exist,
/// carry 2 here).
pub(crate) const HANDLE_INSTANCE: Field = Field::first(6);
/// Bits 6..30: `n`, the handle's place in the simulator's one sequence.
pub(crate) const HANDLE_INDEX: Field = Field::after(HANDLE_INSTANCE, 24);
/// Bit 30: set in every local handle.
pub(crate) const HANDLE_LOCAL: Field = Field::after(HANDLE_INDEX, 1);
/// Bit 31: clear in every handle the simulator issues.
pub(crate) const HANDLE_HIGH: Field = Field::after(HANDLE_LOCAL, 1);
const _: () = assert!(HANDLE_HIGH.end() == 32);

// === a slot's state word (64 bits) ===
//
//  63            42 41   37 36     35    34    33     32   31             0
// +----------------+-------+------+-----+-----+-------+----+----------------+
// |      gen       | kind  |FROZEN|CPU_V|BUSY |REMOVED|LIVE|    payload     |
// +----------------+-------+------+-----+-----+-------+----+----------------+
//
// The payload is the lock count of an allocation and the removal reason of
// a device; FROZEN, CPU_V, BUSY and REMOVED are allocation bits, clear in
// the word of every other kind.

/// Bits 0..32: the kind's payload.
pub(crate) const PAYLOAD: Field = Field::first(32);
/// An allocation's lock count: the whole payload.
pub(crate) const COUNT: Field = PAYLOAD;
/// A device's removal reason (0 while active): the payload's low byte.
pub(crate) const REASON: Field = Field::first(8);
/// The slot holds a live object of `kind` and generation `gen`.
pub(crate) const LIVE: Field = Field::after(PAYLOAD, 1);
/// The owning device was removed (sticky while the allocation lives).
pub(crate) const REMOVED: Field = Field::after(LIVE, 1);
/// Uncompleted submitted work references the allocation.
pub(crate) const BUSY: Field = Field::after(REMOVED, 1);
/// The allocation is CPU-visible (lockable).
pub(crate) const CPU_VISIBLE: Field = Field::after(BUSY, 1);
/// A legacy Unlock holds the word for a moment.
pub(crate) const FROZEN: Field = Field::after(CPU_VISIBLE, 1);
/// The object's kind (`HandleKind`'s code): 32 kinds possible.
pub(crate) const KIND: Field = Field::after(FROZEN, 5);
/// Bumped each time the slot is reused, so no word ever repeats.
pub(crate) const GEN: Field = Field::after(KIND, 64 - KIND.end());
const _: () = assert!(GEN.end() == 64 && GEN.width >= 20);
const _: () = assert!(REASON.end() <= PAYLOAD.end());
