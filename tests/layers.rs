//! The module graph, read from the source: layers import downward only, and no two
//! top-level modules import each other, however indirectly. Cheap, and fails the moment a
//! change reaches upward (an op into the HTTP layer, the store into the usage log).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module → the top-level modules it names (`crate::x`), from its files.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        // Tests may reach anywhere; only the code counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let deps = g.entry(module.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                deps.insert(name);
            }
        }
    }
    g
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let g = graph();
    let forbid = |module: &str, above: &[&str]| {
        let deps = g
            .get(module)
            .unwrap_or_else(|| panic!("no module {module}"));
        for a in above {
            assert!(!deps.contains(*a), "{module} imports {a}: {deps:?}");
        }
    };
    // The gateway's state lives in `domain` (`domain::App`): no top-level `app` sits between
    // the HTTP layer and the ops for them to reach up into.
    let http_and_up = ["http", "route", "cli", "bootstrap", "app"];
    for m in [
        "ops", "s3", "domain", "store", "encode", "error", "model", "authz", "swift",
    ] {
        forbid(m, &http_and_up);
    }
    // The domain knows nothing of requests; the store knows nothing at all above it.
    forbid(
        "domain",
        &["ops", "s3", "app", "authz", "auth", "swift", "query"],
    );
    forbid(
        "store",
        &[
            "domain", "ops", "s3", "app", "auth", "authz", "encode", "model", "error", "query",
        ],
    );
    forbid(
        "encode",
        &[
            "domain", "ops", "s3", "app", "auth", "authz", "model", "store",
        ],
    );
    forbid("ops", &["s3", "auth", "swift"]);
    forbid("s3", &["ops", "swift"]);
}

/// The pipeline authenticates requests; S3 ops use `auth` only for what arrives in a body
/// they read: a browser upload's form, whose signature is over its policy.
#[test]
fn s3_ops_authenticate_only_browser_forms() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("s3");
    let mut files = Vec::new();
    rs_files(&dir, &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::auth::") {
            let rest = &code[i + "crate::auth::".len()..];
            assert!(
                rest.starts_with("post_policy"),
                "{} uses auth beyond post_policy",
                f.display()
            );
        }
    }
}

#[test]
fn no_import_cycle_between_modules() {
    let g = graph();
    // Depth-first search for a back edge.
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        m: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(i) = stack.iter().position(|s| s == m) {
            panic!("import cycle: {} → {m}", stack[i..].join(" → "));
        }
        stack.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            visit(g, d, stack, done);
        }
        stack.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        visit(&g, m, &mut Vec::new(), &mut done);
    }
}

#[test]
fn source_files_stay_readable() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    // Test modules in files of their own (`tests.rs`) are not source a reader must hold.
    for f in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let n = code.lines().count();
        assert!(
            n <= 600,
            "{} has {n} lines of code (at most 600)",
            f.display()
        );
    }
}
