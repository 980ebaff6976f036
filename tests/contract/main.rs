//! Contract tests: exactly one test per row of `docs/lock-states.md`, named
//! after the row's `id`, in the module of the row's section (one module per
//! `## ` heading that has an `id` table; `fixture` holds what they share).
//! `table_and_tests_stay_in_sync` (below) fails if a row has no test, a test
//! has no row, or a test sits in another section's module.
//!
//! The rule for adding a test: write it inside the `rows!( ... );` of its
//! section's module, as a plain `fn` without `#[test]` (`rows!` adds it), and
//! list a new section module in `SECTIONS`. `rows!` is what registers a test:
//! it records the name in the module's `ROWS`, which the sync test compares
//! with the table. A `#[test]` written anywhere else would not be registered,
//! so the sync test also asks this binary for its own list of tests (it runs
//! itself with `--list`; no source file is read) and fails on every test that
//! no `rows!` registered, or that sits in a module other than the one whose
//! `rows!` names it.

use std::collections::HashSet;
use std::process::Command;

/// Defines the tests of one section module: every `fn` becomes a `#[test]`
/// (attributes before it are kept), and `ROWS` lists the names, which must be
/// the ids of the rows of the module's section, no more and no fewer. Call it
/// with parentheses, `rows!( ... );`: rustfmt formats the items inside those,
/// and leaves a macro called with braces as it is.
macro_rules! rows {
    ($($(#[$attr:meta])* fn $name:ident() $body:block)*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() $body
        )*

        /// The tests `rows!` defined in this module: the ids of its section's rows.
        pub(crate) const ROWS: &[&str] = &[$(stringify!($name)),*];
    };
}

mod fixture;

mod adapter_queries;
mod adapters;
mod allocations;
mod busy;
mod contexts;
mod creation;
mod destroy;
mod driver;
mod enum_filter;
mod faults;
mod guard;
mod handles;
mod legacy_lock;
mod legacy_unlock;
mod lock2;
mod removal;
mod reset;
mod unlock2;
mod work;

/// A section of `docs/lock-states.md` and the module that holds its tests.
struct Section {
    /// The `## ` heading, without a trailing ` (...)` (the docs/contract.md reference).
    title: &'static str,
    module: &'static str,
    /// The tests `rows!` defined in `module`.
    rows: &'static [&'static str],
}

macro_rules! sections {
    ($($title:literal => $module:ident,)*) => {
        &[$(Section { title: $title, module: stringify!($module), rows: $module::ROWS }),*]
    };
}

/// Every section module, in the order of the table.
const SECTIONS: &[Section] = sections![
    "Lock2 — the check order" => lock2,
    "Unlock2" => unlock2,
    "LockGuard — Lock2 as RAII" => guard,
    "Legacy Lock — the check order" => legacy_lock,
    "Legacy Unlock" => legacy_unlock,
    "Busy policies for Lock2" => busy,
    "GPU work and fences" => work,
    "Device removal" => removal,
    "Destroying" => destroy,
    "Adapters and devices" => adapters,
    "Allocations" => allocations,
    "Handles" => handles,
    "Reset" => reset,
    "Faults" => faults,
    "Creation as Windows checks it" => creation,
    "Driver model" => driver,
    "Enumerating with a filter" => enum_filter,
    "Adapter queries" => adapter_queries,
    "Contexts" => contexts,
];

/// The name of the one test that is not a row.
const SYNC_TEST: &str = "table_and_tests_stay_in_sync";

// === the table and the tests stay in sync ===

/// A row of a table with an `id` column in `docs/lock-states.md`.
struct Row {
    /// The title of the `## ` section it sits in, as in `Section::title`.
    section: String,
    id: String,
}

/// Every row of every table with an `id` column in `docs/lock-states.md`.
fn table_rows() -> Vec<Row> {
    let table = include_str!("../../docs/lock-states.md");
    let mut rows = Vec::new();
    let mut section = String::new();
    let mut in_table_with_id = false;
    for line in table.lines().map(str::trim) {
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading.split(" (").next().unwrap_or(heading).trim().to_owned();
        }
        if !line.starts_with('|') {
            in_table_with_id = false;
            continue;
        }
        let first = line.trim_matches('|').split('|').next().unwrap_or("").trim();
        if first == "id" {
            in_table_with_id = true;
            continue;
        }
        if !in_table_with_id || first.starts_with("---") {
            continue;
        }
        rows.push(Row { section: section.clone(), id: first.trim_matches('`').to_owned() });
    }
    rows
}

/// Every test of this binary, as libtest names it (`module::name`): the
/// binary lists them itself when run with `--list`.
fn tests_in_this_binary() -> Vec<String> {
    let exe = std::env::current_exe().expect("the path of this test binary");
    let output = Command::new(&exe)
        .args(["--list", "--format", "terse"])
        .output()
        .unwrap_or_else(|e| panic!("running {} --list: {e}", exe.display()));
    assert!(output.status.success(), "{} --list failed: {:?}", exe.display(), output);
    let stdout = String::from_utf8(output.stdout).expect("test names are UTF-8");
    stdout.lines().filter_map(|line| line.strip_suffix(": test")).map(str::to_owned).collect()
}

fn sorted<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.into_iter().collect();
    v.sort_unstable();
    v
}

#[test]
fn table_and_tests_stay_in_sync() {
    let rows = table_rows();
    assert!(rows.len() >= 100, "only {} rows parsed", rows.len());

    let mut seen = HashSet::new();
    for Row { id, .. } in &rows {
        assert!(seen.insert(id), "row id `{id}` appears twice in docs/lock-states.md");
        assert!(
            !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "row id `{id}` is not snake_case"
        );
    }
    let tests: Vec<&str> = SECTIONS.iter().flat_map(|s| s.rows.iter().copied()).collect();
    let mut seen = HashSet::new();
    for name in &tests {
        assert!(seen.insert(name), "test `{name}` is defined twice");
    }

    // Every row has a test and every test a row.
    let ids: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let fns: HashSet<&str> = tests.iter().copied().collect();
    let untested = sorted(ids.difference(&fns).copied());
    let unlisted = sorted(fns.difference(&ids).copied());
    assert!(
        untested.is_empty() && unlisted.is_empty(),
        "rows without a test: {untested:?}\ntests without a row: {unlisted:?}"
    );

    // Each module holds exactly the rows of its own section.
    for Row { section, id } in &rows {
        assert!(
            SECTIONS.iter().any(|s| s.title == section.as_str()),
            "section `{section}` of docs/lock-states.md (row `{id}`) has no module in SECTIONS"
        );
    }
    for section in SECTIONS {
        let want: HashSet<&str> = rows.iter().filter(|r| r.section == section.title).map(|r| r.id.as_str()).collect();
        assert!(!want.is_empty(), "section `{}` has no rows in docs/lock-states.md", section.title);
        let have: HashSet<&str> = section.rows.iter().copied().collect();
        let missing = sorted(want.difference(&have).copied());
        let foreign = sorted(have.difference(&want).copied());
        assert!(
            missing.is_empty() && foreign.is_empty(),
            "module `{}` and section `{}` disagree\nrows not in the module: {missing:?}\n\
             tests of other sections: {foreign:?}",
            section.module,
            section.title
        );
    }

    // The tests that really run are exactly the ones `rows!` registered, each
    // in the module whose `rows!` defined it, and this one.
    let registered: HashSet<String> = SECTIONS
        .iter()
        .flat_map(|s| s.rows.iter().map(move |name| format!("{}::{name}", s.module)))
        .chain([SYNC_TEST.to_owned()])
        .collect();
    let listed = tests_in_this_binary();
    let listed_set: HashSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), listed_set.len(), "the binary lists a test twice: {listed:?}");
    let unregistered = sorted(listed_set.difference(&registered).map(String::as_str));
    let not_run = sorted(registered.difference(&listed_set).map(String::as_str));
    assert!(
        unregistered.is_empty() && not_run.is_empty(),
        "tests not defined through `rows!`: {unregistered:?}\nregistered tests the binary lacks: {not_run:?}"
    );
    assert_eq!(listed.len(), rows.len() + 1, "one test per row, and this one");
}
