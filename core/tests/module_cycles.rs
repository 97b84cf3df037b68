#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Layering: no cycles between the top-level modules of a crate. Each top-level module's
//! sources (`x.rs` and everything under `x/`) are read as text; every `crate::x` and
//! `crate::{x, y::z}` is an edge to that module, except in comments, string literals and
//! `#[cfg(test)]` items (and the files of `#[cfg(test)] mod name;`), since tests do not make
//! layers. A strongly connected group of two or more modules is a cycle. The bar of the shared
//! `modcycles.py` tool (which also counts references in comments), run by `cargo test` so a new
//! cycle fails the build.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Crates whose top-level modules must form no cycle (source directories, from the repo root).
const ACYCLIC: &[&str] = &[
    "core/src",
    "contract/src",
    "durable-objects/src",
    "worker/src",
    "cli/src",
    "openapi/src",
];

/// A crate's top-level modules, each with the modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn blank(c: char) -> char {
    if c == '\n' { '\n' } else { ' ' }
}

/// At `chars[i]`, the opening of a raw string (`r"`, `r#"`, `br##"`, `cr"` …): its length up
/// to and including the quote, and the number of `#`.
fn raw_string_opening(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && chars.get(i - 1).is_some_and(|&c| is_ident(c)) {
        return None;
    }
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    (chars.get(j) == Some(&'"')).then_some((j + 1 - i, hashes))
}

/// The source with comments and the insides of string and character literals blanked
/// (newlines kept), so neither a doc link nor a `"{"` counts as code.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let at = |k: usize| chars.get(k).copied();
    let mut i = 0;
    while let Some(c) = at(i) {
        if c == '/' && at(i + 1) == Some('/') {
            while let Some(c) = at(i).filter(|&c| c != '\n') {
                out.push(blank(c));
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0usize;
            while let Some(c) = at(i) {
                let pair = (c, at(i + 1));
                if pair == ('/', Some('*')) || pair == ('*', Some('/')) {
                    depth = if c == '/' { depth + 1 } else { depth - 1 };
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c));
                    i += 1;
                }
            }
        } else if let Some((opening, hashes)) = raw_string_opening(&chars, i) {
            out.extend(&chars[i..i + opening]);
            i += opening;
            while let Some(c) = at(i) {
                let closes = c == '"' && (1..=hashes).all(|k| at(i + k) == Some('#'));
                if closes {
                    out.extend(&chars[i..=i + hashes]);
                    i += hashes + 1;
                    break;
                }
                out.push(blank(c));
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while let Some(c) = at(i) {
                i += 1;
                if c == '"' {
                    out.push('"');
                    break;
                }
                out.push(blank(c));
                if c == '\\'
                    && let Some(escaped) = at(i)
                {
                    out.push(blank(escaped));
                    i += 1;
                }
            }
        } else if c == '\'' && (at(i + 1) == Some('\\') || at(i + 2) == Some('\'')) {
            // A character literal ('x', '\'', '\u{7f}'); anything else is a lifetime or label.
            let mut end = if at(i + 1) == Some('\\') {
                i + 3
            } else {
                i + 2
            };
            while at(end).is_some_and(|c| c != '\'') {
                end += 1;
            }
            out.push('\'');
            out.extend((i + 1..end).filter_map(at).map(blank));
            if at(end).is_some() {
                out.push('\'');
            }
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Code without its `#[cfg(test)]` items (blanked), and the names of the modules declared
/// `#[cfg(test)] mod name;`, whose files hold tests only.
fn without_test_items(code: &str) -> (String, Vec<String>) {
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let mut chars: Vec<char> = code.chars().collect();
    let attribute: Vec<char> = ATTRIBUTE.chars().collect();
    let mut test_modules = Vec::new();
    let mut i = 0;
    while i + attribute.len() <= chars.len() {
        if chars[i..i + attribute.len()] != attribute[..] {
            i += 1;
            continue;
        }
        // The item ends at the first `;` or at the `}` matching the first `{`, outside any
        // brackets or parentheses (`[u8; 4]` in a signature does not end it).
        let start = i;
        let mut j = i + attribute.len();
        let mut nesting = 0usize;
        let mut end = chars.len();
        while let Some(&c) = chars.get(j) {
            match c {
                // Past the end of an enclosing block: the item was a field or an arm.
                '}' if nesting == 0 => {
                    end = j;
                    break;
                }
                '(' | '[' => nesting += 1,
                ')' | ']' => nesting = nesting.saturating_sub(1),
                ';' if nesting == 0 => {
                    let item: String = chars[start + attribute.len()..j].iter().collect();
                    let words: Vec<&str> = item.split_whitespace().collect();
                    if let Some(name) = words.iter().position(|w| *w == "mod") {
                        test_modules.extend(words.get(name + 1).map(|w| w.to_string()));
                    }
                    end = j + 1;
                    break;
                }
                '{' if nesting == 0 => {
                    let mut depth = 0usize;
                    while let Some(&c) = chars.get(j) {
                        depth = match c {
                            '{' => depth + 1,
                            '}' => depth - 1,
                            _ => depth,
                        };
                        j += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    end = j;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        for c in &mut chars[start..end] {
            *c = blank(*c);
        }
        i = end;
    }
    (chars.into_iter().collect(), test_modules)
}

fn leading_ident(text: &str) -> Option<String> {
    let name: String = text
        .trim_start()
        .chars()
        .take_while(|&c| is_ident(c))
        .collect();
    name.chars()
        .next()
        .is_some_and(|c| !c.is_ascii_digit())
        .then_some(name)
}

/// The first segment of every `crate::` path in `code`: `crate::x::y` names `x`,
/// `crate::{x, y::{z, w}}` names `x` and `y`. `$crate::` (in a macro) counts too.
fn crate_refs(code: &str) -> BTreeSet<String> {
    const CRATE: &str = "crate::";
    let mut refs = BTreeSet::new();
    let mut from = 0;
    while let Some(found) = code[from..].find(CRATE) {
        let start = from + found;
        from = start + CRATE.len();
        if code[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &code[from..];
        let Some(group) = rest.strip_prefix('{') else {
            refs.extend(leading_ident(rest));
            continue;
        };
        let mut depth = 0usize;
        let mut item = String::new();
        for c in group.chars() {
            match c {
                ',' | '}' if depth == 0 => {
                    refs.extend(leading_ident(&item));
                    item.clear();
                    if c == '}' {
                        break;
                    }
                    continue;
                }
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            item.push(c);
        }
    }
    refs
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The directory a file's `mod name;` declarations are found in.
fn child_dir(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new(""));
    match file.file_stem().and_then(|s| s.to_str()) {
        Some("mod" | "lib" | "main") | None => parent.to_path_buf(),
        Some(stem) => parent.join(stem),
    }
}

/// The module graph of the crate whose sources are in `src` (`lib.rs` and `main.rs` are the
/// crate root, not a module).
fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut test_only: Vec<PathBuf> = Vec::new();
    let mut sources = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let code = code_only(&text);
        if code.contains("#![cfg(test)]") {
            test_only.push(file);
            continue;
        }
        let (code, test_modules) = without_test_items(&code);
        for name in test_modules {
            test_only.push(child_dir(&file).join(format!("{name}.rs")));
            test_only.push(child_dir(&file).join(name));
        }
        sources.push((file, code));
    }
    let mut graph = Graph::new();
    for (file, code) in sources {
        if test_only.iter().any(|t| file.starts_with(t)) {
            continue;
        }
        let relative = file.strip_prefix(src).expect("a file under src");
        let Some(first) = relative.components().next() else {
            continue;
        };
        let first = first.as_os_str().to_string_lossy();
        let module = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        graph.entry(module).or_default().extend(crate_refs(&code));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, refs) in &mut graph {
        refs.retain(|r| r != module && modules.contains(r));
    }
    graph
}

/// The strongly connected components of two or more nodes (Tarjan), each sorted, in order.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        next: usize,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }

    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.graph.contains_key(w) {
                    continue;
                }
                let reached = match self.index.get(w) {
                    None => {
                        self.visit(w);
                        self.low[w]
                    }
                    Some(&index) if self.stack.contains(&w) => index,
                    Some(_) => continue,
                };
                let low = self.low[v].min(reached);
                self.low.insert(v, low);
            }
            if self.low[v] == self.index[v] {
                let at = self
                    .stack
                    .iter()
                    .rposition(|&n| n == v)
                    .expect("v is on the stack");
                let mut component: Vec<String> =
                    self.stack.drain(at..).map(str::to_owned).collect();
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }

    let mut walk = Walk {
        graph,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found.sort();
    walk.found
}

/// A cycle and the edges that close it, for a failure message.
fn describe(graph: &Graph, cycle: &[String]) -> String {
    let edges: Vec<String> = cycle
        .iter()
        .flat_map(|from| {
            let refs = graph.get(from).into_iter().flatten();
            refs.filter(|to| cycle.contains(to))
                .map(move |to| format!("{from} -> {to}"))
        })
        .collect();
    format!("{} ({})", cycle.join(", "), edges.join("; "))
}

fn crate_graph(src: &str) -> Graph {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(src);
    let graph = module_graph(&dir);
    assert!(
        graph.len() > 3,
        "{src}: found only {graph:?}; is the path right?"
    );
    graph
}

#[test]
fn no_crate_has_module_cycles() {
    let mut report = Vec::new();
    for src in ACYCLIC {
        let graph = crate_graph(src);
        let found = cycles(&graph);
        println!("{src}: {} modules, {} cycles", graph.len(), found.len());
        for cycle in &found {
            report.push(format!("{src}: cycle: {}", describe(&graph, cycle)));
        }
    }
    assert!(report.is_empty(), "module cycles:\n{}", report.join("\n"));
}

fn fixture(edges: &[(&str, &str)]) -> Graph {
    let mut graph = Graph::new();
    for (from, to) in edges {
        graph
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string());
        graph.entry(to.to_string()).or_default();
    }
    graph
}

#[test]
fn a_layered_graph_has_no_cycle() {
    let graph = fixture(&[("a", "b"), ("b", "c"), ("a", "c"), ("d", "a")]);
    assert_eq!(cycles(&graph), Vec::<Vec<String>>::new());
}

#[test]
fn cycles_are_the_strongly_connected_groups() {
    let graph = fixture(&[
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("d", "a"),
        ("d", "e"),
        ("e", "d"),
        ("f", "f"),
        ("f", "a"),
    ]);
    assert_eq!(
        cycles(&graph),
        vec![vec!["a", "b", "c"], vec!["d", "e"]],
        "a self-reference is no cycle"
    );
}

#[test]
fn edges_to_unknown_modules_are_ignored() {
    let mut graph = fixture(&[("a", "b")]);
    graph.entry("b".into()).or_default().insert("ghost".into());
    assert!(cycles(&graph).is_empty());
}

#[test]
fn references_skip_comments_literals_and_test_items() {
    let source = r##"
//! A doc link to [`crate::doc`] is no dependency.
use crate::{one, two::{Deep, deeper::X}, three::*};
use crate::four::Four; /* crate::block /* nested */ crate::block2 */
const S: &str = "crate::string";
const R: &str = r#"crate::raw " still raw"#;
const C: char = '"';
fn f<'a>(x: &'a [u8; 4]) -> usize { crate::five::run(x, '{') }
#[cfg(test)]
fn helper(x: [u8; 2]) { crate::test_helper::go() }
#[cfg(test)]
mod tests {
    use crate::tested;
    fn g() { let _ = '}'; }
}
#[cfg(test)]
mod more_tests;
macro_rules! m { () => { $crate::six::Six } }
fn after() { crate::seven() }
"##;
    let (code, test_modules) = without_test_items(&code_only(source));
    let refs: Vec<String> = crate_refs(&code).into_iter().collect();
    assert_eq!(
        refs,
        ["five", "four", "one", "seven", "six", "three", "two"]
    );
    assert_eq!(test_modules, ["more_tests"]);
}

#[test]
fn a_crate_on_disk_is_read_module_by_module() {
    let root = std::env::temp_dir().join(format!("latchkey-module-cycles-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("a fixture directory");
        fs::write(path, text).expect("a fixture file");
    };
    write(
        "lib.rs",
        "pub mod a;\npub mod b;\npub mod c;\nuse crate::a::A;\n",
    );
    write("a.rs", "pub mod inner;\npub struct A;\n");
    write("a/inner.rs", "use crate::b::B;\n");
    write("b.rs", "pub struct B;\n#[cfg(test)]\nmod tests;\n");
    write("b/tests.rs", "use crate::c::C;\n");
    write("c.rs", "pub struct C;\n// crate::a\n");
    let graph = module_graph(&root);
    let layered = cycles(&graph);
    write("c.rs", "pub struct C;\nuse crate::a::A;\n");
    write("b.rs", "use crate::c::C;\n");
    let cyclic = (module_graph(&root), cycles(&module_graph(&root)));
    fs::remove_dir_all(&root).expect("the fixture is removed");

    let expected: Graph = [("a", vec!["b"]), ("b", vec![]), ("c", vec![])]
        .into_iter()
        .map(|(module, refs)| {
            (
                module.to_owned(),
                refs.into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    assert_eq!(
        graph, expected,
        "the test module and the comment make no edge"
    );
    assert!(layered.is_empty());
    assert_eq!(cyclic.1, vec![vec!["a", "b", "c"]]);
}
