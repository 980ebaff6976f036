//! Linearizability: small concurrent histories recorded from real runs,
//! each checked against a sequential reference model of the contract.
//!
//! Three threads each run a few random operations (Lock2, Unlock2, a
//! legacy Unlock of two allocations, Submit, completing every fence, and
//! removing the device) on one simulator. Every call is stamped with a
//! ticket from one counter just before it starts and just after it ends;
//! a call that ended before another began must come first in any valid
//! order. The checker (Wing and Gong's search, memoised on the set of calls
//! placed and the model's state) looks for a sequential order that keeps
//! those constraints and in which the reference model, given the same
//! calls, answers every status and fence value the simulator answered. A
//! history with no such order is a bug in the simulator's concurrency: a
//! call that took effect partly, twice, or out of order.
//!
//! The runs are seeded (one seed per round, printed on failure), so a
//! failing round names the calls and statuses it saw.

#![allow(clippy::disallowed_types)] // the recorder's counter is the test's, not the engine's

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Barrier;

use d3dkmt_sim::prelude::*;

/// The lock-reference limit of the runs: low, so the limit is reached.
const LIMIT: u32 = 2;
const THREADS: usize = 3;
const OPS_PER_THREAD: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Lock2(usize),
    Unlock2(usize),
    /// Legacy `D3DKMTUnlock` of both allocations: all or none.
    UnlockBoth,
    Submit(usize),
    CompleteAll,
    Remove,
}

/// What a call answered: its status and, for a submit, its fence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Answer {
    status: NtStatus,
    fence: u64,
}

impl Answer {
    fn of<T>(result: Result<T, d3dkmt_sim::Error>, fence: impl FnOnce(T) -> u64) -> Answer {
        match result {
            Ok(value) => Answer { status: NtStatus::SUCCESS, fence: fence(value) },
            Err(e) => Answer { status: e.status(), fence: 0 },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Call {
    op: Op,
    answer: Answer,
    /// Tickets before the call began and after it ended.
    start: u64,
    end: u64,
}

/// The sequential reference: the contract's rules for these calls, on one
/// device with two allocations, written as plainly as possible.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
struct Model {
    removed: bool,
    locks: [u32; 2],
    /// The fences of the work that still uses each allocation.
    busy: [Vec<u64>; 2],
    last_fence: u64,
}

impl Model {
    fn apply(&mut self, op: Op) -> Answer {
        let fail = |status| Answer { status, fence: 0 };
        let ok = Answer { status: NtStatus::SUCCESS, fence: 0 };
        if self.removed {
            return fail(NtStatus::DEVICE_REMOVED);
        }
        match op {
            Op::Lock2(x) if !self.busy[x].is_empty() => fail(NtStatus::GRAPHICS_ALLOCATION_BUSY),
            Op::Lock2(x) if self.locks[x] == LIMIT => fail(NtStatus::GRAPHICS_TOO_MANY_REFERENCES),
            Op::Lock2(x) => {
                self.locks[x] += 1;
                ok
            }
            Op::Unlock2(x) if self.locks[x] == 0 => fail(NtStatus::INVALID_PARAMETER),
            Op::Unlock2(x) => {
                self.locks[x] -= 1;
                ok
            }
            Op::UnlockBoth if self.locks.contains(&0) => fail(NtStatus::INVALID_PARAMETER),
            Op::UnlockBoth => {
                self.locks = self.locks.map(|n| n - 1);
                ok
            }
            Op::Submit(x) => {
                self.last_fence += 1;
                self.busy[x].push(self.last_fence);
                Answer { status: NtStatus::SUCCESS, fence: self.last_fence }
            }
            Op::CompleteAll => {
                self.busy = Default::default();
                ok
            }
            Op::Remove => {
                self.removed = true;
                self.locks = [0; 2];
                ok
            }
        }
    }
}

/// True when some order of `calls` that keeps their real-time order makes
/// the model answer what each call answered.
fn linearizable(calls: &[Call]) -> bool {
    fn search(calls: &[Call], placed: u64, model: &Model, seen: &mut HashSet<(u64, Model)>) -> bool {
        if placed.count_ones() as usize == calls.len() {
            return true;
        }
        if !seen.insert((placed, model.clone())) {
            return false;
        }
        // A call may go next if every call that ended before it began is
        // placed already.
        let pending = |i: usize| placed & (1 << i) == 0;
        for (i, call) in calls.iter().enumerate().filter(|&(i, _)| pending(i)) {
            let blocked = calls.iter().enumerate().any(|(j, other)| pending(j) && j != i && other.end < call.start);
            if blocked {
                continue;
            }
            let mut next = model.clone();
            if next.apply(call.op) == call.answer && search(calls, placed | 1 << i, &next, seen) {
                return true;
            }
        }
        false
    }
    assert!(calls.len() <= 64);
    search(calls, 0, &Model::default(), &mut HashSet::new())
}

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn random_op(rng: &mut Rng) -> Op {
    let x = rng.below(2) as usize;
    match rng.below(20) {
        0..=6 => Op::Lock2(x),
        7..=12 => Op::Unlock2(x),
        13..=14 => Op::UnlockBoth,
        15..=16 => Op::Submit(x),
        17..=18 => Op::CompleteAll,
        _ => Op::Remove,
    }
}

/// One round: a fresh simulator, three threads released together, each
/// running its operations and recording them.
fn record(seed: u64) -> Vec<Call> {
    let sim = Simulator::new(SimConfig::default().max_lock_references(LIMIT)).unwrap();
    let device = sim.create_device(sim.enum_adapters().unwrap()[0].handle).unwrap();
    let allocs = [0; 2].map(|_| sim.create_allocation(device, AllocationDesc::new(4096)).unwrap());
    let clock = AtomicU64::new(0);
    let start = Barrier::new(THREADS);
    let mut rng = Rng(seed | 1);
    let plans: Vec<Vec<Op>> =
        (0..THREADS).map(|_| (0..OPS_PER_THREAD).map(|_| random_op(&mut rng)).collect()).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = plans
            .iter()
            .map(|plan| {
                let (sim, clock, start) = (&sim, &clock, &start);
                s.spawn(move || {
                    start.wait();
                    plan.iter()
                        .map(|&op| {
                            let begin = clock.fetch_add(1, SeqCst);
                            let answer = match op {
                                Op::Lock2(x) => Answer::of(sim.lock2(device, allocs[x]), |_| 0),
                                Op::Unlock2(x) => Answer::of(sim.unlock2(device, allocs[x]), |()| 0),
                                Op::UnlockBoth => Answer::of(sim.unlock(device, &allocs), |()| 0),
                                Op::Submit(x) => Answer::of(sim.submit(device, &[allocs[x]]), |fence| fence),
                                Op::CompleteAll => Answer::of(sim.complete_fence(device, u64::MAX), |()| 0),
                                Op::Remove => Answer::of(sim.remove_device(device, ExecutionState::Hung), |()| 0),
                            };
                            Call { op, answer, start: begin, end: clock.fetch_add(1, SeqCst) }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn recorded_histories_are_linearizable() {
    let rounds = if cfg!(miri) { 2 } else { 400 };
    let mut overlapping = 0;
    for round in 0..rounds {
        let seed = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(round + 1);
        let calls = record(seed);
        assert!(linearizable(&calls), "round {round} (seed {seed:#x}) has no valid order:\n{calls:#?}");
        // Count rounds in which calls of different threads overlapped, so a
        // run that never raced would show.
        if calls.iter().any(|a| calls.iter().any(|b| a.start < b.start && b.start < a.end)) {
            overlapping += 1;
        }
    }
    assert!(overlapping > 0, "no round had overlapping calls: the test raced nothing");
}

// === the checker checks ===

fn call(op: Op, status: NtStatus, start: u64, end: u64) -> Call {
    Call { op, answer: Answer { status, fence: 0 }, start, end }
}

const OK: NtStatus = NtStatus::SUCCESS;

#[test]
fn the_checker_accepts_an_order_the_calls_allow() {
    // Two overlapping Lock2s and an Unlock2 that began after both ended.
    let calls = [call(Op::Lock2(0), OK, 0, 3), call(Op::Lock2(0), OK, 1, 2), call(Op::Unlock2(0), OK, 4, 5)];
    assert!(linearizable(&calls));
    // Overlap lets an Unlock2 go first even though it began second...
    let calls = [call(Op::Lock2(0), OK, 0, 3), call(Op::Unlock2(0), NtStatus::INVALID_PARAMETER, 1, 2)];
    assert!(linearizable(&calls));
}

#[test]
fn the_checker_rejects_what_no_order_explains() {
    // ...but not when the Lock2 ended before the Unlock2 began.
    let calls = [call(Op::Lock2(0), OK, 0, 1), call(Op::Unlock2(0), NtStatus::INVALID_PARAMETER, 2, 3)];
    assert!(!linearizable(&calls));
    // One reference released twice: an Unlock2 and the legacy Unlock both
    // succeed (what a broken all-or-none rule would allow).
    let calls = [
        call(Op::Lock2(0), OK, 0, 1),
        call(Op::Lock2(1), OK, 2, 3),
        call(Op::Unlock2(0), OK, 4, 7),
        call(Op::UnlockBoth, OK, 5, 6),
    ];
    assert!(!linearizable(&calls));
    // Three references under a limit of two.
    let calls = [call(Op::Lock2(1), OK, 0, 5), call(Op::Lock2(1), OK, 1, 4), call(Op::Lock2(1), OK, 2, 3)];
    assert!(!linearizable(&calls));
    // A fence value no order gives: two submits cannot both get fence 1.
    let submit = |start, end| Call { op: Op::Submit(0), answer: Answer { status: OK, fence: 1 }, start, end };
    assert!(!linearizable(&[submit(0, 3), submit(1, 2)]));
}
