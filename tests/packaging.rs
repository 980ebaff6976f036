//! The files that install the C library beside the crate say what the crate
//! says: the CMake package's version (`cmake/d3dkmt_simConfigVersion.cmake`,
//! installed by `cargo cinstall`) is the crate's, and the files cargo-c is
//! told to install exist. `.ci/packaging.sh` installs and uses them.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cmake_package_version_is_the_crate_version() {
    let text = std::fs::read_to_string(root().join("cmake/d3dkmt_simConfigVersion.cmake")).unwrap();
    let versions: Vec<&str> =
        text.lines().filter_map(|l| l.trim().strip_prefix("set(PACKAGE_VERSION \"")?.strip_suffix("\")")).collect();
    assert_eq!(versions, [env!("CARGO_PKG_VERSION")], "set(PACKAGE_VERSION \"...\") lines in the version file");
}

#[test]
fn cargo_c_installs_files_that_exist() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let metadata = &manifest[manifest.find("[package.metadata.capi]").expect("no [package.metadata.capi]")..];
    let mut froms = 0;
    for part in metadata.split("from = \"").skip(1) {
        let pattern = &part[..part.find('"').unwrap()];
        let (dir, name) = pattern.rsplit_once('/').unwrap_or((".", pattern));
        let matches = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| glob_match(name, f))
            .count();
        assert!(matches > 0, "cargo-c would install nothing for {pattern}");
        froms += 1;
    }
    assert!(froms >= 2, "the header and the CMake package");
}

/// `*` only, which is all the install patterns use.
fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail),
    }
}
