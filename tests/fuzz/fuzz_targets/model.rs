//! Differential fuzzing of the lock contract: the proptest model of
//! `tests/model/` (its operations, its naive reference model and its
//! harness, included here unchanged with `#[path]`), driven by fuzz input.
//!
//! The input seeds the random generator: its bytes, folded into a 32-byte
//! ChaCha seed (an FNV-1a hash of the whole input and of each quarter,
//! mixed by splitmix64, so a change anywhere changes the seed), drive the
//! model's own strategies (`params`, `setup`, `op`), so every input decodes
//! to a parameter set (busy policy, page size, lock limit, budget), a few
//! setup creates and 1 to 60 operations. (proptest's `PassThrough` RNG,
//! which would hand the bytes to the strategies directly, hung in its
//! samplers here, so libFuzzer's mutations act on the seed, not on single
//! operations: this target is coverage-guided random testing of the model,
//! not structure-aware mutation.)
//!
//! The harness runs each operation on a fresh `Simulator` and on the
//! reference model and fails on the first status or observable state that
//! differs (lock counts, busy bits, sizes, device states, fences; at the
//! end stale handles and the bytes written), exactly as
//! `cargo test --test model` does. A failure is a panic, which libFuzzer
//! reports as a crash with the input that caused it.
#![no_main]

use d3dkmt_sim::BusyPolicy;
use libfuzzer_sys::fuzz_target;
use proptest::collection::vec;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[allow(dead_code)]
#[path = "../../model/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../../model/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../model/ops.rs"]
mod ops;
#[allow(dead_code)]
#[path = "../../model/reference.rs"]
mod reference;

use common::*;

/// Every busy policy; `Wait` (1 ms timeouts) is the slow one, so it gets
/// one draw in four.
const POLICIES: &[BusyPolicy] = &[BusyPolicy::Fail, BusyPolicy::Fail, BusyPolicy::Ignore, BusyPolicy::Wait];

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3))
}

/// The 32-byte seed of an input.
fn seed(data: &[u8]) -> [u8; 32] {
    let mut state = fnv(data) ^ (data.len() as u64);
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        state ^= fnv(&data[data.len() * i / 4..data.len() * (i + 1) / 4]);
        chunk.copy_from_slice(&splitmix(&mut state).to_le_bytes());
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed(data));
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let params = ops::params(POLICIES).new_tree(&mut runner).expect("a value").current();
    let setup = ops::setup().new_tree(&mut runner).expect("a value").current();
    let sequence = vec(ops::op(), 1..=60).new_tree(&mut runner).expect("a value").current();
    if let Err(e) = harness::run(params.clone(), setup.clone(), sequence.clone()) {
        panic!("the simulator and the reference model disagree: {e}\n{params:?}\nsetup {setup:#?}\nops {sequence:#?}");
    }
});
