//! The demo (`cargo run --example demo`, README's first command) runs to
//! the end, and what it prints shows every status of the Lock2 contract,
//! by name and value, a fault, a wait and a reset.

#[path = "../examples/demo.rs"]
mod demo;

#[test]
fn the_demo_succeeds_and_shows_every_lock2_status() {
    let mut out = Vec::new();
    demo::run(&mut out).expect("the demo runs to the end");
    let text = String::from_utf8(out).unwrap();
    for status in [
        "STATUS_SUCCESS (0x00000000)",
        "STATUS_INVALID_PARAMETER (0xC000000D)",
        "STATUS_DEVICE_REMOVED (0xC00002B6)",
        "STATUS_GRAPHICS_ALLOCATION_BUSY (0xC01E0102)",
        "STATUS_GRAPHICS_TOO_MANY_REFERENCES (0xC01E0103)",
    ] {
        assert!(text.contains(status), "the demo never shows {status}:\n{text}");
    }
    // Failures name their Rust error; figures are computed, not typed.
    assert!(text.contains("[Rust: ErrorKind::TooManyReferences]"), "{text}");
    assert!(text.contains("12289 bytes asked for, 16384 bytes in 4 pages"), "{text}");
    assert!(text.contains("same pData both times: true"), "{text}");
    assert!(text.contains("read at the next: \"texels\""), "{text}");
    assert!(
        text.contains("fault: return BUSY once") && text.contains("[Rust: ErrorKind::AllocationBusy, injected]"),
        "{text}"
    );
    assert!(text.contains("it waited for the fence, then locked"), "{text}");
    assert!(text.contains("[DD, DD, DD, DD, DD]"), "content loss shows: {text}");
    assert!(text.contains("as after the last reset: true"), "{text}");
    // Steps numbered 1 to 9, in order, once each.
    let steps: Vec<u32> = text.lines().filter_map(|l| l.split_once(". ").and_then(|(n, _)| n.parse().ok())).collect();
    assert_eq!(steps, (1..=9).collect::<Vec<_>>(), "{text}");
}
