//! Address space on demand (docs/memory.md): an empty simulator reserves at
//! most 64 MiB of address space, a thousand simulators live in one process,
//! and when the host refuses memory, creation fails with
//! `STATUS_NO_MEMORY` (never a panic, never an abort) and the simulator
//! stays usable.
//!
//! Address space is per process, so the measuring test reads the whole
//! process's `VmSize`; what other tests of this binary do concurrently is
//! far below the limits checked (they run in child processes). The memory
//! limit is a real `ulimit -v` on a child process of this binary (the same
//! executable, filtered to one ignored test), so a wrong answer (an abort,
//! a fault) ends the child, not this test.

use d3dkmt_sim::{AllocationDesc, ErrorKind, NtStatus, SimConfig, Simulator};

const MIB: u64 = 1 << 20;

/// `VmSize` of this process (Linux's `/proc/self/status`), in bytes.
fn address_space() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

#[test]
fn an_empty_simulator_reserves_at_most_64_mib_and_a_thousand_fit_in_one_process() {
    // Only Linux reports a process's reserved address space cheaply;
    // elsewhere the thousand simulators still run, unmeasured.
    // A first simulator, dropped, warms what is not the simulator's: the
    // allocator's arena for this thread (glibc reserves 64 MiB of address
    // space for a thread's first allocation) and the library's statics.
    // Then 64 empty simulators, alive together, averaged: another thread
    // of this binary starting its own arena meanwhile adds at most 2 MiB
    // to the average.
    drop(Simulator::new(SimConfig::default()).unwrap());
    let before = address_space();
    if before.is_none() {
        eprintln!("no /proc/self/status VmSize on this host: address space is not measured");
    }
    let empty: Vec<Simulator> = (0..64).map(|_| Simulator::new(SimConfig::default()).unwrap()).collect();
    if let (Some(before), Some(after)) = (before, address_space()) {
        let each = after.saturating_sub(before) / 64;
        assert!(each <= 64 * MIB, "an empty simulator reserves {} MiB", each / MIB);
        println!(
            "VmSize grew {} KiB per empty simulator (the allocator may serve part from space it holds)",
            each / 1024
        );
    }

    // A thousand at once, each used: enumerate, a device, an allocation,
    // a lock that writes and a second lock that reads it back.
    let before_many = address_space();
    let mut sims = Vec::new();
    for i in 0..1000u32 {
        let sim = Simulator::new(SimConfig::default()).unwrap_or_else(|e| panic!("simulator {i}: {e}"));
        let adapter = sim.enum_adapters().unwrap()[0].handle;
        let device = sim.create_device(adapter).unwrap();
        let alloc = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
        sim.lock2_guard(device, alloc).unwrap().write_at(0, &i.to_le_bytes()).unwrap();
        sims.push((sim, device, alloc));
    }
    if let (Some(before), Some(after)) = (before_many, address_space()) {
        let per_sim = after.saturating_sub(before) / 1000;
        assert!(per_sim <= 64 * MIB, "a used simulator holds {} MiB of address space", per_sim / MIB);
    }
    for (i, (sim, device, alloc)) in sims.iter().enumerate() {
        let mut back = [0u8; 4];
        sim.lock2_guard(*device, *alloc).unwrap().read_at(0, &mut back).unwrap();
        assert_eq!(u32::from_le_bytes(back), i as u32, "simulator {i} kept its own content");
    }
    drop(sims);
    drop(empty);
}

/// Runs the ignored test `name` of this binary in a child process under
/// `ulimit -v <kib>`; returns its combined output, failing if the child did
/// not exit with success.
#[cfg(unix)]
fn run_limited(name: &str, kib: u64) -> String {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" --exact {name} --ignored --nocapture --test-threads=1"))
        .arg(exe)
        .output()
        .expect("sh runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the child under ulimit -v {kib} failed ({}):\n{text}", out.status);
    assert!(text.contains("1 passed"), "the child did not run {name}:\n{text}");
    text
}

/// Skipped under AddressSanitizer (`.ci/asan.sh` passes `--skip`): ASan
/// maps its shadow memory (about 14 TiB of address space, reserved, not
/// committed) when the process starts, so under `ulimit -v 300000` the
/// child dies in ASan's start-up before any of this code runs.
#[test]
#[cfg(unix)] // `ulimit -v` is a POSIX shell's; Windows has no per-process address-space limit to set.
fn under_a_real_ulimit_creation_fails_with_no_memory_and_the_simulator_stays_usable() {
    let text = run_limited("child_fills_the_address_space_a_ulimit_allows", 300_000);
    assert!(text.contains("refused after"), "the child never met the limit:\n{text}");
}

/// The child: under `ulimit -v 300000` (about 293 MiB), with a 64 GiB
/// budget so the host refuses before the budget does.
#[test]
#[ignore = "run by under_a_real_ulimit_…, in a child process under ulimit -v"]
fn child_fills_the_address_space_a_ulimit_allows() {
    let sim = Simulator::new(SimConfig::default().adapter_memory(64 << 30)).unwrap();
    let adapter = sim.enum_adapters().unwrap()[0].handle;
    let device = sim.create_device(adapter).unwrap();

    // One allocation far past the limit: refused, and nothing taken (the
    // next creation gets the handle a twin that never asked gets).
    assert_eq!(sim.create_allocation(device, AllocationDesc::new(32 << 30)), Err(ErrorKind::NoMemory.into()));
    assert_eq!(ErrorKind::NoMemory.status(), NtStatus::NO_MEMORY);
    let twin = Simulator::new(SimConfig::default().adapter_memory(64 << 30)).unwrap();
    let twin_device = twin.create_device(twin.enum_adapters().unwrap()[0].handle).unwrap();
    let probe = sim.create_allocation(device, AllocationDesc::new(4096)).unwrap();
    assert_eq!(probe, twin.create_allocation(twin_device, AllocationDesc::new(4096)).unwrap());
    sim.destroy_allocations(device, &[probe]).unwrap();
    drop(twin);

    // 8 MiB allocations, each written, until the host refuses.
    let mut live = Vec::new();
    let refused = loop {
        match sim.create_allocation(device, AllocationDesc::new(8 * MIB)) {
            Ok(a) => {
                sim.lock2_guard(device, a).unwrap().write_at(0, &(live.len() as u64).to_le_bytes()).unwrap();
                live.push(a);
                assert!(live.len() < 64, "300 MB of address space held {} allocations of 8 MiB", live.len());
            }
            Err(e) => break e,
        }
    };
    assert_eq!(refused, ErrorKind::NoMemory, "the host's refusal is STATUS_NO_MEMORY");
    assert!(!live.is_empty(), "some allocations fit under the limit");
    println!("refused after {} allocations of 8 MiB", live.len());

    // Still usable: what was written is there, and freeing makes room.
    for (i, &a) in live.iter().enumerate() {
        let mut back = [0u8; 8];
        sim.lock2_guard(device, a).unwrap().read_at(0, &mut back).unwrap();
        assert_eq!(u64::from_le_bytes(back), i as u64);
    }
    let last = live.pop().unwrap();
    sim.destroy_allocations(device, &[last]).unwrap();
    let again = sim.create_allocation(device, AllocationDesc::new(8 * MIB)).unwrap();
    sim.lock2_guard(device, again).unwrap().write_at(8 * MIB as usize - 1, &[7]).unwrap();
    // And a new simulator can still be built in what is left.
    sim.destroy_device(device).unwrap();
    let other = Simulator::new(SimConfig::default()).unwrap();
    assert!(other.adapter_count() >= 1);
}
