//! The module layering that `docs/architecture.md` draws, checked on the source: plumbing
//! imports only plumbing below it, a context imports plumbing and the contexts before it
//! in `CONTEXTS`, and only the composition root names the composition root. A new module
//! that is in none of the lists fails here until it is placed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The plumbing, lowest first: each may import only those in earlier groups.
const PLUMBING: &[&[&str]] = &[
    &["config", "calendar", "assets", "pg_enum", "money"],
    &["db"],
    &["http"],
    &["mail"],
    &["audit"],
    &["auth"],
    &["storage"],
    &["background"],
    &["web", "registry"],
    &["state"],
];

/// The contexts, in the order they may import each other: each may import the ones before.
const CONTEXTS: &[&str] = &[
    "organisations",
    "evaluation",
    "procurement",
    "dps",
    "accounts",
    "admin",
    "home",
];

/// The composition root: may import anything; only its own members import it.
const COMPOSITION: &[&str] = &["app", "worker", "seed", "startup", "main", "lib"];

fn backend_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../backend/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("backend/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`procurement/api.rs` → `procurement`).
fn owner(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .to_string();
    first.trim_end_matches(".rs").to_string()
}

/// Every `crate::x` (or `backend::x` in the binary) named outside comments.
fn imports(source: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn plumbing_rank(module: &str) -> Option<usize> {
    PLUMBING.iter().position(|group| group.contains(&module))
}

/// Why `from` may not import `to`, if it may not.
fn refusal(from: &str, to: &str) -> Option<String> {
    if COMPOSITION.contains(&from) {
        return None;
    }
    if COMPOSITION.contains(&to) {
        return Some(format!("{to} is the composition root"));
    }
    match (plumbing_rank(from), plumbing_rank(to)) {
        (Some(f), Some(t)) if t >= f => Some(format!("{to} is not below {from} in the plumbing")),
        (Some(_), None) => Some(format!("plumbing may not import the context {to}")),
        (Some(_), Some(_)) | (None, Some(_)) => None,
        (None, None) => {
            let f = CONTEXTS.iter().position(|c| *c == from)?;
            let t = CONTEXTS.iter().position(|c| *c == to)?;
            (t >= f).then(|| format!("{to} does not come before {from} among the contexts"))
        }
    }
}

#[test]
fn modules_import_only_what_the_layering_allows() {
    let src = backend_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "found the backend's source");
    let mut unplaced = BTreeSet::new();
    let mut broken = Vec::new();
    for file in &files {
        let from = owner(&src, file);
        let source = std::fs::read_to_string(file).expect("source is readable");
        let prefix = if from == "main" {
            "backend::"
        } else {
            "crate::"
        };
        let known = |m: &str| {
            plumbing_rank(m).is_some() || CONTEXTS.contains(&m) || COMPOSITION.contains(&m)
        };
        if !known(&from) {
            unplaced.insert(from.clone());
        }
        for to in imports(&source, prefix) {
            if to == from {
                continue;
            }
            if !known(&to) {
                unplaced.insert(to.clone());
                continue;
            }
            if let Some(why) = refusal(&from, &to) {
                broken.push(format!(
                    "{} imports {to}: {why}",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules in no layer (add them to this test and docs/architecture.md): {unplaced:?}"
    );
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_layering_check_refuses_what_it_should() {
    assert!(
        refusal("http", "auth").is_some(),
        "plumbing importing upwards"
    );
    assert!(refusal("mail", "web").is_some());
    assert!(
        refusal("web", "procurement").is_some(),
        "plumbing importing a context"
    );
    assert!(
        refusal("organisations", "procurement").is_some(),
        "a context importing a later one"
    );
    assert!(
        refusal("procurement", "app").is_some(),
        "a context importing the root"
    );
    assert!(refusal("procurement", "organisations").is_none());
    assert!(refusal("auth", "http").is_none());
    assert!(refusal("app", "procurement").is_none());
    assert_eq!(
        imports(
            "use crate::auth::X; // crate::app\nlet a = my_crate::web;",
            "crate::"
        ),
        BTreeSet::from(["auth".to_string()])
    );
}
