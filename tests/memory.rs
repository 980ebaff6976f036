//! Lazily committed backing memory (docs/contract.md §4): a 1 TiB allocation
//! (4 GiB on Windows, see [`SIZE`]) is created, locked, written half-way and
//! read back while resident memory grows by less than 64 MiB; its removal
//! loses the written page (0xDD) without committing the rest.
//!
//! Resident memory is per process, so this file holds a single test: no
//! other test in this binary can allocate while it measures.

use d3dkmt_sim::mem::resident_bytes;
use d3dkmt_sim::{AllocationDesc, ExecutionState, SimConfig, Simulator};

const TIB: u64 = 1 << 40;
const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// The allocation's size. Windows commits a region whole when it is created
/// (src/mem/os/windows.rs), charging all of it against the commit limit (RAM
/// plus page files), so an ordinary machine refuses 1 TiB; and Wine, under
/// which CI runs the Windows build, keeps write-watch state per page in
/// resident memory (measured: 256 MiB for 1 TiB, a byte a page). 4 GiB still
/// shows that one written page costs far less than the allocation's size.
const SIZE: u64 = if cfg!(windows) { 4 * GIB } else { TIB };

#[test]
fn one_tib_allocation_commits_only_what_is_touched() {
    let Some(before) = resident_bytes() else {
        eprintln!("no /proc/self/statm on this host: resident memory cannot be measured");
        return;
    };
    let sim = Simulator::new(SimConfig::default().adapter_memory(2 * SIZE)).unwrap();
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();
    let alloc = sim.create_allocation(device, AllocationDesc::new(SIZE)).unwrap();
    assert_eq!(sim.query_allocation(device, alloc).unwrap().size, SIZE);

    let guard = sim.lock2_guard(device, alloc).unwrap();
    assert_eq!(guard.mapping().len() as u64, SIZE);
    let at = (SIZE / 2) as usize;
    guard.write_at(at, b"far away texels").unwrap();
    let mut back = [0u8; 15];
    guard.read_at(at, &mut back).unwrap();
    assert_eq!(&back, b"far away texels");
    // Untouched memory far from the write reads as zero.
    let mut zero = [0xFFu8; 8];
    guard.read_at((SIZE - 8) as usize, &mut zero).unwrap();
    assert_eq!(zero, [0; 8]);
    drop(guard);

    let grown = resident_bytes().unwrap().saturating_sub(before);
    assert!(grown < 64 * MIB, "resident memory grew by {} MiB for one written page", grown / MIB);

    // Removal loses the written page and nothing else is committed.
    sim.remove_device(device, ExecutionState::Reset).unwrap();
    sim.peek(device, alloc, at, &mut back).unwrap();
    assert_eq!(back, [0xDD; 15]);
    // (A page that was only read counts as touched and may read 0xDD; one
    // never touched at all stays zero.)
    sim.peek(device, alloc, (SIZE / 4) as usize, &mut zero).unwrap();
    assert_eq!(zero, [0; 8], "a page never touched is not filled on removal");
    let grown = resident_bytes().unwrap().saturating_sub(before);
    assert!(grown < 64 * MIB, "removal committed memory: resident grew by {} MiB", grown / MIB);

    sim.destroy_device(device).unwrap();
}
