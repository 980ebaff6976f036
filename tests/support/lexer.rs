//! The small Rust lexer the source-reading tests share
//! (`tests/structure.rs`, `tests/doc_examples.rs`): it blanks comments and
//! literals, splits code into tokens, matches brackets and tells test-only
//! code apart. Not a Rust parser; each test's doc says what it cannot see.
//! Each test includes it with `#[path]`, and neither uses all of it.
#![allow(dead_code)]

pub fn blank_non_code(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let start = i;
        let prev_ident = i > 0 && is_ident_char(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0usize;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&c, i, prev_ident) {
            i = end;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c[i] == '\'' && c.get(i + 1) == Some(&'\\') {
            // An escaped char literal: '\n', '\'', '\u{1F600}'.
            i += 3;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i += 3; // 'x' (a lifetime 'a is left alone)
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        }
        for &ch in &c[start..i.min(c.len())] {
            out.push(if ch == '\n' { '\n' } else { ' ' });
        }
    }
    out
}

/// The end of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`, `cr"…"`)
/// starting at `i`, if one does.
pub fn raw_string_end(c: &[char], i: usize, prev_ident: bool) -> Option<usize> {
    if prev_ident {
        return None;
    }
    let mut j = i;
    if matches!(c[j], 'b' | 'c') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&ch| ch == '#').count();
    j += hashes;
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"' && c[j + 1..].iter().take(hashes).filter(|&&ch| ch == '#').count() == hashes {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

pub fn is_ident_char(ch: char) -> bool {
    ch == '_' || ch.is_alphanumeric()
}

pub fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|ch| ch == '_' || ch.is_alphabetic())
}

#[derive(Debug)]
pub struct Tok {
    pub text: String,
    pub line: usize,
}

/// Identifiers (numbers too), `$ident`, `::` and single punctuation
/// characters of code already passed through [`blank_non_code`].
pub fn tokens(code: &str) -> Vec<Tok> {
    let c: Vec<char> = code.chars().collect();
    let mut toks = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if is_ident_char(ch) || (ch == '$' && c.get(i + 1).is_some_and(|&n| is_ident_char(n))) {
            let start = i;
            i += 1;
            while i < c.len() && is_ident_char(c[i]) {
                i += 1;
            }
            toks.push(Tok { text: c[start..i].iter().collect(), line });
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            toks.push(Tok { text: "::".into(), line });
            i += 2;
        } else {
            toks.push(Tok { text: ch.to_string(), line });
            i += 1;
        }
    }
    toks
}

pub fn text(toks: &[Tok], i: usize) -> &str {
    toks.get(i).map_or("", |t| t.text.as_str())
}

/// The index of the bracket that closes the one at `open`.
pub fn matching(toks: &[Tok], open: usize) -> usize {
    let mut nest = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "(" | "[" | "{" => nest += 1,
            ")" | "]" | "}" => {
                nest -= 1;
                if nest == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

// ---------------------------------------------------------------------------
// Test-only code.

/// The attribute starting at the `#` at `i`: the index after its `]`,
/// whether it is an inner attribute (`#![…]`), and whether it makes what it
/// applies to test-only (`#[test]`, `#[cfg(test)]`, `#[cfg(all(test, …))]`).
pub fn attribute(toks: &[Tok], i: usize) -> Option<(usize, bool, bool)> {
    let mut j = i + 1;
    let inner = text(toks, j) == "!";
    if inner {
        j += 1;
    }
    if text(toks, j) != "[" {
        return None;
    }
    let close = matching(toks, j);
    let body = &toks[j + 1..close.min(toks.len())];
    let test_only = match body {
        [t] => t.text == "test",
        [cfg, open, pred @ .., close] => {
            cfg.text == "cfg" && open.text == "(" && close.text == ")" && predicate_is_test_only(pred)
        }
        _ => false,
    };
    Some((close + 1, inner, test_only))
}

/// Whether a `cfg` predicate holds only under `test`.
pub fn predicate_is_test_only(pred: &[Tok]) -> bool {
    match pred {
        [t] => t.text == "test",
        [all, open, list @ .., close] if all.text == "all" && open.text == "(" && close.text == ")" => {
            split_top_level(list).iter().any(|p| predicate_is_test_only(p))
        }
        _ => false,
    }
}

pub fn split_top_level(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let (mut nest, mut start) = (0usize, 0);
    for (j, t) in toks.iter().enumerate() {
        match t.text.as_str() {
            "(" | "[" | "{" => nest += 1,
            ")" | "]" | "}" => nest = nest.saturating_sub(1),
            "," if nest == 0 => {
                parts.push(&toks[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    parts.push(&toks[start..]);
    parts
}

/// The index after the item (or statement, field, arm) starting at `i`: its
/// `;` or `,`, or the `}` of its body. When unsure it stops early, so test
/// code may be read as code, never the other way round.
pub fn skip_item(toks: &[Tok], i: usize) -> usize {
    let mut nest = 0usize;
    for (j, t) in toks.iter().enumerate().skip(i) {
        match t.text.as_str() {
            "(" | "[" | "{" => nest += 1,
            ")" | "]" | "}" if nest == 0 => return j, // the end of the enclosing block
            ")" | "]" => nest -= 1,
            "}" => {
                nest -= 1;
                if nest == 0 {
                    return j + 1;
                }
            }
            ";" | "," if nest == 0 => return j + 1,
            _ => {}
        }
    }
    toks.len()
}

/// The index of the bracket that closes the block `i` is in (for `#![cfg(test)]`).
pub fn skip_rest_of_block(toks: &[Tok], i: usize) -> usize {
    let mut nest = 0usize;
    for (j, t) in toks.iter().enumerate().skip(i) {
        match t.text.as_str() {
            "(" | "[" | "{" => nest += 1,
            ")" | "]" | "}" if nest == 0 => return j,
            ")" | "]" | "}" => nest -= 1,
            _ => {}
        }
    }
    toks.len()
}
