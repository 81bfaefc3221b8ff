//! The diesel schema (`backend/src/db/schema.rs`) is `diesel print-schema`'s output for the
//! migrated database, byte for byte: a migration without its schema change, or a hand edit
//! to the schema, fails here with the difference and the command that fixes it.

use std::process::Command;

#[test]
fn schema_rs_is_what_print_schema_writes_for_the_migrations() {
    let diesel = tests::tools::required(tests::tools::DIESEL_CLI_VAR, "the diesel CLI");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let url = tests::template_database_url();
    let output = Command::new(&diesel)
        .arg("print-schema")
        .args(["--config-file", "diesel.toml"])
        .args(["--database-url", &url])
        .current_dir(&root)
        .output()
        .expect("running diesel print-schema");
    assert!(
        output.status.success(),
        "diesel print-schema failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("UTF-8 schema");
    let committed = std::fs::read_to_string(root.join("backend/src/db/schema.rs")).unwrap();
    if printed != committed {
        let diff: Vec<String> = printed
            .lines()
            .zip(committed.lines())
            .enumerate()
            .filter(|(_, (p, c))| p != c)
            .take(10)
            .map(|(i, (p, c))| format!("line {}:\n  database: {p}\n  schema.rs: {c}", i + 1))
            .collect();
        panic!(
            "backend/src/db/schema.rs is out of step with the migrations ({} lines printed, \
             {} committed). First differences:\n{}\nRegenerate it with\n  {} print-schema \
             --database-url <a migrated database> > backend/src/db/schema.rs",
            printed.lines().count(),
            committed.lines().count(),
            diff.join("\n"),
            diesel.display()
        );
    }
}
