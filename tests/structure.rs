//! Structure tests: the crate's layering, checked by reading its own source.
//!
//! Each rule is one test:
//!
//! 1. no import circle between top-level modules;
//! 2. no core module reaches up to a face (`sim`, `guard`, `ffi`,
//!    `prelude`) or to a
//!    crate-root item, and only `ffi` itself names `crate::ffi`;
//! 3. no file under `src/` is longer than [`MAX_LINES`] lines;
//! 4. every `impl … Simulator` block (inherent or trait) is in the facade,
//!    `src/sim/` (one file per family of entry points).
//!
//! The order of the `mod` list in `src/lib.rs` is not checked: rustfmt sorts
//! `mod` items, so the list is alphabetical, not a dependency order. Run
//! `cargo test --test structure -- --nocapture` to print the order the real
//! graph implies (rule 1 prints it when it passes).
//!
//! The parser is a small lexer, not a Rust parser. It blanks comments
//! (doc comments included), strings and char literals, then reads paths
//! rooted at the crate: `crate::…`, `$crate::…` and `super::`/`self::`
//! paths that climb to the root, grouped `{a, b::c}` forms included.
//! Test-only code is skipped: items under `#[cfg(test)]`,
//! `#[cfg(all(test, …))]` or `#[test]`, every `mod tests { … }` block and
//! every file named `tests.rs`. Not seen: plain relative paths in
//! `src/lib.rs` other than its `use` items, `#[path]` attributes, and impls
//! or paths assembled by macros from fragments.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// The longest a file under `src/` may be.
const MAX_LINES: usize = 600;
/// The faces over the core; every other top-level module is core.
const FACES: [&str; 4] = ["ffi", "guard", "prelude", "sim"];
/// The graph's name for the crate root, `src/lib.rs`.
const ROOT: &str = "crate";

// ---------------------------------------------------------------------------
// Lexing: tests/support/lexer.rs, shared with tests/doc_examples.rs.
#[path = "support/lexer.rs"]
mod lexer;
use lexer::*;

// ---------------------------------------------------------------------------
// References to the crate root.

/// One name reached from the crate root: the `sim` of `crate::sim::X`, the
/// `a` and `b` of `use crate::{a, b::c}`.
#[derive(Debug, Clone, PartialEq)]
struct RootRef {
    line: usize,
    /// How the root was reached: `crate::`, `$crate::`, `super::super::`.
    prefix: String,
    /// The first name under the root (`*` for a glob, `self` for the root itself).
    name: String,
    /// The module path the reference is written in (`["lock", "wait"]`).
    in_module: Vec<String>,
}

/// Every crate-root reference in the code of a file whose module path is
/// `file_module` (`[]` for `src/lib.rs`), test-only code left out.
fn root_refs(toks: &[Tok], file_module: &[String]) -> Vec<RootRef> {
    let mut out = Vec::new();
    let mut inline_mods: Vec<(String, usize)> = Vec::new(); // name, brace depth outside it
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].text.as_str();
        if t == "#" {
            if let Some((end, inner, true)) = attribute(toks, i) {
                i = if inner { skip_rest_of_block(toks, end) } else { skip_item(toks, end) };
                continue;
            }
        }
        if t == "mod" && is_ident(text(toks, i + 1)) && text(toks, i + 2) == "{" {
            if text(toks, i + 1) == "tests" {
                i = skip_item(toks, i);
            } else {
                inline_mods.push((toks[i + 1].text.clone(), depth));
                depth += 1;
                i += 3;
            }
            continue;
        }
        match t {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline_mods.last().is_some_and(|m| m.1 == depth) {
                    inline_mods.pop();
                }
            }
            _ => {}
        }
        let path_start = i == 0 || toks[i - 1].text != "::";
        let visibility = i >= 2 && toks[i - 1].text == "in" && toks[i - 2].text == "(";
        if path_start && !visibility && text(toks, i + 1) == "::" {
            let mut here: Vec<String> = file_module.to_vec();
            here.extend(inline_mods.iter().map(|m| m.0.clone()));
            let mut j = i;
            let mut prefix = String::new();
            let rooted = match t {
                "crate" | "$crate" => {
                    prefix = format!("{t}::");
                    j += 2;
                    true
                }
                "self" | "super" => {
                    let mut up = 0;
                    while matches!(text(toks, j), "self" | "super") && text(toks, j + 1) == "::" {
                        up += usize::from(toks[j].text == "super");
                        prefix.push_str(&toks[j].text);
                        prefix.push_str("::");
                        j += 2;
                    }
                    up == here.len()
                }
                _ => false,
            };
            if rooted {
                for (line, name) in first_names(toks, j) {
                    out.push(RootRef { line, prefix: prefix.clone(), name, in_module: here.clone() });
                }
            }
        }
        i += 1;
    }
    out
}

/// The first segment of each path in the use tree (or path) at `j`.
fn first_names(toks: &[Tok], j: usize) -> Vec<(usize, String)> {
    match toks.get(j) {
        Some(t) if t.text == "{" => group_first_names(toks, j).0,
        Some(t) if t.text == "*" || is_ident(&t.text) => vec![(t.line, t.text.clone())],
        _ => Vec::new(),
    }
}

/// The first segments of the items of the group `{…}` at `open`, and the
/// index after its `}`.
fn group_first_names(toks: &[Tok], open: usize) -> (Vec<(usize, String)>, usize) {
    let mut names = Vec::new();
    let mut item_start = true;
    let mut i = open + 1;
    while i < toks.len() {
        let t = &toks[i];
        match t.text.as_str() {
            "}" => return (names, i + 1),
            "{" => {
                let (inner, end) = group_first_names(toks, i);
                if item_start {
                    names.extend(inner);
                }
                item_start = false;
                i = end;
                continue;
            }
            "," => item_start = true,
            _ if item_start => {
                names.push((t.line, t.text.clone()));
                item_start = false;
            }
            _ => {}
        }
        i += 1;
    }
    (names, i)
}

// ---------------------------------------------------------------------------
// The crate root's declarations.

/// A name the root brings in with `use` (a re-export when `pub`).
#[derive(Debug, Clone)]
struct RootImport {
    line: usize,
    /// The full path it names (`["config", "BusyPolicy"]`).
    path: Vec<String>,
}

/// The top-level modules `src/lib.rs` declares and the names its `use`
/// items bring into the root.
fn root_declarations(toks: &[Tok]) -> (BTreeSet<String>, BTreeMap<String, RootImport>) {
    let mut modules = BTreeSet::new();
    let mut imports = BTreeMap::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        match text(toks, i) {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "mod" if depth == 0 && is_ident(text(toks, i + 1)) => {
                modules.insert(toks[i + 1].text.clone());
            }
            "use" if depth == 0 => {
                let mut leaves = Vec::new();
                i = use_leaves(toks, i + 1, &[], &mut leaves);
                for (name, line, path) in leaves {
                    if name != "_" {
                        imports.insert(name, RootImport { line, path });
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (modules, imports)
}

/// The names a use tree at `i` brings in, each with its line and full path;
/// returns the index after the tree.
fn use_leaves(toks: &[Tok], mut i: usize, prefix: &[String], out: &mut Vec<(String, usize, Vec<String>)>) -> usize {
    let mut path = prefix.to_vec();
    while i < toks.len() {
        let t = toks[i].text.as_str();
        if t == "::" {
            i += 1;
        } else if t == "{" {
            i += 1;
            while i < toks.len() && toks[i].text != "}" {
                if toks[i].text == "," {
                    i += 1;
                } else {
                    i = use_leaves(toks, i, &path, out);
                }
            }
            return i + 1;
        } else if t == "*" {
            out.push(("*".into(), toks[i].line, path));
            return i + 1;
        } else if is_ident(t) && text(toks, i + 1) == "::" {
            path.push(t.into());
            i += 2;
        } else if is_ident(t) {
            let line = toks[i].line;
            let mut name = if t == "self" { path.last().cloned().unwrap_or_default() } else { t.to_string() };
            if t != "self" {
                path.push(t.into());
            }
            i += 1;
            if text(toks, i) == "as" {
                name = text(toks, i + 1).to_string();
                i += 2;
            }
            out.push((name, line, path));
            return i;
        } else {
            return i + 1; // not a use tree (`;`, `,` or a stray token)
        }
    }
    i
}

// ---------------------------------------------------------------------------
// The crate as read from disk.

struct SourceFile {
    /// The path from the crate root, `src/lock/mod.rs`.
    rel: String,
    text: String,
}

/// A crate-root reference, placed.
#[derive(Debug, Clone)]
struct Ref {
    file: String,
    line: usize,
    /// The top-level module it is written in, or [`ROOT`].
    from: String,
    /// What it names directly under the root (a module or a root item).
    name: String,
    prefix: String,
    /// The line of source, trimmed.
    source: String,
}

impl Ref {
    fn at(&self) -> String {
        format!("{}:{}: `{}`", self.file, self.line, self.source)
    }
}

struct Crate {
    files: Vec<SourceFile>,
    modules: BTreeSet<String>,
    imports: BTreeMap<String, RootImport>,
    refs: Vec<Ref>,
}

/// Every file under `src/`, sorted by path.
fn source_files() -> Vec<SourceFile> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<SourceFile>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 file name");
            let rel = format!("{rel}/{name}");
            if path.is_dir() {
                walk(&path, &rel, out);
            } else {
                let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
                out.push(SourceFile { rel, text });
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "src", &mut files);
    assert!(files.iter().any(|f| f.rel == "src/lib.rs"), "structure tests: src/lib.rs not found");
    files
}

/// The module path of a source file: `src/lock/wait.rs` is `["lock",
/// "wait"]`, `src/lock/mod.rs` is `["lock"]`, `src/lib.rs` is `[]`.
fn module_path(rel: &str) -> Vec<String> {
    let inner = rel.strip_prefix("src/").and_then(|r| r.strip_suffix(".rs")).expect("a Rust file under src/");
    let mut path: Vec<String> = inner.split('/').map(str::to_string).collect();
    if path.last().is_some_and(|p| p == "mod") || path == ["lib"] {
        path.pop();
    }
    path
}

fn load() -> Crate {
    let files = source_files();
    let lib = files.iter().find(|f| f.rel == "src/lib.rs").expect("src/lib.rs");
    let (modules, imports) = root_declarations(&tokens(&blank_non_code(&lib.text)));
    assert!(!modules.is_empty(), "structure tests: found no `mod` items in src/lib.rs; is the parser out of date?");
    let mut refs = Vec::new();
    for file in files.iter().filter(|f| f.rel.ends_with(".rs") && !f.rel.ends_with("/tests.rs")) {
        let toks = tokens(&blank_non_code(&file.text));
        let lines: Vec<&str> = file.text.lines().collect();
        for r in root_refs(&toks, &module_path(&file.rel)) {
            refs.push(Ref {
                file: file.rel.clone(),
                line: r.line,
                from: r.in_module.first().cloned().unwrap_or_else(|| ROOT.into()),
                source: lines.get(r.line - 1).map_or("", |l| l.trim()).to_string(),
                name: r.name,
                prefix: r.prefix,
            });
        }
    }
    Crate { files, modules, imports, refs }
}

impl Crate {
    /// The node a root name stands for: the module itself, the module a root
    /// import comes from, or the root.
    fn node_of(&self, name: &str) -> String {
        if self.modules.contains(name) {
            return name.into();
        }
        match self.imports.get(name).and_then(|i| i.path.first()) {
            Some(first) if self.modules.contains(first) => first.clone(),
            _ => ROOT.into(),
        }
    }

    /// Top-level module → the modules it references, each edge with the
    /// first reference that makes it. The root's edges are its `use` items.
    fn graph(&self) -> BTreeMap<String, BTreeMap<String, Ref>> {
        let mut graph: BTreeMap<String, BTreeMap<String, Ref>> = BTreeMap::new();
        for node in self.modules.iter().cloned().chain([ROOT.to_string()]) {
            graph.entry(node).or_default();
        }
        let lib_lines: Vec<&str> =
            self.files.iter().find(|f| f.rel == "src/lib.rs").map_or(Vec::new(), |f| f.text.lines().collect());
        let root_uses = self.imports.values().filter_map(|i| {
            let to = i.path.first().filter(|m| self.modules.contains(*m))?;
            let source = lib_lines.get(i.line - 1).map_or("", |l| l.trim()).to_string();
            Some((
                to.clone(),
                Ref {
                    file: "src/lib.rs".into(),
                    line: i.line,
                    from: ROOT.into(),
                    name: to.clone(),
                    prefix: String::new(),
                    source,
                },
            ))
        });
        let refs = self.refs.iter().map(|r| (self.node_of(&r.name), r.clone()));
        for (to, r) in refs.chain(root_uses) {
            if to != r.from {
                graph.entry(r.from.clone()).or_default().entry(to).or_insert(r);
            }
        }
        graph
    }
}

type Graph = BTreeMap<String, BTreeMap<String, Ref>>;

/// Every set of modules that reach each other (a strongly connected
/// component of more than one node), with the shortest circle through it.
fn circles(graph: &Graph) -> Vec<(BTreeSet<String>, Vec<String>)> {
    let deps = |n: &str| graph.get(n).into_iter().flat_map(|e| e.keys().cloned()).collect::<Vec<_>>();
    let reach = |from: &str| {
        let (mut seen, mut todo) = (BTreeSet::new(), vec![from.to_string()]);
        while let Some(n) = todo.pop() {
            for d in deps(&n) {
                if seen.insert(d.clone()) {
                    todo.push(d);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|n| (n, reach(n))).collect();
    let mut found: Vec<(BTreeSet<String>, Vec<String>)> = Vec::new();
    for (node, reached) in &reaches {
        if !reached.contains(*node) || found.iter().any(|f| f.0.contains(*node)) {
            continue;
        }
        let members: BTreeSet<String> = reached.iter().filter(|m| reaches[m].contains(*node)).cloned().collect();
        // The shortest circle: a breadth-first search from each member back to itself.
        let mut shortest: Vec<String> = Vec::new();
        for start in &members {
            let mut prev: BTreeMap<String, String> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start.clone()]);
            'search: while let Some(n) = queue.pop_front() {
                for d in deps(&n).into_iter().filter(|d| members.contains(d)) {
                    if &d == start {
                        let mut path = vec![start.clone(), n.clone()];
                        while let Some(p) = prev.get(path.last().expect("a node")) {
                            path.push(p.clone());
                        }
                        if path.last() != Some(start) {
                            path.push(start.clone());
                        }
                        path.reverse();
                        path.dedup();
                        if shortest.is_empty() || path.len() < shortest.len() {
                            shortest = path;
                        }
                        break 'search;
                    }
                    if !prev.contains_key(&d) {
                        prev.insert(d.clone(), n.clone());
                        queue.push_back(d);
                    }
                }
            }
        }
        found.push((members, shortest));
    }
    found
}

/// Each node's layer in an acyclic graph: 0 for a module that uses no
/// other, else one more than the highest layer it uses.
fn layers(graph: &Graph) -> BTreeMap<String, usize> {
    fn layer(node: &str, graph: &Graph, memo: &mut BTreeMap<String, usize>) -> usize {
        if let Some(&l) = memo.get(node) {
            return l;
        }
        let deps: Vec<String> = graph.get(node).into_iter().flat_map(|e| e.keys().cloned()).collect();
        let l = deps.iter().map(|d| layer(d, graph, memo) + 1).max().unwrap_or(0);
        memo.insert(node.to_string(), l);
        l
    }
    let mut memo = BTreeMap::new();
    for node in graph.keys() {
        layer(node, graph, &mut memo);
    }
    memo
}

// ---------------------------------------------------------------------------
// The rules.

#[test]
fn rule_1_no_import_circle_between_top_level_modules() {
    let krate = load();
    let graph = krate.graph();
    let circles = circles(&graph);
    if !circles.is_empty() {
        let mut msg = String::from("rule 1 (no import circle between top-level modules) is broken:\n");
        for (members, shortest) in &circles {
            let members: Vec<&str> = members.iter().map(String::as_str).collect();
            let _ = writeln!(msg, "  these modules all reach each other: {}", members.join(", "));
            let _ = writeln!(msg, "  the shortest circle among them: {}", shortest.join(" -> "));
            for hop in shortest.windows(2) {
                let _ = writeln!(msg, "    {} -> {}: {}", hop[0], hop[1], graph[&hop[0]][&hop[1]].at());
            }
        }
        panic!("{msg}");
    }
    let layers = layers(&graph);
    let mut order: Vec<(usize, &String)> =
        layers.iter().filter(|(n, _)| n.as_str() != ROOT).map(|(n, &l)| (l, n)).collect();
    order.sort();
    println!("A dependency order of the top-level modules (each uses only modules before it):");
    println!("  {}", order.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", "));
    println!("By layer (a module uses only modules of lower layers):");
    for layer in 0..=order.last().map_or(0, |o| o.0) {
        let names: Vec<&str> = order.iter().filter(|o| o.0 == layer).map(|o| o.1.as_str()).collect();
        println!("  {layer:2}: {}", names.join(", "));
    }
}

#[test]
fn rule_2_no_core_module_imports_a_face_or_the_crate_root() {
    let krate = load();
    let mut broken = Vec::new();
    for r in &krate.refs {
        let core = r.from != ROOT && !FACES.contains(&r.from.as_str());
        let path = format!("{}{}", r.prefix, r.name);
        let why = if r.name == "ffi" && r.from != "ffi" {
            format!("`{}` names `{path}`: only `ffi` (the C skin) may use `crate::ffi`", r.from)
        } else if core && FACES.contains(&r.name.as_str()) {
            format!("core module `{}` names the face `{path}`", r.from)
        } else if core && !krate.modules.contains(&r.name) {
            match krate.imports.get(&r.name) {
                Some(i) if i.path.first().is_some_and(|m| FACES.contains(&m.as_str())) => format!(
                    "core module `{}` names `{path}`, a root re-export of the face item `{}`",
                    r.from,
                    i.path.join("::")
                ),
                Some(i) => format!(
                    "core module `{}` names `{path}`, a root re-export; use its module path `crate::{}`",
                    r.from,
                    i.path.join("::")
                ),
                None => format!("core module `{}` names `{path}`, which is not a module: the crate root", r.from),
            }
        } else {
            continue;
        };
        broken.push(format!("  {}\n    {why}", r.at()));
    }
    assert!(
        broken.is_empty(),
        "rule 2 (no core module imports the facade or the crate root; only ffi uses crate::ffi) is broken:\n{}\n\
         (core = every top-level module but {FACES:?})",
        broken.join("\n")
    );
}

#[test]
fn rule_3_no_source_file_is_longer_than_600_lines() {
    let long: Vec<String> = source_files()
        .iter()
        .map(|f| (f.rel.as_str(), f.text.lines().count()))
        .filter(|&(_, n)| n > MAX_LINES)
        .map(|(rel, n)| format!("  {rel}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "rule 3 (no file under src/ is longer than {MAX_LINES} lines) is broken; split these:\n{}",
        long.join("\n")
    );
}

/// The lines of every `impl` block whose self type is `Simulator`
/// (`impl Simulator`, `impl<T> crate::sim::Simulator`, `impl Debug for &Simulator`, …).
fn simulator_impls(toks: &[Tok]) -> Vec<usize> {
    let mut lines = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if t.text != "impl" {
            continue;
        }
        // The header: from `impl` to the body's `{` (or `where`), at angle depth 0.
        let mut header: Vec<(&str, usize)> = Vec::new(); // token, angle depth before it
        let mut angle = 0usize;
        for (j, h) in toks.iter().enumerate().skip(i + 1) {
            let s = h.text.as_str();
            if angle == 0 && matches!(s, "{" | "where" | ";") {
                break;
            }
            header.push((s, angle));
            match s {
                "<" => angle += 1,
                ">" if text(toks, j - 1) != "-" => angle = angle.saturating_sub(1),
                _ => {}
            }
        }
        // Drop the impl's own generics, then take what follows a top-level `for`.
        let mut rest: &[(&str, usize)] = &header;
        if rest.first().is_some_and(|h| h.0 == "<") {
            let close = rest.iter().position(|h| h.0 == ">" && h.1 == 1).map_or(rest.len(), |p| p + 1);
            rest = &rest[close..];
        }
        if let Some(f) = rest.iter().rposition(|h| h.0 == "for" && h.1 == 0) {
            rest = &rest[f + 1..];
        }
        // The self type: `&`, `'a`, `mut` dropped; then `a::b::Name` with
        // optional generic arguments, and nothing else.
        let mut ty: Vec<&str> = rest.iter().map(|h| h.0).collect();
        while let Some(&first) = ty.first() {
            if first == "&" || first == "mut" || first == "::" {
                ty.remove(0);
            } else if first == "'" && ty.len() > 1 {
                ty.drain(..2);
            } else {
                break;
            }
        }
        let end = ty.iter().position(|&s| s == "<").unwrap_or(ty.len());
        if end != ty.len() && ty.last() != Some(&">") {
            continue;
        }
        let path = &ty[..end];
        let is_path = path.len() % 2 == 1
            && path.iter().enumerate().all(|(k, s)| if k % 2 == 0 { is_ident(s) } else { *s == "::" });
        if is_path && path.last() == Some(&"Simulator") {
            lines.push(t.line);
        }
    }
    lines
}

#[test]
fn rule_4_every_impl_simulator_block_is_in_the_facade() {
    let mut misplaced = Vec::new();
    for file in source_files().iter().filter(|f| f.rel.ends_with(".rs") && !f.rel.starts_with("src/sim/")) {
        let lines: Vec<&str> = file.text.lines().collect();
        for line in simulator_impls(&tokens(&blank_non_code(&file.text))) {
            misplaced.push(format!("  {}:{line}: `{}`", file.rel, lines.get(line - 1).map_or("", |l| l.trim())));
        }
    }
    assert!(
        misplaced.is_empty(),
        "rule 4 (every `impl Simulator` block is in src/sim/, the facade) is broken; move these there:\n{}",
        misplaced.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The parser itself, on a sample written to trip it.

#[test]
fn the_parser_reads_paths_the_way_rustc_does() {
    let sample = r####"
//! use crate::in_a_doc_comment;
/* use crate::in_a_block_comment; /* nested */ use crate::still_a_comment; */
use crate::{alpha, beta::{self, B}, gamma::c as d};
use crate::pause::{self, Point};
use super::delta::X;
use self::local::Y;
const S: &str = "crate::in_a_string \" crate::still_in_it";
const R: &str = r#"crate::in_a_raw_string "# ;
const C: char = '{';
fn f<'a>(x: &'a u8) -> u8 { crate::epsilon::call(n); $crate::zeta::g(); *x }
pub(in crate::not_a_use) fn g() {}
#[cfg(test)]
use crate::test_only_use;
#[cfg(all(test, not(loom)))]
mod checks { use crate::test_only_mod; }
#[cfg(not(test))]
use crate::eta;
struct W {
    #[cfg(test)]
    probe: crate::test_only_field::P,
    kept: crate::theta::T,
}
mod tests { use crate::in_mod_tests; }
mod inner { use super::iota; use super::super::not_in_a_top_file; }
impl Simulator {}
impl<T: Into<u8>> crate::sim::Simulator<T> {}
impl std::fmt::Debug for &'a Simulator {}
fn h() -> impl Iterator<Item = Simulator> {}
fn k(s: impl Into<Simulator>) {}
impl SimulatorLike {}
"####;
    let toks = tokens(&blank_non_code(sample));
    let refs = root_refs(&toks, &[]);
    let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["alpha", "beta", "gamma", "pause", "local", "epsilon", "zeta", "eta", "theta", "iota", "sim"],
        "from src/lib.rs: `self::` is the root, `super::` climbs out of `inner`"
    );
    let inner = refs.iter().find(|r| r.name == "iota").expect("iota");
    assert_eq!((inner.prefix.as_str(), inner.in_module.as_slice()), ("super::", &["inner".to_string()][..]));
    let in_a_module = root_refs(&toks, &["m".to_string()]);
    let names: Vec<&str> = in_a_module.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["alpha", "beta", "gamma", "pause", "delta", "epsilon", "zeta", "eta", "theta", "not_in_a_top_file", "sim"],
        "from src/m.rs: `super::` is the root, `self::` is m"
    );
    assert_eq!(refs.iter().find(|r| r.name == "epsilon").map(|r| r.line), Some(11));
    assert_eq!(simulator_impls(&toks), [26, 27, 28], "impl Simulator blocks");

    let (modules, imports) = root_declarations(&tokens(&blank_non_code(
        "mod a;\n#[cfg(x)]\npub mod b;\nmod c { mod nested; }\npub use a::{A, b2::B as Bee};\npub use c::self_named::{self};\n",
    )));
    assert_eq!(modules.into_iter().collect::<Vec<_>>(), ["a", "b", "c"]);
    let paths: Vec<(&str, String)> = imports.iter().map(|(n, i)| (n.as_str(), i.path.join("::"))).collect();
    assert_eq!(paths, [("A", "a::A".to_string()), ("Bee", "a::b2::B".into()), ("self_named", "c::self_named".into())]);
}

#[test]
fn the_parser_sees_the_whole_crate() {
    let krate = load();
    for file in krate.files.iter().filter(|f| f.rel.ends_with(".rs") && f.rel != "src/lib.rs") {
        let top = &module_path(&file.rel)[0];
        assert!(
            krate.modules.contains(top),
            "{} is in module `{top}`, which src/lib.rs does not declare: dead code, or the parser is out of date",
            file.rel
        );
    }
    let graph = krate.graph();
    for face in ["sim", "guard"] {
        assert!(
            graph.get(face).is_some_and(|e| !e.is_empty()),
            "found no `crate::` reference in `{face}`; the parser is out of date"
        );
    }
}
