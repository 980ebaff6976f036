//! Copies in and out of memory that others may be writing at the same
//! time: another Lock2 holder on another thread, a C caller through
//! `pData`, a removal's content loss. Every access is a relaxed atomic
//! one (a byte, or an aligned pointer-sized word for the middle of a long copy),
//! so two Rust copies that overlap are never a data race; what they read
//! may mix the writers' bytes, as a real mapping shared with the GPU would.
//! A plain `memcpy` here would be undefined behaviour the moment two
//! holders copy at once, which the Lock2 contract allows.

// These atomics are accesses to allocation memory, not the engine's
// synchronisation, so they are std's, not the `sync` facade's: loom models
// only atomics it owns, and its atomics cannot be made from a pointer.
// `usize` words, because every target has pointer-sized atomics.
#![allow(clippy::disallowed_types)]

use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicU8, AtomicUsize};

const WORD: usize = core::mem::size_of::<usize>();

/// The bytes before `ptr` is word-aligned (at most `len`), and the whole
/// words after them ([`ends`] gives the bytes left at both ends).
fn split(ptr: *const u8, len: usize) -> (usize, usize) {
    let head = ptr.align_offset(WORD).min(len);
    (head, (len - head) / WORD)
}

/// The byte offsets outside the whole words: the head and the tail.
fn ends(head: usize, words: usize, len: usize) -> impl Iterator<Item = usize> {
    (0..head).chain(head + words * WORD..len)
}

/// Copies `dst.len()` bytes from `src` into `dst`.
///
/// # Safety
///
/// `src..src + dst.len()` is valid for reads *and writes* for the whole
/// call (an atomic load through `AtomicU8::from_ptr` needs a pointer that
/// may write, so `src` must not derive from a shared reference), and every
/// concurrent access to it is atomic or outside Rust.
pub(crate) unsafe fn read(src: *const u8, dst: &mut [u8]) {
    let (head, words) = split(src, dst.len());
    for i in ends(head, words, dst.len()) {
        // SAFETY: `src + i` is inside the readable range (caller), and
        // `AtomicU8` has the alignment and size of `u8`.
        dst[i] = unsafe { AtomicU8::from_ptr(src.add(i).cast_mut()) }.load(Relaxed);
    }
    for w in 0..words {
        let at = head + w * WORD;
        // SAFETY: `src + at` is word-aligned (`split`) and its 8 bytes are
        // inside the readable range.
        let word = unsafe { AtomicUsize::from_ptr(src.add(at).cast::<usize>().cast_mut()) }.load(Relaxed);
        dst[at..at + WORD].copy_from_slice(&word.to_ne_bytes());
    }
}

/// Copies `src` to `dst`.
///
/// # Safety
///
/// `dst..dst + src.len()` is valid for writes for the whole call, does not
/// overlap `src`, and every concurrent access to it is atomic or outside
/// Rust.
pub(crate) unsafe fn write(dst: *mut u8, src: &[u8]) {
    let (head, words) = split(dst, src.len());
    for i in ends(head, words, src.len()) {
        // SAFETY: as in `read`, for writes.
        unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(src[i], Relaxed);
    }
    for w in 0..words {
        let at = head + w * WORD;
        let mut bytes = [0; WORD];
        bytes.copy_from_slice(&src[at..at + WORD]);
        // SAFETY: as in `read`, for writes.
        unsafe { AtomicUsize::from_ptr(dst.add(at).cast::<usize>()) }.store(usize::from_ne_bytes(bytes), Relaxed);
    }
}

/// Sets `len` bytes at `dst` to `byte`.
///
/// # Safety
///
/// As [`write`] for `len` bytes.
pub(crate) unsafe fn fill(dst: *mut u8, byte: u8, len: usize) {
    let (head, words) = split(dst, len);
    let word = usize::from_ne_bytes([byte; WORD]);
    for i in ends(head, words, len) {
        // SAFETY: as in `write`.
        unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(byte, Relaxed);
    }
    for w in 0..words {
        // SAFETY: as in `write`; `dst + head` is word-aligned.
        unsafe { AtomicUsize::from_ptr(dst.add(head + w * WORD).cast::<usize>()) }.store(word, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every alignment and length up to a few words round-trips, and
    /// nothing outside the range is touched.
    #[test]
    fn copies_every_alignment_and_length() {
        let mut memory = [0u8; 64];
        for start in 0..WORD + 1 {
            for len in 0..40 {
                memory.fill(0xEE);
                let data: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(7) | 1).collect();
                // SAFETY: `start + len <= 48 < 64`; nothing else touches `memory`.
                unsafe { write(memory.as_mut_ptr().add(start), &data) };
                let mut back = vec![0; len];
                // SAFETY: as above; the pointer comes from `as_mut_ptr`, as
                // `read` requires (Miri's Stacked Borrows rejects an atomic
                // load through a pointer derived from `&memory`).
                unsafe { read(memory.as_mut_ptr().add(start), &mut back) };
                assert_eq!(back, data, "start {start}, len {len}");
                assert!(memory[..start].iter().chain(&memory[start + len..]).all(|&b| b == 0xEE));
                // SAFETY: as above.
                unsafe { fill(memory.as_mut_ptr().add(start), 0xDD, len) };
                assert!(memory[start..start + len].iter().all(|&b| b == 0xDD));
                assert!(memory[..start].iter().chain(&memory[start + len..]).all(|&b| b == 0xEE));
            }
        }
    }
}
