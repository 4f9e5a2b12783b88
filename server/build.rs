//! Compiles the shipped FAQ entries (`content/faq/*.md`) into the binary: writes a table of
//! `include_str!`s, one per file, in file-name order. Cargo reruns this when the folder changes
//! and rebuilds when an included file does.

use std::{env, fs, path::PathBuf};

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../content/faq");
    println!("cargo::rerun-if-changed={}", dir.display());
    // Set by `.ci/env.sh`: another checkout sharing the target folder rebuilds this crate.
    println!("cargo::rerun-if-env-changed=WELKIN_PORTAL_CHECKOUT");

    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();

    let mut table = String::from("pub static BUILTIN: &[(&str, &str)] = &[\n");
    for path in files {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_else(|| panic!("{} is not a UTF-8 file name", path.display()));
        let absolute = path
            .canonicalize()
            .unwrap_or_else(|error| panic!("cannot resolve {}: {error}", path.display()));
        table.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("content/faq/{name}"),
            absolute.display().to_string()
        ));
    }
    table.push_str("];\n");

    let out =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("faq_builtin.rs");
    fs::write(&out, table)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", out.display()));
}
