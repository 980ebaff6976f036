//! A walk through the D3DKMTLock2 contract on the built-in default simulator.
//!
//! Run with `cargo run --example demo`. Each call prints the status the
//! simulator returned (the NTSTATUS a Windows caller would see, by name and
//! value) and, for a failure, the Rust error behind it. Every figure is
//! computed from what the simulator reports. `tests/demo.rs` runs it and
//! checks that every status of the Lock2 contract appears.

use std::io::{self, Write};
use std::thread;
use std::time::Duration;

use d3dkmt_sim::*;

/// One call's line: what was called, its status and, for a failure, the
/// Rust error.
fn show<T>(out: &mut dyn Write, call: &str, result: &Result<T>, note: &str) -> io::Result<()> {
    let status = status_of(result);
    let name = status.name().unwrap_or("?");
    let error = match result {
        Ok(_) => String::new(),
        Err(e) if e.is_injected() => format!("  [Rust: ErrorKind::{:?}, injected]", e.kind()),
        Err(e) => format!("  [Rust: ErrorKind::{:?}]", e.kind()),
    };
    writeln!(
        out,
        "  {call:<40} -> {name} ({status}){error}{}",
        if note.is_empty() { String::new() } else { format!("  {note}") }
    )
}

/// The whole walk, written to `out`.
pub fn run(out: &mut dyn Write) -> std::result::Result<(), Box<dyn std::error::Error>> {
    const LIMIT: u32 = 4;
    let config = SimConfig::default().max_lock_references(LIMIT);
    writeln!(out, "d3dkmt-sim demo: the default simulator, lock-reference limit lowered to {LIMIT}\n")?;
    let mut sim = Simulator::new(config.clone())?;

    writeln!(out, "1. Adapters, a device, an allocation")?;
    let adapters = sim.enum_adapters()?;
    let (adapter, luid) = (adapters[0].handle, adapters[0].luid);
    writeln!(
        out,
        "  {} adapter(s); adapter 0: handle 0x{:08X}, LUID {:08X}:{:08X} (as the C demo prints it)",
        adapters.len(),
        adapter.raw(),
        luid.high,
        luid.low
    )?;
    let device = sim.create_device(adapter)?;
    writeln!(out, "  device 0x{:08X}, state {:?}", device.raw(), sim.device_state(device)?)?;
    let asked = 3 * 4096 + 1;
    let alloc = sim.create_allocation(device, AllocationDesc::new(asked))?;
    let info = sim.query_allocation(device, alloc)?;
    writeln!(
        out,
        "  allocation 0x{:08X}: {asked} bytes asked for, {} bytes in {} pages\n",
        alloc.raw(),
        info.size,
        info.page_count
    )?;

    writeln!(out, "2. Lock2 nests; content survives")?;
    let first = sim.lock2(device, alloc);
    show(out, "Lock2", &first, "")?;
    let second = sim.lock2(device, alloc);
    show(out, "Lock2 again (nested)", &second, "")?;
    writeln!(out, "  same pData both times: {}", first?.as_ptr() == second?.as_ptr())?;
    show(out, "Unlock2", &sim.unlock2(device, alloc), "")?;
    show(out, "Unlock2", &sim.unlock2(device, alloc), "")?;
    show(out, "Unlock2 with nothing locked", &sim.unlock2(device, alloc), "")?;
    sim.lock2_guard(device, alloc)?.write_at(4096, b"texels")?;
    let mut back = [0u8; 6];
    sim.lock2_guard(device, alloc)?.read_at(4096, &mut back)?;
    writeln!(out, "  written under one lock, read at the next: {:?}\n", String::from_utf8_lossy(&back))?;

    writeln!(out, "3. Busy: GPU work references the allocation")?;
    let fence = sim.submit(device, &[alloc])?;
    writeln!(out, "  submitted, fence {fence}")?;
    show(out, "Lock2 while busy (policy Fail)", &sim.lock2(device, alloc), "")?;
    show(out, "CompleteFence", &sim.complete_fence(device, fence), "")?;
    show(out, "Lock2", &sim.lock2(device, alloc), "no longer busy")?;
    sim.unlock2(device, alloc)?;
    writeln!(out)?;

    writeln!(out, "4. The lock-reference limit ({LIMIT} here, 1024 by default)")?;
    for n in 1..=LIMIT + 1 {
        let result = sim.lock2(device, alloc);
        if n == 1 || n > LIMIT {
            show(out, &format!("Lock2 #{n}"), &result, "")?;
        }
    }
    writeln!(out, "  lock count: {}", sim.query_allocation(device, alloc)?.lock_count)?;
    for _ in 0..LIMIT {
        sim.unlock2(device, alloc)?;
    }
    writeln!(out)?;

    writeln!(out, "5. Bad handles")?;
    let doomed = sim.create_allocation(device, AllocationDesc::new(4096))?;
    sim.destroy_allocations(device, &[doomed])?;
    show(out, "Lock2 on a destroyed allocation", &sim.lock2(device, doomed), "")?;
    let other = sim.create_device(adapter)?;
    show(out, "Lock2 with another device's allocation", &sim.lock2(other, alloc), "")?;
    writeln!(out)?;

    writeln!(out, "6. Injected faults")?;
    let injected = NtStatus::GRAPHICS_ALLOCATION_BUSY;
    sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::ReturnStatus(injected)))?;
    show(out, "Lock2 (fault: return BUSY once)", &sim.lock2(device, alloc), "")?;
    show(out, "Lock2", &sim.lock2(device, alloc), "the fault was spent")?;
    sim.unlock2(device, alloc)?;
    sim.inject_fault(Fault::new(FaultCall::Lock2, FaultAction::RemoveDevice))?;
    show(out, "Lock2 (fault: remove the device first)", &sim.lock2(other, alloc), "")?;
    writeln!(out, "  that device's state now: {:?}\n", sim.device_state(other)?)?;

    writeln!(out, "7. The Wait policy: Lock2 blocks until the fence completes")?;
    sim.reset(config.clone().busy_policy(BusyPolicy::Wait).wait_timeout(Duration::from_secs(5)))?;
    let adapter = sim.enum_adapters()?[0].handle;
    let device = sim.create_device(adapter)?;
    writeln!(out, "  (after a reset to the Wait policy) device 0x{:08X}", device.raw())?;
    let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    let fence = sim.submit(device, &[alloc])?;
    let waited = thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(50));
            sim.complete_fence(device, fence)
        });
        sim.lock2(device, alloc)
    });
    let how = if waited.is_ok() { "it waited for the fence, then locked" } else { "it gave up waiting" };
    show(out, "Lock2 (a thread completes the fence)", &waited, how)?;
    sim.unlock2(device, alloc)?;
    writeln!(out)?;

    writeln!(out, "8. Device removal is sticky and loses content")?;
    sim.lock2_guard(device, alloc)?.write_at(0, b"frame")?;
    sim.lock2(device, alloc)?;
    show(out, "RemoveDevice(HUNG)", &sim.remove_device(device, ExecutionState::Hung), "")?;
    show(out, "Lock2", &sim.lock2(device, alloc), "")?;
    show(out, "Unlock2", &sim.unlock2(device, alloc), "")?;
    let count = sim.query_allocation(device, alloc)?.lock_count;
    let mut lost = [0u8; 5];
    sim.peek(device, alloc, 0, &mut lost)?;
    writeln!(
        out,
        "  state {:?}, lock count {count}, the written bytes now read {lost:02X?}",
        sim.device_state(device)?
    )?;
    writeln!(out)?;

    writeln!(out, "9. A reset: a new simulator in place, the same handles again")?;
    sim.reset(config)?;
    let again = sim.create_device(sim.enum_adapters()?[0].handle)?;
    writeln!(out, "  first device: 0x{:08X}, as after the last reset: {}", again.raw(), again == device)?;
    show(out, "Lock2 with a handle from before", &sim.lock2(again, alloc), "")?;
    writeln!(out, "\nThe C ABI exports the same contract as D3DKMTLock2 and friends: see README.md.")?;
    Ok(())
}

#[allow(dead_code)] // tests/demo.rs includes this file and calls `run`.
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    run(&mut io::stdout().lock())
}
