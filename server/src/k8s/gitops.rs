//! Values a GitOps tool rewrites before the API server sees them: Flux post-build
//! substitution (`${VAR}`, `${VAR:=default}`), SOPS-encrypted values (`ENC[…]`) and template
//! text for another engine (`{{ … }}`).

use crate::yaml::{Node, NodeKind, resolve_plain};

/// What Flux's post-build substitution makes of a string, when the variables are unset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Substituted {
    /// No `${…}` in it: the value is applied as written.
    Literal,
    /// Every variable has a default (`${VAR:=x}`, `${VAR:-x}`, `${VAR=x}`, `${VAR-x}`), or the
    /// `$${…}` escape: the text the API server gets when no variable is set.
    Defaulted(String),
    /// A variable without a default (or an operator other than a default): the value is only
    /// known once Flux has substituted it, so any type may come out.
    Unknown,
}

/// Expands `text` the way Flux's envsubst does when no variable is set.
pub fn substitute(text: &str) -> Substituted {
    if !text.contains("${") {
        return Substituted::Literal;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'$') && bytes.get(i + 2) == Some(&b'{') {
            // `$${VAR}` is the escape for a literal `${VAR}`.
            out.push('$');
            i += 2;
            continue;
        }
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            let name_start = i + 2;
            let mut j = name_start;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            if j == name_start || bytes[name_start].is_ascii_digit() {
                return Substituted::Unknown;
            }
            let rest = &text[j..];
            let default_at = ["}", ":=", ":-", "=", "-"].iter().find(|op| rest.starts_with(**op));
            match default_at {
                Some(&"}") | None => return Substituted::Unknown,
                Some(op) => {
                    let from = j + op.len();
                    let Some(close) = text[from..].find('}') else { return Substituted::Unknown };
                    let default = &text[from..from + close];
                    if default.contains("${") {
                        return Substituted::Unknown;
                    }
                    out.push_str(default);
                    i = from + close + 1;
                    continue;
                }
            }
        }
        let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8();
    }
    Substituted::Defaulted(out)
}

/// A value whose content is only known after a GitOps tool has processed it: an unresolved
/// Flux variable, a SOPS-encrypted value, or template text for another engine.
pub fn is_opaque(s: &str) -> bool {
    s.contains("${") || s.contains("{{") || is_encrypted(s)
}

/// `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`: a value SOPS encrypted.
pub fn is_encrypted(s: &str) -> bool {
    let s = s.trim();
    s.starts_with("ENC[") && s.ends_with(']') && s.contains(",data:")
}

/// The `sops:` entry of a SOPS-encrypted document: a mapping with SOPS's own metadata keys.
pub fn sops_entry(root: &Node) -> Option<&crate::yaml::Entry> {
    let entry = root.get_entry("sops")?;
    let keys: Vec<&str> = entry.value.entries().iter().filter_map(|e| e.key.as_str()).collect();
    let hits = ["mac", "lastmodified", "version", "age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"]
        .iter()
        .filter(|k| keys.contains(k))
        .count();
    (keys.contains(&"mac") || keys.contains(&"lastmodified")).then_some(entry).filter(|_| hits >= 2)
}

/// The `${VAR}` references in `text` that have no default (`${VAR:=x}` and the `$${…}`
/// escape are fine), with their byte ranges in `text`.
pub fn undefaulted_variables(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'$' {
            i += 2;
            continue;
        }
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            let start = i;
            let mut j = i + 2;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            let name = &text[i + 2..j];
            if !name.is_empty() && bytes.get(j) == Some(&b'}') {
                out.push((name.to_string(), start..j + 1));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// `kustomize.toolkit.fluxcd.io/substitute: disabled` opts an object out of substitution.
pub fn substitution_disabled(root: &Node) -> bool {
    root.get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("kustomize.toolkit.fluxcd.io/substitute"))
        .and_then(Node::as_str)
        == Some("disabled")
}

/// Whether any scalar value under `root` has a Flux default to apply.
fn has_defaults(root: &Node) -> bool {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::Scalar(s) => {
                if matches!(substitute(&s.value), Substituted::Defaulted(_)) {
                    return true;
                }
            }
            NodeKind::Mapping(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            NodeKind::Sequence(items) => stack.extend(items.iter()),
            NodeKind::Alias(_) => {}
        }
    }
    false
}

/// The object as Flux applies it when no variable is set: every value with defaults replaced
/// by its expansion, typed again the way the YAML decoder will read it (a plain `${N:=3}`
/// becomes the number 3, a quoted one the string "3"). Spans are kept, so problems still
/// point at what the user wrote. `None` when nothing changes.
pub fn with_defaults(root: &Node) -> Option<Node> {
    if !has_defaults(root) {
        return None;
    }
    let mut copy = root.clone();
    let mut stack = vec![&mut copy];
    while let Some(n) = stack.pop() {
        let untagged = n.tag().is_none();
        match &mut n.kind {
            NodeKind::Scalar(s) => {
                if let Substituted::Defaulted(v) = substitute(&s.value) {
                    if s.style == crate::yaml::ScalarStyle::Plain && untagged {
                        s.typed = resolve_plain(&v);
                    }
                    s.value = v.into();
                }
            }
            NodeKind::Mapping(entries) => stack.extend(entries.iter_mut().map(|e| &mut e.value)),
            NodeKind::Sequence(items) => stack.extend(items.iter_mut()),
            NodeKind::Alias(_) => {}
        }
    }
    Some(copy)
}

/// The root without its `sops:` entry (SOPS's metadata is removed when the file is decrypted).
pub fn without_sops(root: &Node) -> Node {
    let mut copy = root.clone();
    if let NodeKind::Mapping(entries) = &mut copy.kind {
        entries.retain(|e| e.key.as_str() != Some("sops"));
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_without_defaults_are_found_with_their_ranges() {
        let text = "${A}-${B:=x}-$${C}-${D_1}";
        let found = undefaulted_variables(text);
        let names: Vec<(&str, &str)> = found.iter().map(|(n, r)| (n.as_str(), &text[r.clone()])).collect();
        assert_eq!(names, [("A", "${A}"), ("D_1", "${D_1}")]);
    }
    use crate::yaml::{ScalarValue, YamlFile};

    #[test]
    fn flux_defaults_and_unknowns() {
        assert_eq!(substitute("plain"), Substituted::Literal);
        assert_eq!(substitute("${REPLICAS:=3}"), Substituted::Defaulted("3".into()));
        assert_eq!(substitute("${SIZE:-5Gi}"), Substituted::Defaulted("5Gi".into()));
        assert_eq!(substitute("${A=x}"), Substituted::Defaulted("x".into()));
        assert_eq!(substitute("app-${CLUSTER:=prod}-web"), Substituted::Defaulted("app-prod-web".into()));
        assert_eq!(substitute("${A:=}"), Substituted::Defaulted(String::new()));
        assert_eq!(substitute("$${LITERAL}"), Substituted::Defaulted("${LITERAL}".into()));
        assert_eq!(substitute("${CLUSTER}"), Substituted::Unknown);
        assert_eq!(substitute("app-${CLUSTER}"), Substituted::Unknown);
        assert_eq!(substitute("${A:=1}-${B}"), Substituted::Unknown);
        assert_eq!(substitute("${VAR^^}"), Substituted::Unknown);
        assert_eq!(substitute("${unclosed:=x"), Substituted::Unknown);
        assert_eq!(substitute("${}"), Substituted::Unknown);
        assert_eq!(substitute("ünï-${A:=b}"), Substituted::Defaulted("ünï-b".into()));
    }

    #[test]
    fn opaque_values() {
        assert!(is_opaque("${X}"));
        assert!(is_opaque("ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:int]"));
        assert!(is_opaque("{{ .Values.x }}"));
        assert!(!is_opaque("ENC"));
        assert!(!is_opaque("nginx:1.27"));
    }

    #[test]
    fn defaults_are_typed_by_their_quoting() {
        let file = YamlFile::parse("a: ${N:=3}\nb: \"${N:=3}\"\nc: ${X}\nd: !!str ${N:=4}\n");
        let root = file.documents()[0].doc.root.clone().unwrap();
        let out = with_defaults(&root).unwrap();
        assert_eq!(out.get("a").unwrap().as_scalar().unwrap().typed, ScalarValue::Int(3));
        let b = out.get("b").unwrap().as_scalar().unwrap();
        assert_eq!((&*b.value, &b.typed), ("3", &ScalarValue::String));
        assert_eq!(out.get("c").unwrap().as_str(), Some("${X}"));
        assert_eq!(out.get("d").unwrap().as_scalar().unwrap().typed, ScalarValue::String);
        assert_eq!(out.get("a").unwrap().span, root.get("a").unwrap().span);
        let plain = YamlFile::parse("a: ${X}\n");
        assert!(with_defaults(plain.documents()[0].doc.root.as_ref().unwrap()).is_none());
    }

    #[test]
    fn sops_metadata_is_recognised_by_its_keys() {
        let file = YamlFile::parse(
            "data: {a: x}\nsops:\n  mac: ENC[x]\n  lastmodified: '2024-01-01T00:00:00Z'\n  version: 3.8.1\n",
        );
        assert!(sops_entry(file.documents()[0].doc.root.as_ref().unwrap()).is_some());
        let other = YamlFile::parse("sops:\n  enabled: true\n");
        assert!(sops_entry(other.documents()[0].doc.root.as_ref().unwrap()).is_none());
    }
}
