//! A walk through the D3DKMTLock2 contract on the built-in default simulator.
//!
//! Run with `cargo run --example demo`. Each step prints the call, the status
//! the simulator returned (the NTSTATUS a Windows caller would see) and what
//! it shows.

use d3dkmt_sim::*;

fn show<T>(call: &str, result: &Result<T>, note: &str) {
    let status = status_of(result);
    let name = status.name().unwrap_or("?");
    println!("  {call:<44} -> {status} {name:<38} {note}");
}

fn main() -> Result<()> {
    let config = SimConfig::default().max_lock_references(4);
    println!("d3dkmt-sim demo: default simulator, lock-reference limit lowered to 4 for the walk\n");
    let sim = Simulator::new(config)?;

    println!("1. Adapters and devices");
    let adapters = sim.enum_adapters(16)?;
    let adapter = adapters[0].handle;
    println!("  {} adapter(s); adapter 0: handle {adapter}, LUID {:?}", adapters.len(), adapters[0].luid);
    let device = sim.create_device(adapter)?;
    println!("  device {device}, state {:?}", sim.device_state(device)?);
    let alloc = sim.create_allocation(device, AllocationDesc::new(3 * 4096 + 1))?;
    let info = sim.query_allocation(device, alloc)?;
    println!("  allocation {alloc}: {} bytes requested 12289, rounded to {} pages\n", info.size, info.page_count);

    println!("2. Lock2 and nested locks");
    let first = sim.lock2(device, alloc);
    show("Lock2", &first, "maps the whole allocation");
    let second = sim.lock2(device, alloc);
    show("Lock2 again (nested)", &second, "");
    let (a, b) = (first?.as_ptr(), second?.as_ptr());
    println!("  same address both times: {} ({a:p})", a == b);
    show("Unlock2", &sim.unlock2(device, alloc), "");
    show("Unlock2", &sim.unlock2(device, alloc), "lock count back to 0");
    show("Unlock2 (nothing locked)", &sim.unlock2(device, alloc), "unlock of an unlocked allocation");
    println!();

    println!("3. Content survives lock cycles");
    sim.lock2_guard(device, alloc)?.write_at(4096, b"written under lock")?;
    let mut buf = [0u8; 18];
    sim.lock2_guard(device, alloc)?.read_at(4096, &mut buf)?;
    println!("  read back at the next lock: {:?}\n", String::from_utf8_lossy(&buf));

    println!("4. Busy: submitted GPU work references the allocation");
    let fence = sim.submit(device, &[alloc])?;
    println!("  submitted work, fence {fence}");
    show("Lock2 while busy (policy Fail)", &sim.lock2(device, alloc), "");
    let legacy = sim.lock(device, alloc, LockFlags::DONOT_WAIT, Pages::Entire);
    show("Lock (DonotWait)", &legacy, "");
    let legacy = sim.lock(device, alloc, LockFlags::IGNORE_SYNC | LockFlags::DONOT_WAIT, Pages::List(&[2]));
    show("Lock (IgnoreSync|DonotWait, page 2)", &legacy, "IgnoreSync wins");
    show("Unlock", &sim.unlock(device, &[alloc]), "");
    show("CompleteFence", &sim.complete_fence(device, fence), "retires the work");
    show("Lock2", &sim.lock2(device, alloc), "no longer busy");
    println!();

    println!("5. The lock-reference limit (4 here, 1024 by default)");
    for n in 2..=5 {
        show(&format!("Lock2 #{n}"), &sim.lock2(device, alloc), "");
    }
    println!("  lock count: {}\n", sim.query_allocation(device, alloc)?.lock_count);

    println!("6. Handles");
    let doomed = sim.create_allocation(device, AllocationDesc::new(4096))?;
    sim.destroy_allocations(device, &[doomed])?;
    show("Lock2 on a destroyed allocation", &sim.lock2(device, doomed), "stale handle");
    let other = sim.create_device(adapter)?;
    show("Lock2 with another device's handle", &sim.lock2(other, alloc), "wrong device");
    let hidden = sim.create_allocation(device, AllocationDesc::new(4096).not_cpu_visible())?;
    show("Lock2 on a non-CPU-visible allocation", &sim.lock2(device, hidden), "");
    println!();

    println!("7. Device removal (TDR) is sticky");
    show("RemoveDevice(HUNG)", &sim.remove_device(device, ExecutionState::Hung), "");
    show("Lock2 (allocation was locked)", &sim.lock2(device, alloc), "no fast path skips removal");
    show("Unlock2", &sim.unlock2(device, alloc), "");
    show("RemoveDevice(RESET) again", &sim.remove_device(device, ExecutionState::Reset), "first reason stays");
    let state = sim.device_state(device)?;
    let count = sim.query_allocation(device, alloc)?.lock_count;
    println!("  device state: {state:?}; lock count dropped to {count}");
    // The mapping stays valid until destroy, but written content is lost.
    let mut lost = [0u8; 6];
    sim.peek(device, alloc, 4096, &mut lost)?;
    println!("  bytes written at offset 4096 now read {lost:02X?} (content lost)");
    show("DestroyDevice", &sim.destroy_device(device), "works on a removed device");
    show("Lock2 after destroy", &sim.lock2(device, alloc), "the handles are gone");
    println!("\nThe C ABI exports the same contract as D3DKMTLock2 & co: see README.md.");
    Ok(())
}
