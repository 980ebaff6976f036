//! `benches/report.py`, the bench report, does not lie: it exits non-zero
//! when a target is missed, and it never puts results of two bench runs
//! under its "same run" ratios. Each test writes a small criterion
//! directory (the 0.8 layout the script reads) and runs the script on it.
//!
//! Not on Windows: the script runs under the host's `python3`, which a test
//! process under Wine cannot start.
#![cfg(not(windows))]
// The engine's `crate::sync` rule is for the library; a test's counter is plain.
#![allow(clippy::disallowed_types)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// A fresh criterion directory.
fn criterion_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench_report-{}-{}-{name}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)))
        .join("criterion");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// One benchmark's result: `median_ns`, written `age` ago.
fn result(dir: &Path, id: &str, median_ns: f64, age: Duration) {
    let new = dir.join(id).join("new");
    fs::create_dir_all(&new).unwrap();
    fs::write(new.join("benchmark.json"), format!("{{\"full_id\": \"{id}\"}}")).unwrap();
    let est = new.join("estimates.json");
    fs::write(&est, format!("{{\"median\": {{\"point_estimate\": {median_ns}}}}}")).unwrap();
    let file = fs::File::options().write(true).open(&est).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

/// Runs the script on `dir`: exit code and stdout.
fn report(dir: &Path) -> (Option<i32>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/report.py");
    let out = Command::new("python3").arg(script).arg(dir).output().expect("python3 runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

const NOW: Duration = Duration::ZERO;
const A_DAY: Duration = Duration::from_secs(24 * 3600);

/// The report on a directory holding `results` (id, median ns, age), with
/// the anchor `baseline/atomic_pair` at 4 ns, written now.
fn report_on(name: &str, results: &[(&str, f64, Duration)]) -> (Option<i32>, String) {
    let dir = criterion_dir(name);
    result(&dir, "baseline/atomic_pair", 4.0, NOW);
    for &(id, ns, age) in results {
        result(&dir, id, ns, age);
    }
    report(&dir)
}

#[test]
fn every_goal_met_exits_0() {
    // 1.25x the anchor: T1 met.
    let (code, out) = report_on("met", &[("uncontended/rust_raw", 5.0, NOW)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("| met |"), "{out}");
}

#[test]
fn a_missed_target_exits_1() {
    // 1.75x: past the 1.5x goal, before the 2x fail line.
    let (code, out) = report_on("missed", &[("uncontended/rust_raw", 7.0, NOW)]);
    assert_eq!(code, Some(1), "a missed goal is a failing exit status:\n{out}");
    assert!(out.contains("| missed |"), "{out}");
}

#[test]
fn a_figure_past_its_fail_line_exits_1() {
    let (code, out) = report_on("fail", &[("uncontended/rust_raw", 12.0, NOW)]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("**FAIL**"), "{out}");
}

#[test]
fn results_of_another_run_are_listed_not_compared() {
    // c_abi was left by a run a day earlier: 5x the anchor, a FAIL if it
    // were compared.
    let (code, out) = report_on("mixed", &[("uncontended/rust_raw", 5.0, NOW), ("uncontended/c_abi", 20.0, A_DAY)]);
    assert_eq!(code, Some(0), "the old result must not count:\n{out}");
    assert!(!out.contains("**FAIL**"), "{out}");
    let (_, rest) = out.split_once("## All benchmarks").unwrap();
    let table = rest.split("## Targets").next().unwrap();
    assert!(!table.contains("uncontended/c_abi"), "an old result sits under the same-run header:\n{out}");
    assert!(out.contains("Not compared: 1 results of other runs") && out.contains("`uncontended/c_abi`"), "{out}");
}

#[test]
fn no_results_exit_2() {
    let dir = criterion_dir("empty");
    assert_eq!(report(&dir).0, Some(2));
}
