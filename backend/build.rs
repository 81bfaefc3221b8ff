//! Embeds `frontend/templates/**/*.hbs`, `frontend/emails/**` and `frontend/static/**` into
//! the binary, so one file is all a deployment needs. Generates `assets.rs` listing each file
//! with `include_bytes!`; adding a file needs no code change.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn listing(root: &Path, name: &str) -> String {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(root, &mut files);
    let mut s = format!("pub static {name}: &[(&str, &[u8])] = &[\n");
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        s.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            relative,
            file.canonicalize().unwrap().display().to_string()
        ));
    }
    s.push_str("];\n");
    s
}

fn main() {
    let frontend = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend");
    let mut code = String::new();
    code.push_str(&listing(&frontend.join("templates"), "TEMPLATES"));
    code.push_str(&listing(&frontend.join("static"), "STATIC_FILES"));
    code.push_str(&listing(&frontend.join("emails"), "EMAIL_TEMPLATES"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("assets.rs");
    std::fs::write(out, code).unwrap();
}
