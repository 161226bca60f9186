//! Findings printed the way `nomos vet` prints its errors, so CI logs read the same: each error
//! is `KNVxxxx: message`, then the object it is about, then the documentation link; several
//! errors are counted and numbered, and a clean run prints one line.

use std::path::{Path, PathBuf};

use crate::yaml::{Diagnostic, Node, YamlFile};

use super::objects;

const DOCS: &str = "For more information, see https://g.co/cloud/acm-errors#knv";

/// The object a finding is about, as nomos names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectId {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// One finding to print.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The file, as it should be displayed (relative to the root or the working directory).
    pub path: PathBuf,
    pub diagnostic: Diagnostic,
    /// The object the finding points into; `None` for findings about a file or directory.
    pub object: Option<ObjectId>,
}

/// The object (or `kind: List` item) of `file` whose text contains `offset`.
pub fn object_at(file: &YamlFile, offset: usize) -> Option<ObjectId> {
    let (mut objs, mut bad) = (Vec::new(), Vec::new());
    objects::file_objects(0, Path::new(""), file, &mut objs, &mut bad);
    objs.iter().filter(|o| o.node.span.shift(o.start).touches(offset)).min_by_key(|o| o.node.span.len()).map(|o| {
        ObjectId {
            group: o.group.to_string(),
            version: o.version.to_string(),
            kind: o.kind.to_string(),
            name: o.name.to_string(),
            namespace: o.namespace_node.and_then(Node::as_str).unwrap_or("").to_string(),
        }
    })
}

fn code(d: &Diagnostic) -> &str {
    d.code.strip_prefix("KNV").unwrap_or(d.code)
}

/// One error as nomos formats it (without the numbering).
fn format_one(f: &Finding) -> String {
    let mut out = format!("KNV{}: {}\n\n", code(&f.diagnostic), f.diagnostic.message);
    let path = f.path.to_string_lossy();
    match &f.object {
        Some(o) => {
            out.push_str(&format!("source: {path}\n"));
            if !o.namespace.is_empty() {
                out.push_str(&format!("namespace: {}\n", o.namespace));
            }
            let pad = |s: &str| if s.is_empty() { String::new() } else { format!(" {s}") };
            out.push_str(&format!("metadata.name:{}\n", pad(&o.name)));
            out.push_str(&format!("group:{}\nversion: {}\nkind: {}", pad(&o.group), o.version, o.kind));
        }
        None => out.push_str(&format!("path: {path}")),
    }
    out.push_str(&format!("\n\n{DOCS}{}", code(&f.diagnostic)));
    out
}

/// The whole report: `Error: ...` with every error (sorted, duplicates dropped) when there are
/// findings, the success line otherwise.
pub fn format_nomos(findings: &[Finding]) -> String {
    let mut errors: Vec<String> = findings.iter().map(format_one).collect();
    errors.sort();
    errors.dedup();
    match errors.len() {
        0 => "✅ No validation issues found.\n".to_string(),
        1 => format!("Error: {}\n", errors[0]),
        n => {
            let mut parts = vec![format!("{n} error(s)\n")];
            parts.extend(errors.iter().enumerate().map(|(i, e)| format!("[{}] {e}\n", i + 1)));
            format!("Error: {}\n", parts.join("\n\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Severity, Span};

    fn finding(path: &str, code: &'static str, message: &str, object: Option<ObjectId>) -> Finding {
        Finding {
            path: PathBuf::from(path),
            diagnostic: Diagnostic::new(Span::new(0, 0), Severity::Error, code, message),
            object,
        }
    }

    #[test]
    fn no_findings_is_the_success_line() {
        assert_eq!(format_nomos(&[]), "✅ No validation issues found.\n");
    }

    #[test]
    fn one_error_names_the_object() {
        let obj = ObjectId {
            group: "rbac.authorization.k8s.io".into(),
            version: "v1".into(),
            kind: "Role".into(),
            name: "reader".into(),
            namespace: "foo".into(),
        };
        let out = format_nomos(&[finding("namespaces/foo/role.yaml", "KNV1029", "names collide:", Some(obj))]);
        assert_eq!(
            out,
            "Error: KNV1029: names collide:\n\nsource: namespaces/foo/role.yaml\nnamespace: foo\nmetadata.name: reader\ngroup: rbac.authorization.k8s.io\nversion: v1\nkind: Role\n\nFor more information, see https://g.co/cloud/acm-errors#knv1029\n"
        );
    }

    #[test]
    fn core_group_and_path_findings_follow_nomos_spacing() {
        let obj = ObjectId { version: "v1".into(), kind: "Namespace".into(), name: "foo".into(), ..Default::default() };
        let out = format_nomos(&[
            finding("system/repo.yaml", "KNV1017", "no Repo.", None),
            finding("namespaces/foo/ns.yaml", "KNV1020", "bad name", Some(obj)),
            finding("system/repo.yaml", "KNV1017", "no Repo.", None),
        ]);
        assert_eq!(
            out,
            "Error: 2 error(s)\n\n\n[1] KNV1017: no Repo.\n\npath: system/repo.yaml\n\nFor more information, see https://g.co/cloud/acm-errors#knv1017\n\n\n\
             [2] KNV1020: bad name\n\nsource: namespaces/foo/ns.yaml\nmetadata.name: foo\ngroup:\nversion: v1\nkind: Namespace\n\nFor more information, see https://g.co/cloud/acm-errors#knv1020\n\n"
        );
    }

    #[test]
    fn object_at_finds_list_items() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    namespace: n\n";
        let file = YamlFile::parse(text);
        let at = text.find("name: a").unwrap();
        let id = object_at(&file, at).unwrap();
        assert_eq!((id.kind.as_str(), id.name.as_str(), id.namespace.as_str()), ("ConfigMap", "a", "n"));
    }
}
