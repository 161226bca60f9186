//! The layering rule, checked: a module may use only modules of lower layers (and its own).
//! Test code is exempt: it may drive a lower layer through a higher one.

/// Bottom to top. Modules of one layer do not use each other, except where listed in
/// [`SAME_LAYER`]. The edges (`lsp`, `cli`) are the top and never use each other.
const LAYERS: &[&[&str]] = &[
    &["base"],
    &["text", "yaml", "vfs"],
    &["k8s"],
    &["schema"],
    &["index", "configsync"],
    &["analysis"],
    // Edges that do I/O for the analysis: settings, registries.
    &["config", "registry"],
    &["lsp", "cli"],
];

/// Same-layer uses that are allowed: the settings name the registry's options.
const SAME_LAYER: &[(&str, &str)] = &[("registry", "config")];

/// Below these layers nothing does I/O or knows protocol types; `vfs` is the file-system
/// edge and sits low on purpose.
const PURE_UP_TO: &str = "analysis";
const IO_MARKERS: &[&str] = &["tower_lsp_server", "std::fs", "std::net", "reqwest", "ureq", "std::process"];
/// Files of the pure layers that still load schemas themselves: modeline files, the disk
/// cache, and the background downloads the store queues (off the analysis path, but owned by
/// the schema layer rather than by an edge that feeds results in).
const IO_EXCEPTIONS: &[&str] = &["schema/store.rs", "schema/catalog.rs", "schema/downloads.rs"];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The source with test modules and comments removed.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            // A test module or item: skip it (to the end of the file for `mod tests {`).
            if lines.peek().is_some_and(|l| l.trim_start().starts_with("mod ") && l.trim_end().ends_with('{')) {
                break;
            }
            lines.next();
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Top-level modules named after `crate::` (also inside `use crate::{a, b::c}`).
fn used_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.push(name);
            }
        } else {
            out.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

#[test]
fn no_module_uses_a_higher_layer() {
    let mut violations = Vec::new();
    let mut checked = 0;
    for (rel, text) in crate::test_util::crate_sources() {
        let name = rel.to_string_lossy();
        if name.ends_with("tests.rs") || name.contains("/tests/") {
            continue;
        }
        let module = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        let Some(own) = layer(&module) else { continue };
        checked += 1;
        let code = production_code(&text);
        let pure = own <= layer(PURE_UP_TO).unwrap() && module != "vfs";
        if pure && !IO_EXCEPTIONS.contains(&name.as_ref()) {
            for marker in IO_MARKERS.iter().filter(|m| code.contains(*m)) {
                violations.push(format!("{name}: {module} is pure but uses {marker}"));
            }
        }
        for used in used_modules(&code) {
            let Some(theirs) = layer(&used) else { continue };
            let allowed = used == module || theirs < own || SAME_LAYER.contains(&(module.as_str(), used.as_str()));
            if !allowed {
                violations.push(format!("{name}: {module} uses crate::{used}"));
            }
        }
    }
    assert!(checked > 50, "only {checked} files checked: is the source tree where the test thinks?");
    violations.sort();
    violations.dedup();
    assert!(violations.is_empty(), "layering violations:\n{}", violations.join("\n"));
}

#[test]
fn the_checker_sees_uses_in_groups_and_ignores_tests_and_comments() {
    let code = production_code(
        "use crate::{yaml::Node, schema};\n// crate::lsp in a comment\nfn f() { crate::k8s::x(); }\n#[cfg(test)]\nmod tests {\n    use crate::cli;\n}\n",
    );
    assert_eq!(used_modules(&code), ["yaml", "schema", "k8s"]);
}
