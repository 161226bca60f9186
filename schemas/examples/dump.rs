//! Writes the embedded schemas to a directory for inspection and for scripts/crosscheck.py:
//! `definitions.json` (the shared document), `kinds.json` (the kind table) and one
//! self-contained `<kind>-<group>-<version>.json` per kind.
//!
//! cargo run -p gitops-ls-schemas --example dump -- OUT_DIR

use serde_json::json;

fn main() -> std::io::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "schemas-dump".into()));
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("definitions.json"), gitops_ls_schemas::DEFINITIONS_JSON)?;
    let mut table = Vec::new();
    for k in gitops_ls_schemas::kinds() {
        table.push(json!({
            "group": k.group, "version": k.version, "apiVersion": k.api_version,
            "kind": k.kind, "namespaced": k.namespaced, "definition": k.definition,
        }));
        let schema = gitops_ls_schemas::schema_for(k.api_version, k.kind).expect("listed kind");
        let group = if k.group.is_empty() { "core" } else { k.group };
        let file = format!("{}-{}-{}.json", k.kind.to_lowercase(), group, k.version);
        std::fs::write(out.join(file), serde_json::to_string_pretty(&schema)?)?;
    }
    std::fs::write(out.join("kinds.json"), serde_json::to_string_pretty(&table)?)?;
    println!(
        "Kubernetes {}: {} kinds, {} definitions, written to {}",
        gitops_ls_schemas::KUBERNETES_VERSION,
        table.len(),
        gitops_ls_schemas::definitions().len(),
        out.display()
    );
    Ok(())
}
