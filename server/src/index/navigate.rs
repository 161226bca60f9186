//! Navigation over the repository: where a kustomization path or an object reference leads,
//! who refers to an object, and objects by kind and name.

use std::path::{Path, PathBuf};

use super::refs::{Reference, is_cluster_scoped_target};
use super::{FileSummary, ObjectSummary, RepoIndex};
use crate::k8s::kustomize::KUSTOMIZATION_FILE_NAMES;
use crate::yaml::Span;

/// A place in a file of the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub path: PathBuf,
    /// `None`: the whole file (its start).
    pub span: Option<Span>,
}

/// The file a kustomization entry opens: the file itself, or a directory's kustomization.
fn entry_target(index: &RepoIndex, path: &Path, is_dir: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    if is_dir(path) {
        return KUSTOMIZATION_FILE_NAMES.iter().map(|n| path.join(n)).find(|k| index.get(k).is_some());
    }
    Some(path.to_path_buf())
}

/// Document links: every kustomization entry that names something that exists.
pub fn links(
    index: &RepoIndex,
    own: &FileSummary,
    exists: &dyn Fn(&Path) -> bool,
    is_dir: &dyn Fn(&Path) -> bool,
) -> Vec<(Span, PathBuf)> {
    let Some(k) = &own.kustomization else { return Vec::new() };
    k.build
        .entries
        .iter()
        .filter(|e| exists(&e.path))
        .filter_map(|e| Some((e.span, entry_target(index, &e.path, is_dir)?)))
        .collect()
}

/// The reference of `own` at `offset`, with the namespace its target is looked up in.
fn reference_at(own: &FileSummary, offset: usize) -> Option<(&ObjectSummary, &Reference)> {
    own.objects.iter().find_map(|o| o.refs.iter().find(|r| r.span.touches(offset)).map(|r| (o, r)))
}

fn same_namespace(group: &str, kind: &str, a: Option<&str>, b: Option<&str>) -> bool {
    is_cluster_scoped_target(group, kind) || a.is_none() || b.is_none() || a == b
}

/// Where the path or reference at `offset` leads.
pub fn definition(index: &RepoIndex, own: &FileSummary, offset: usize, is_dir: &dyn Fn(&Path) -> bool) -> Vec<Target> {
    if let Some(k) = &own.kustomization
        && let Some(e) = k.build.entries.iter().find(|e| e.span.touches(offset))
    {
        return entry_target(index, &e.path, is_dir).map(|path| Target { path, span: None }).into_iter().collect();
    }
    let Some((from, r)) = reference_at(own, offset) else { return Vec::new() };
    let namespace = r.namespace.as_deref().or(from.namespace.as_deref());
    let mut out: Vec<Target> = index
        .files()
        .flat_map(|(p, s)| s.objects.iter().map(move |o| (p, o)))
        .filter(|(_, o)| {
            o.group() == r.group
                && o.kind == r.kind
                && o.name.as_deref() == Some(r.name.as_str())
                && same_namespace(&r.group, &r.kind, o.namespace.as_deref(), namespace)
        })
        .map(|(p, o)| Target { path: p.to_path_buf(), span: Some(o.name_span.unwrap_or(o.span)) })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Every reference in the repository to the object whose name is at `offset` in `own`
/// (with the definition itself when `include_declaration`).
pub fn references(
    index: &RepoIndex,
    path: &Path,
    own: &FileSummary,
    offset: usize,
    include_declaration: bool,
) -> Vec<Target> {
    let Some(object) = own.objects.iter().find(|o| o.name_span.is_some_and(|s| s.touches(offset))) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if include_declaration {
        out.push(Target { path: path.to_path_buf(), span: object.name_span });
    }
    out.extend(referrers(index, path, own, object));
    out
}

/// The references that point at `object` (declared in `own`, at `path`).
pub fn referrers(index: &RepoIndex, path: &Path, own: &FileSummary, object: &ObjectSummary) -> Vec<Target> {
    let Some(name) = object.name.as_deref() else { return Vec::new() };
    let mut out = Vec::new();
    let mut visit = |p: &Path, s: &FileSummary| {
        for o in &s.objects {
            for r in &o.refs {
                let ns = r.namespace.as_deref().or(o.namespace.as_deref());
                if r.group == object.group()
                    && r.kind == object.kind
                    && r.name == name
                    && same_namespace(&r.group, &r.kind, object.namespace.as_deref(), ns)
                {
                    out.push(Target { path: p.to_path_buf(), span: Some(r.span) });
                }
            }
        }
    };
    visit(path, own);
    for (p, s) in index.files().filter(|(p, _)| *p != path) {
        visit(p, s);
    }
    out.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
    out
}

/// Hover text from the repository around the name under `offset`: how each build renders
/// the object and how many references point at it; for a patch entry, what it patches.
pub fn hover_note(index: &RepoIndex, path: &Path, own: &FileSummary, offset: usize) -> Option<(Span, String)> {
    let derived = index.derived();
    if let Some((i, o)) = own.objects.iter().enumerate().find(|(_, o)| o.name_span.is_some_and(|s| s.touches(offset))) {
        let mut lines = Vec::new();
        for (unit, m) in derived.rendered(path, i) {
            let id = match (&m.namespace, &m.name) {
                (Some(ns), Some(n)) => format!("`{ns}/{n}`"),
                (None, Some(n)) => format!("`{n}`"),
                _ => "(no name)".to_string(),
            };
            let via = if unit.kustomize { "kustomize build of" } else { "directory" };
            lines.push(format!("- {id} in the {via} `{}`", super::units::relative(path, &unit.root)));
        }
        let refs = referrers(index, path, own, o);
        let mut out = String::new();
        if !lines.is_empty() {
            out.push_str(&format!("**Applied as**\n{}\n\n", lines.join("\n")));
        }
        let files: std::collections::BTreeSet<String> =
            refs.iter().map(|t| super::units::relative(path, &t.path)).collect();
        out.push_str(&match refs.len() {
            0 => "No reference to it in this repository.".to_string(),
            n => format!(
                "{n} reference{} in this repository: {}",
                if n == 1 { "" } else { "s" },
                files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            ),
        });
        return Some((o.name_span?, out));
    }
    for o in &own.objects {
        if let Some((name, span)) = o.variables.iter().find(|(_, s)| s.touches(offset)) {
            let owners = derived.substitutions.get(path).map(Vec::as_slice).unwrap_or_default();
            let lines: Vec<String> = owners
                .iter()
                .map(|s| match s.variables.get(name) {
                    Some(Some(v)) => format!("- `{v}` from the Flux Kustomization `{}`", s.owner),
                    Some(None) => format!("- set from a Secret by the Flux Kustomization `{}`", s.owner),
                    None if s.complete => format!("- not set by the Flux Kustomization `{}`", s.owner),
                    None => format!("- not set in this repository for `{}` (may come from the cluster)", s.owner),
                })
                .collect();
            if lines.is_empty() {
                return Some((*span, format!("`{name}`: no Flux Kustomization with `postBuild` applies this file")));
            }
            return Some((*span, format!("**`${{{name}}}`**\n{}", lines.join("\n"))));
        }
    }
    let k = own.kustomization.as_ref()?;
    let unit_inputs = derived.inputs_of(path)?;
    let describe = |m: &super::units::Member| {
        let id = match (&m.namespace, &m.name) {
            (Some(ns), Some(n)) => format!("{ns}/{n}"),
            (_, n) => n.clone().unwrap_or_default(),
        };
        format!("- {} `{id}` (`{}`)", m.kind, super::units::relative(path, &m.file))
    };
    if let Some(t) = k.build.patch_targets.iter().find(|t| t.span.touches(offset)) {
        let hits: Vec<String> =
            unit_inputs.iter().filter(|m| super::units::target_matches(t, m, index)).map(describe).collect();
        let text =
            if hits.is_empty() { "Patches nothing.".to_string() } else { format!("**Patches**\n{}", hits.join("\n")) };
        return Some((t.span, text));
    }
    None
}

/// What a rename at a position renames: an object (group, kind, namespace, name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// The name under `offset` that a rename would change (an object's `metadata.name`, or a
/// reference to one), with its span.
pub fn rename_target(own: &FileSummary, offset: usize) -> Option<(Span, Renamed)> {
    if let Some(o) = own.objects.iter().find(|o| o.name_span.is_some_and(|s| s.touches(offset))) {
        let renamed = Renamed {
            group: o.group().to_string(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone()?,
        };
        return Some((o.name_span?, renamed));
    }
    let (from, r) = reference_at(own, offset)?;
    let namespace =
        if is_cluster_scoped_target(&r.group, &r.kind) { None } else { r.namespace.clone().or(from.namespace.clone()) };
    Some((r.span, Renamed { group: r.group.clone(), kind: r.kind.clone(), namespace, name: r.name.clone() }))
}

/// Every place naming `renamed`: its definitions and the references to it, with `own` as the
/// current summary of the file at `path`.
pub fn rename_sites(index: &RepoIndex, path: &Path, own: &FileSummary, renamed: &Renamed) -> Vec<Target> {
    let mut out = Vec::new();
    let mut visit = |p: &Path, s: &FileSummary| {
        for o in &s.objects {
            let defines = o.group() == renamed.group
                && o.kind == renamed.kind
                && o.name.as_deref() == Some(renamed.name.as_str())
                && same_namespace(&renamed.group, &renamed.kind, o.namespace.as_deref(), renamed.namespace.as_deref());
            if defines && let Some(span) = o.name_span {
                out.push(Target { path: p.to_path_buf(), span: Some(span) });
            }
            for r in &o.refs {
                let ns = r.namespace.as_deref().or(o.namespace.as_deref());
                if r.group == renamed.group
                    && r.kind == renamed.kind
                    && r.name == renamed.name
                    && same_namespace(&r.group, &r.kind, ns, renamed.namespace.as_deref())
                {
                    out.push(Target { path: p.to_path_buf(), span: Some(r.span) });
                }
            }
        }
    };
    visit(path, own);
    for (p, s) in index.files().filter(|(p, _)| *p != path) {
        visit(p, s);
    }
    out.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
    out.dedup();
    out
}

/// The kustomization entries a file or directory move breaks, with the text each should
/// say instead: (kustomization, entry span, new path as written there).
pub fn file_moves(index: &RepoIndex, old: &Path, new: &Path) -> Vec<(PathBuf, Span, String, String)> {
    let mut out = Vec::new();
    for (k, s) in index.files() {
        let Some(build) = s.kustomization.as_ref().map(|k| &k.build) else { continue };
        // The kustomization itself moving changes what every relative entry means.
        let moved_dir = if k.starts_with(old) { new.join(k.strip_prefix(old).unwrap_or(k)) } else { k.to_path_buf() };
        for e in &build.entries {
            let target = match e.path.strip_prefix(old) {
                Ok(rest) if rest.as_os_str().is_empty() => new.to_path_buf(),
                Ok(rest) => new.join(rest),
                Err(_) if moved_dir != k => e.path.clone(),
                Err(_) => continue,
            };
            let mut written = super::units::relative(&moved_dir, &target);
            if e.raw.starts_with("./") && !written.starts_with("..") {
                written = format!("./{written}");
            }
            if written != e.raw {
                out.push((k.to_path_buf(), e.span, e.raw.clone(), written));
            }
        }
    }
    out.sort();
    out
}

/// Objects whose `Kind name` matches `query` (case-insensitive, letters in order), best first:
/// (file, object).
pub fn symbols<'a>(index: &'a RepoIndex, query: &str, limit: usize) -> Vec<(&'a Path, &'a ObjectSummary)> {
    let query: Vec<char> = query.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    let mut found: Vec<(usize, &Path, &ObjectSummary)> = index
        .files()
        .flat_map(|(p, s)| s.objects.iter().map(move |o| (p, o)))
        .filter_map(|(p, o)| {
            let name = o.name.as_deref()?;
            let text = format!("{}{}", o.kind, name).to_lowercase();
            let score = subsequence_score(&text, &query)?;
            Some((score, p, o))
        })
        .collect();
    found.sort_by(|a, b| (a.0, a.1, a.2.span.start).cmp(&(b.0, b.1, b.2.span.start)));
    found.truncate(limit);
    found.into_iter().map(|(_, p, o)| (p, o)).collect()
}

/// Lower is better: how spread out `query`'s letters are in `text`; `None` when they are not all
/// there in order.
fn subsequence_score(text: &str, query: &[char]) -> Option<usize> {
    if query.is_empty() {
        return Some(0);
    }
    if let Some(i) = text.find(&query.iter().collect::<String>()) {
        return Some(i.min(1));
    }
    let mut q = query.iter().peekable();
    let mut gaps = 0;
    let mut started = false;
    for c in text.chars() {
        match q.peek() {
            Some(&&w) if w == c => {
                q.next();
                started = true;
            }
            Some(_) if started => gaps += 1,
            Some(_) => {}
            None => break,
        }
    }
    q.peek().is_none().then_some(2 + gaps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::summarize;
    use crate::yaml::YamlFile;

    fn index(files: &[(&str, &str)]) -> RepoIndex {
        let mut index = RepoIndex::default();
        for (p, t) in files {
            index.update(PathBuf::from(p), summarize(Some(Path::new(p)), p, &YamlFile::parse(*t), |_| 1));
        }
        index
    }

    const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  template:
    spec:
      containers:
        - name: c
          envFrom: [{configMapRef: {name: settings}}]
";
    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\n";
    const OTHER_NS: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: other}\n";

    #[test]
    fn references_lead_to_their_definition_and_back() {
        let idx = index(&[("/r/d.yaml", DEPLOY), ("/r/cm.yaml", CM), ("/r/o.yaml", OTHER_NS)]);
        let own = idx.get(Path::new("/r/d.yaml")).unwrap().clone();
        let at = DEPLOY.find("settings").unwrap() + 2;
        let found = definition(&idx, &own, at, &|_| false);
        let start = CM.find("settings").unwrap();
        assert_eq!(found, [Target { path: "/r/cm.yaml".into(), span: Some(Span::new(start, start + 8)) }]);
        let cm = idx.get(Path::new("/r/cm.yaml")).unwrap().clone();
        let refs = references(&idx, Path::new("/r/cm.yaml"), &cm, start + 1, false);
        let ref_start = DEPLOY.find("settings").unwrap();
        assert_eq!(refs, [Target { path: "/r/d.yaml".into(), span: Some(Span::new(ref_start, ref_start + 8)) }]);
        // The ConfigMap of another namespace is not what the Deployment uses.
        let other = idx.get(Path::new("/r/o.yaml")).unwrap().clone();
        let o_start = OTHER_NS.find("settings").unwrap();
        assert!(references(&idx, Path::new("/r/o.yaml"), &other, o_start, false).is_empty());
    }

    #[test]
    fn kustomization_entries_link_to_files_and_to_directories_kustomizations() {
        let k = "resources: [d.yaml, base, missing.yaml]\n";
        let idx = index(&[("/r/app/kustomization.yaml", k), ("/r/app/base/kustomization.yaml", "resources: []\n")]);
        let own = idx.get(Path::new("/r/app/kustomization.yaml")).unwrap().clone();
        let exists = |p: &Path| p != Path::new("/r/app/missing.yaml");
        let is_dir = |p: &Path| p == Path::new("/r/app/base");
        let got: Vec<(&str, PathBuf)> =
            links(&idx, &own, &exists, &is_dir).into_iter().map(|(s, p)| (&k[s.start..s.end], p)).collect();
        assert_eq!(
            got,
            [("d.yaml", PathBuf::from("/r/app/d.yaml")), ("base", PathBuf::from("/r/app/base/kustomization.yaml"))]
        );
        let at = k.find("base").unwrap();
        assert_eq!(definition(&idx, &own, at, &is_dir)[0].path, PathBuf::from("/r/app/base/kustomization.yaml"));
    }

    #[test]
    fn renaming_an_object_changes_its_definition_and_its_references() {
        let idx = index(&[("/r/d.yaml", DEPLOY), ("/r/cm.yaml", CM), ("/r/o.yaml", OTHER_NS)]);
        let own = idx.get(Path::new("/r/d.yaml")).unwrap().clone();
        let at = DEPLOY.find("settings").unwrap();
        let (span, renamed) = rename_target(&own, at + 3).unwrap();
        assert_eq!(span, Span::new(at, at + 8));
        assert_eq!(renamed.namespace.as_deref(), Some("apps"));
        let sites = rename_sites(&idx, Path::new("/r/d.yaml"), &own, &renamed);
        let files: Vec<&Path> = sites.iter().map(|t| t.path.as_path()).collect();
        // The ConfigMap of namespace `other` keeps its name.
        assert_eq!(files, [Path::new("/r/cm.yaml"), Path::new("/r/d.yaml")]);
    }

    #[test]
    fn moving_a_file_rewrites_the_entries_that_name_it() {
        let idx = index(&[
            ("/r/app/kustomization.yaml", "resources: [./deploy.yaml, ../shared/cm.yaml]\n"),
            ("/r/overlay/kustomization.yaml", "resources: [../app]\n"),
        ]);
        let moves = file_moves(&idx, Path::new("/r/app/deploy.yaml"), Path::new("/r/app/workloads/deploy.yaml"));
        let got: Vec<(&Path, &str, &str)> =
            moves.iter().map(|(k, _, old, new)| (k.as_path(), old.as_str(), new.as_str())).collect();
        assert_eq!(got, [(Path::new("/r/app/kustomization.yaml"), "./deploy.yaml", "./workloads/deploy.yaml")]);
        // Moving the directory: the overlay's entry follows, and the moved kustomization's
        // entries out of the directory are rewritten from its new place.
        let moves = file_moves(&idx, Path::new("/r/app"), Path::new("/r/apps/web"));
        let got: Vec<(&Path, &str, &str)> =
            moves.iter().map(|(k, _, old, new)| (k.as_path(), old.as_str(), new.as_str())).collect();
        assert_eq!(
            got,
            [
                (Path::new("/r/app/kustomization.yaml"), "../shared/cm.yaml", "../../shared/cm.yaml"),
                (Path::new("/r/overlay/kustomization.yaml"), "../app", "../apps/web"),
            ]
        );
    }

    #[test]
    fn hover_on_a_patch_target_lists_what_it_patches() {
        let k = "namespace: apps\nresources: [d.yaml]\npatches:\n  - target: {kind: Deployment, name: w.*}\n    patch: '[]'\n";
        let idx = index(&[("/r/kustomization.yaml", k), ("/r/d.yaml", DEPLOY)]);
        let own = idx.get(Path::new("/r/kustomization.yaml")).unwrap().clone();
        let (_, text) = hover_note(&idx, Path::new("/r/kustomization.yaml"), &own, k.find("kind").unwrap()).unwrap();
        assert_eq!(text, "**Patches**\n- Deployment `apps/web` (`d.yaml`)");
    }

    #[test]
    fn symbols_match_kind_and_name_letters_in_order() {
        let idx = index(&[("/r/d.yaml", DEPLOY), ("/r/cm.yaml", CM)]);
        let names: Vec<&str> = symbols(&idx, "deployweb", 10).iter().map(|(_, o)| o.kind.as_str()).collect();
        assert_eq!(names, ["Deployment"]);
        let names: Vec<&str> = symbols(&idx, "settings", 10).iter().map(|(_, o)| o.kind.as_str()).collect();
        assert_eq!(names, ["ConfigMap"]);
        assert_eq!(symbols(&idx, "", 10).len(), 2);
        assert!(symbols(&idx, "zzz", 10).is_empty());
    }
}
