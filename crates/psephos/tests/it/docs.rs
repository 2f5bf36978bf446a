//! The documentation stays true to the code.

use std::path::Path;

use psephos_model::Code;

fn doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_diagnostic_code_is_documented() {
    let text = doc("diagnostics.md");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !text.contains(c.as_str()) || !text.contains(c.name()))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "docs/diagnostics.md does not describe {missing:?}");
}

#[test]
fn every_command_is_documented() {
    let text = doc("cli.md");
    for command in [
        "validate",
        "tabulate",
        "allocate",
        "apportion",
        "rcv",
        "init",
        "demo",
        "export",
        "report",
        "audit sample",
        "audit size",
        "audit plan",
        "audit draw",
        "audit record",
        "audit assess",
        "audit verify",
        "ledger init",
        "ledger append",
        "ledger checkpoint",
        "ledger prove",
        "ledger export",
        "verify",
    ] {
        assert!(
            text.contains(&format!("psephos {command}")),
            "docs/cli.md lacks `psephos {command}`"
        );
    }
}
