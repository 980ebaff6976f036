//! `SimConfig::parse` (the `D3DKMT_SIM_CONFIG` syntax, docs/contract.md §9)
//! on arbitrary UTF-8. Checked for every input:
//!
//! - it never panics (libFuzzer reports a panic as a crash);
//! - a text that gives some key twice (the same key, after trimming, with
//!   the same `aN.` prefix or none) is an error;
//! - a config it returns passes `SimConfig::validate`, and parsing the same
//!   text again returns an equal config (parsing reads nothing but the
//!   text).
#![no_main]

use d3dkmt_sim::SimConfig;
use libfuzzer_sys::fuzz_target;

/// Whether the text, split as the contract says (comma-separated pairs,
/// surrounding spaces ignored, empty pairs skipped), names one key twice.
/// Pairs without `=` are skipped here: they are an error of their own.
fn has_duplicate_key(text: &str) -> bool {
    let mut keys: Vec<&str> = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some((key, _)) = pair.split_once('=') {
            let key = key.trim();
            if keys.contains(&key) {
                return true;
            }
            keys.push(key);
        }
    }
    false
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = SimConfig::parse(text);
    if has_duplicate_key(text) {
        assert!(parsed.is_err(), "a key given twice was accepted: {text:?} -> {parsed:?}");
    }
    match parsed {
        Ok(config) => {
            if let Err(e) = config.validate() {
                panic!("{text:?} parsed to a config that does not validate ({e}): {config:?}");
            }
            assert_eq!(SimConfig::parse(text), Ok(config), "re-parsing {text:?}");
        }
        Err(e) => {
            // The error names its key, value and reason; formatting it must
            // not panic either.
            let _ = e.to_string();
        }
    }
});
