//! Build units: what ends up applied together. A Kustomize build root (a kustomization no
//! other one uses) with everything it pulls in, or a directory of plain manifests. Objects are
//! known by their identity as the unit renders it (`namespace:`, `namePrefix`, `nameSuffix`).
//! From the units come the repository-wide findings: duplicates, references to nothing,
//! `images` and patch targets that match nothing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::refs::{is_builtin, is_cluster_scoped_target};
use super::{FileSummary, RepoIndex};
use crate::yaml::Severity;

/// Where in a file's summary a finding sits (resolved to a span against the current
/// summary, so a keystroke that only moves text keeps the findings valid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Site {
    /// An object's `metadata.name` (or the object when it has none).
    ObjectName(usize),
    /// Reference `.1` of object `.0`.
    Ref(usize, usize),
    /// A kustomization's `images[]` entry.
    Image(usize),
    /// A kustomization's patch `target:`.
    PatchTarget(usize),
    /// A kustomization's strategic-merge patch entry.
    MergePatch(usize),
    /// A Service's `selector` key.
    Selector(usize),
    /// Variable `.1` of object `.0`.
    Variable(usize, usize),
}

impl Site {
    pub fn span(self, summary: &FileSummary) -> Option<crate::yaml::Span> {
        let k = summary.kustomization.as_ref().map(|k| &k.build);
        match self {
            Site::ObjectName(i) => summary.objects.get(i).map(|o| o.name_span.unwrap_or(o.span)),
            Site::Ref(i, r) => summary.objects.get(i)?.refs.get(r).map(|r| r.span),
            Site::Image(i) => k?.images.get(i).map(|e| e.span),
            Site::PatchTarget(i) => k?.patch_targets.get(i).map(|t| t.span),
            Site::MergePatch(i) => k?.merge_patches.get(i).map(|p| p.1),
            Site::Selector(i) => summary.objects.get(i)?.selector.as_ref().map(|s| s.1),
            Site::Variable(i, v) => summary.objects.get(i)?.variables.get(v).map(|v| v.1),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub site: Site,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub related: Vec<(Arc<Path>, Site, String)>,
}

/// One object as a unit renders it.
#[derive(Clone, Debug)]
pub struct Member {
    pub file: Arc<Path>,
    pub object: usize,
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// Labels the builds add to its selectors and to its pod templates.
    pub added_selector: Vec<(String, String)>,
    pub added_template: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Unit {
    /// The build root's kustomization file, or the directory of plain manifests.
    pub root: PathBuf,
    pub kustomize: bool,
    /// Helm charts render objects nobody can see here.
    pub renders_charts: bool,
    pub members: Vec<Member>,
}

/// Everything derived from the whole index; rebuilt when a summary's content changes.
#[derive(Debug, Default)]
pub struct Derived {
    pub units: Vec<Unit>,
    /// What each kustomization's resources render before its own transformers.
    pub inputs: HashMap<PathBuf, Vec<Member>>,
    pub findings: HashMap<PathBuf, Vec<Finding>>,
    /// Units each file's objects belong to (indexes into `units`).
    pub units_of: HashMap<PathBuf, Vec<usize>>,
    /// The Flux post-build variables each file gets, per Flux Kustomization applying it.
    pub substitutions: HashMap<PathBuf, Vec<Arc<Substitution>>>,
}

/// What one Flux Kustomization substitutes.
#[derive(Debug)]
pub struct Substitution {
    /// `namespace/name` of the Flux Kustomization.
    pub owner: String,
    pub file: Arc<Path>,
    /// The Flux Kustomization's index among its file's objects.
    pub object: usize,
    /// Variable → value (`None`: set from a Secret). `complete` false when a `substituteFrom`
    /// source is not in the repository, so other names may be set too.
    pub variables: std::collections::BTreeMap<String, Option<String>>,
    pub complete: bool,
}

/// A kustomization's rendering: its members and whether charts are involved.
#[derive(Clone, Default)]
struct Rendered {
    members: Vec<Member>,
    charts: bool,
}

/// What a kustomization's `resources`, `bases` and `components` entry names, when indexed.
enum Input {
    File(Arc<Path>),
    Build(PathBuf),
}

struct Builder<'a> {
    index: &'a RepoIndex,
    /// Directory → its kustomization file.
    builds: HashMap<PathBuf, PathBuf>,
    paths: HashMap<&'a Path, Arc<Path>>,
    /// Each kustomization's inputs, resolved once.
    inputs: HashMap<&'a Path, Vec<Input>>,
}

impl<'a> Builder<'a> {
    fn inputs(&self, kustomization: &Path) -> &[Input] {
        self.inputs.get(kustomization).map_or(&[], Vec::as_slice)
    }

    fn resolve_inputs(&self, kustomization: &Path) -> Vec<Input> {
        let Some(k) = self.index.get(kustomization).and_then(|s| s.kustomization.as_ref()) else { return Vec::new() };
        k.build
            .entries
            .iter()
            .filter(|e| matches!(e.field, "resources" | "bases" | "components"))
            .filter_map(|e| match self.paths.get(e.path.as_path()) {
                Some(p) if self.index.get(p).is_some_and(|s| s.kustomization.is_none()) => Some(Input::File(p.clone())),
                _ => self.builds.get(&e.path).map(|k| Input::Build(k.clone())),
            })
            .collect()
    }

    fn raw_members(&self, file: &Arc<Path>) -> Vec<Member> {
        let Some(summary) = self.index.get(file) else { return Vec::new() };
        summary
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| Member {
                file: file.clone(),
                object: i,
                group: o.group().to_string(),
                kind: o.kind.clone(),
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                added_selector: Vec::new(),
                added_template: Vec::new(),
            })
            .collect()
    }

    /// Renders every kustomization reachable from `root`, innermost first, without recursion
    /// (a cycle is cut where it closes).
    fn render(&self, root: &Path, memo: &mut HashMap<PathBuf, Rendered>, before: &mut HashMap<PathBuf, Rendered>) {
        let mut stack: Vec<(PathBuf, bool)> = vec![(root.to_path_buf(), false)];
        let mut open: HashSet<PathBuf> = HashSet::new();
        while let Some((k, expanded)) = stack.pop() {
            if memo.contains_key(&k) {
                continue;
            }
            let inputs = self.inputs(&k);
            if !expanded {
                if !open.insert(k.clone()) {
                    continue;
                }
                stack.push((k.clone(), true));
                for i in inputs {
                    if let Input::Build(b) = i
                        && !memo.contains_key(b)
                        && !open.contains(b)
                    {
                        stack.push((b.clone(), false));
                    }
                }
                continue;
            }
            let mut out = Rendered::default();
            for i in inputs {
                match i {
                    Input::File(f) => out.members.extend(self.raw_members(f)),
                    Input::Build(b) => {
                        if let Some(r) = memo.get(b) {
                            out.members.extend(r.members.iter().cloned());
                            out.charts |= r.charts;
                        }
                    }
                }
            }
            let build = self.index.get(&k).and_then(|s| s.kustomization.as_ref()).map(|k| &k.build);
            if let Some(b) = build {
                out.charts |= b.renders_charts;
                before.insert(k.clone(), out.clone());
                for m in &mut out.members {
                    transform(m, b);
                }
            }
            open.remove(&k);
            memo.insert(k, out);
        }
    }
}

/// What one kustomization's transformers do to an object's identity.
fn transform(m: &mut Member, b: &super::KustomizationSummary) {
    for (k, v, selectors, templates) in &b.labels {
        if *selectors {
            m.added_selector.push((k.clone(), v.clone()));
        }
        if *templates {
            m.added_template.push((k.clone(), v.clone()));
        }
    }
    let namespace_kind = m.group.is_empty() && m.kind == "Namespace";
    if let Some(ns) = &b.namespace {
        if namespace_kind {
            // The namespace transformer renames Namespace objects: their names are placeholders.
            m.name = Some(ns.clone());
        } else if !is_cluster_scoped_target(&m.group, &m.kind) {
            m.namespace = Some(ns.clone());
        }
    }
    if namespace_kind || m.kind == "CustomResourceDefinition" {
        return;
    }
    if let Some(name) = &mut m.name {
        if let Some(p) = &b.name_prefix {
            name.insert_str(0, p);
        }
        if let Some(s) = &b.name_suffix {
            name.push_str(s);
        }
    }
}

type Key = (String, String, Option<String>, String);

fn key(m: &Member) -> Option<Key> {
    Some((m.group.clone(), m.kind.clone(), m.namespace.clone(), m.name.clone()?))
}

fn describe(m: &Member) -> String {
    let kind = if m.group.is_empty() { m.kind.clone() } else { format!("{}.{}", m.kind, m.group) };
    match &m.namespace {
        Some(ns) => format!("{kind} {ns}/{}", m.name.as_deref().unwrap_or("")),
        None => format!("{kind} {}", m.name.as_deref().unwrap_or("")),
    }
}

/// `to` as a path from the directory of `from` (`../base/app.yaml`), for messages that must
/// read the same on every machine.
pub fn relative(from: &Path, to: &Path) -> String {
    let dir = from.parent().unwrap_or(Path::new("/"));
    let common = dir.components().zip(to.components()).take_while(|(a, b)| a == b).count();
    let ups = dir.components().count() - common;
    let mut out: Vec<String> = std::iter::repeat_n("..".to_string(), ups).collect();
    out.extend(to.components().skip(common).map(|c| c.as_os_str().to_string_lossy().into_owned()));
    crate::vfs::escape_control(&out.join("/"))
}

impl Derived {
    pub fn build(index: &RepoIndex) -> Derived {
        let paths: HashMap<&Path, Arc<Path>> = index.files().map(|(p, _)| (p, Arc::from(p))).collect();
        let builds: HashMap<PathBuf, PathBuf> = index
            .files()
            .filter(|(_, s)| s.kustomization.is_some())
            .filter_map(|(p, _)| Some((p.parent()?.to_path_buf(), p.to_path_buf())))
            .collect();
        let mut b = Builder { index, builds, paths, inputs: HashMap::new() };
        let inputs: HashMap<&Path, Vec<Input>> =
            index.files().filter(|(_, s)| s.kustomization.is_some()).map(|(p, _)| (p, b.resolve_inputs(p))).collect();
        b.inputs = inputs;
        // Build roots: kustomizations no other one uses.
        let mut used: HashSet<PathBuf> = HashSet::new();
        let mut kustomizations: Vec<&Path> = Vec::new();
        for (p, s) in index.files() {
            if s.kustomization.is_some() {
                kustomizations.push(p);
                for i in b.inputs(p) {
                    if let Input::Build(k) = i {
                        used.insert(k.clone());
                    }
                }
            }
        }
        kustomizations.sort();
        let mut memo = HashMap::new();
        let mut before = HashMap::new();
        let mut units = Vec::new();
        let mut built_files: HashSet<Arc<Path>> = HashSet::new();
        for k in &kustomizations {
            b.render(k, &mut memo, &mut before);
        }
        // Roots first; then, for kustomizations only a cycle reaches, the first of each cycle.
        let mut roots: Vec<&Path> = kustomizations.iter().copied().filter(|k| !used.contains(*k)).collect();
        let mut reached: HashSet<PathBuf> = HashSet::new();
        let reach = |from: &Path, reached: &mut HashSet<PathBuf>| {
            let mut stack = vec![from.to_path_buf()];
            while let Some(k) = stack.pop() {
                if reached.insert(k.clone()) {
                    stack.extend(b.inputs(&k).iter().filter_map(|i| match i {
                        Input::Build(b) => Some(b.clone()),
                        Input::File(_) => None,
                    }));
                }
            }
        };
        for r in &roots {
            reach(r, &mut reached);
        }
        for k in &kustomizations {
            if !reached.contains(*k) {
                reach(k, &mut reached);
                roots.push(k);
            }
        }
        for k in roots {
            let r = memo.get(k).cloned().unwrap_or_default();
            built_files.extend(r.members.iter().map(|m| m.file.clone()));
            units.push(Unit { root: k.to_path_buf(), kustomize: true, renders_charts: r.charts, members: r.members });
        }
        // Plain manifests in a directory a GitOps tool applies (Flux builds one kustomization
        // of everything under it). Other directories are not known to be applied together:
        // examples and test data often hold variants of one object side by side.
        let mut applied: Vec<PathBuf> = Vec::new();
        for (_, s) in index.files() {
            for a in s.objects.iter().flat_map(|o| &o.applies) {
                for root in index.roots() {
                    let dir = crate::k8s::kustomize::join_normalized(root, &a.path);
                    if !b.builds.contains_key(&dir) && !applied.contains(&dir) {
                        applied.push(dir);
                    }
                }
            }
        }
        applied.sort();
        // A directory inside another applied one belongs to the outer unit.
        applied.dedup_by(|inner, outer| inner.starts_with(&*outer));
        let mut plain: Vec<&Arc<Path>> = b
            .paths
            .values()
            .filter(|p| !built_files.contains(*p))
            .filter(|p| index.get(p).is_some_and(|s| s.kustomization.is_none() && !s.objects.is_empty()))
            .filter(|p| !index.is_patch(p))
            .collect();
        plain.sort();
        for dir in applied {
            let members: Vec<Member> =
                plain.iter().filter(|p| p.starts_with(&dir)).flat_map(|p| b.raw_members(p)).collect();
            if !members.is_empty() {
                units.push(Unit { root: dir, kustomize: false, renders_charts: false, members });
            }
        }
        for u in &mut units {
            u.renders_charts |= u.members.iter().any(|m| super::refs::renders_unseen(&m.group, &m.kind));
        }
        let mut derived = Derived { units, ..Default::default() };
        derived.inputs = before.iter().map(|(k, r)| (k.clone(), r.members.clone())).collect();
        for (i, u) in derived.units.iter().enumerate() {
            for m in &u.members {
                let list = derived.units_of.entry(m.file.to_path_buf()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        derived.substitutions = substitutions(index, &derived.units);
        let mut findings = Findings::default();
        findings.variables(index, &derived.substitutions);
        findings.duplicates(&derived.units);
        findings.selectors(index, &derived.units);
        findings.references(index, &derived.units);
        findings.kustomizations(index, &memo, &before);
        derived.findings = findings.by_file;
        derived
    }

    /// What the kustomization at `path` builds before its own transformers run.
    pub fn inputs_of(&self, path: &Path) -> Option<&[Member]> {
        self.inputs.get(path).map(Vec::as_slice)
    }

    /// Findings about `path`'s content.
    pub fn findings(&self, path: &Path) -> &[Finding] {
        self.findings.get(path).map_or(&[], Vec::as_slice)
    }

    /// The identities `path`'s object `object` has in the units that apply it.
    pub fn rendered(&self, path: &Path, object: usize) -> Vec<(&Unit, &Member)> {
        let Some(units) = self.units_of.get(path) else { return Vec::new() };
        units
            .iter()
            .filter_map(|&u| {
                let unit = &self.units[u];
                unit.members.iter().find(|m| &*m.file == path && m.object == object).map(|m| (unit, m))
            })
            .collect()
    }
}

/// Which files each Flux Kustomization with `postBuild` applies, and the variables it sets.
fn substitutions(index: &RepoIndex, units: &[Unit]) -> HashMap<PathBuf, Vec<Arc<Substitution>>> {
    let mut out: HashMap<PathBuf, Vec<Arc<Substitution>>> = HashMap::new();
    let mut owners: Vec<(&Path, usize, &super::ObjectSummary)> = index
        .files()
        .flat_map(|(p, s)| s.objects.iter().enumerate().map(move |(i, o)| (p, i, o)))
        .filter(|(_, _, o)| o.substitute.is_some() && !o.applies.is_empty())
        .collect();
    owners.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (file, object, o) in owners {
        let mut variables: std::collections::BTreeMap<String, Option<String>> =
            o.substitute.iter().flatten().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let mut complete = true;
        for r in o.refs.iter().filter(|r| r.group.is_empty() && matches!(r.kind.as_str(), "ConfigMap" | "Secret")) {
            let source = index.objects().map(|(_, s)| s).find(|s| {
                s.kind == r.kind
                    && s.group().is_empty()
                    && s.name.as_deref() == Some(r.name.as_str())
                    && (s.namespace.is_none() || o.namespace.is_none() || s.namespace == o.namespace)
            });
            match source {
                Some(s) => variables.extend(s.data.iter().map(|(k, v)| (k.clone(), v.clone()))),
                None if r.optional => {}
                None => complete = false,
            }
        }
        let owner = format!("{}/{}", o.namespace.as_deref().unwrap_or("flux-system"), o.name.as_deref().unwrap_or(""));
        let subst = Arc::new(Substitution { owner, file: Arc::from(file), object, variables, complete });
        for a in &o.applies {
            for root in index.roots() {
                let dir = crate::k8s::kustomize::join_normalized(root, &a.path);
                for u in units.iter().filter(|u| u.root == dir || u.root.parent() == Some(dir.as_path()) && u.kustomize)
                {
                    let mut files: Vec<&Arc<Path>> = u.members.iter().map(|m| &m.file).collect();
                    files.dedup();
                    for f in files {
                        let list = out.entry(f.to_path_buf()).or_default();
                        if !list.iter().any(|s| Arc::ptr_eq(s, &subst)) {
                            list.push(Arc::clone(&subst));
                        }
                    }
                }
            }
        }
    }
    out
}

#[derive(Default)]
struct Findings {
    by_file: HashMap<PathBuf, Vec<Finding>>,
    seen: HashSet<(PathBuf, Site, &'static str)>,
}

impl Findings {
    fn add(&mut self, file: &Path, finding: Finding) {
        if self.seen.insert((file.to_path_buf(), finding.site, finding.code)) {
            self.by_file.entry(file.to_path_buf()).or_default().push(finding);
        }
    }

    fn duplicates(&mut self, units: &[Unit]) {
        for u in units {
            let mut first: HashMap<Key, &Member> = HashMap::new();
            let mut dups: Vec<(&Member, &Member)> = Vec::new();
            for m in &u.members {
                let Some(k) = key(m) else { continue };
                match first.get(&k) {
                    Some(f) => dups.push((f, m)),
                    None => {
                        first.insert(k, m);
                    }
                }
            }
            for (a, b) in dups {
                for (this, other) in [(b, a), (a, b)] {
                    let what = if u.kustomize { "the kustomize build of" } else { "the directory Flux applies," };
                    let build = format!("{what} `{}`", relative(&this.file, &u.root));
                    let place = if this.file == other.file {
                        "this file".to_string()
                    } else {
                        format!("`{}`", relative(&this.file, &other.file))
                    };
                    let message = format!(
                        "{} is defined twice in {build} (the other definition is in {place}); only one of them \
                         can be applied",
                        describe(other)
                    );
                    self.add(
                        &this.file,
                        Finding {
                            site: Site::ObjectName(this.object),
                            severity: Severity::Error,
                            code: "duplicate-object",
                            message,
                            related: vec![(
                                other.file.clone(),
                                Site::ObjectName(other.object),
                                "the other definition".into(),
                            )],
                        },
                    );
                }
            }
        }
    }

    /// `${VAR}` without a default that the Flux Kustomization applying the file does not set.
    fn variables(&mut self, index: &RepoIndex, substitutions: &HashMap<PathBuf, Vec<Arc<Substitution>>>) {
        let mut files: Vec<(&PathBuf, &Vec<Arc<Substitution>>)> = substitutions.iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        for (file, owners) in files {
            let Some(summary) = index.get(file) else { continue };
            for (i, o) in summary.objects.iter().enumerate() {
                for (v, (name, _)) in o.variables.iter().enumerate() {
                    let Some(owner) = owners.iter().find(|s| s.complete && !s.variables.contains_key(name)) else {
                        continue;
                    };
                    self.add(
                        file,
                        Finding {
                            site: Site::Variable(i, v),
                            severity: Severity::Warning,
                            code: "substitution-undefined",
                            message: format!(
                                "`${{{name}}}` has no default and the Flux Kustomization `{}` does not set `{name}` \
                                 (postBuild.substitute, substituteFrom): Flux substitutes an empty string",
                                owner.owner
                            ),
                            related: vec![(
                                owner.file.clone(),
                                Site::ObjectName(owner.object),
                                "the Flux Kustomization".into(),
                            )],
                        },
                    );
                }
            }
        }
    }

    /// A Service whose selector matches no pod template of its unit.
    fn selectors(&mut self, index: &RepoIndex, units: &[Unit]) {
        for u in units.iter().filter(|u| !u.renders_charts) {
            let object = |m: &Member| index.get(&m.file).and_then(|s| s.objects.get(m.object));
            let pods: Vec<Vec<(String, String)>> = u
                .members
                .iter()
                .filter_map(|m| {
                    let mut labels = object(m)?.pod_labels.clone()?;
                    labels.extend(m.added_template.iter().cloned());
                    Some(labels)
                })
                .collect();
            // A unit without workloads: its Services are for pods applied elsewhere.
            if pods.is_empty() {
                continue;
            }
            for m in &u.members {
                let Some((selector, _)) = object(m).and_then(|o| o.selector.as_ref()) else { continue };
                let mut wanted = selector.clone();
                wanted.extend(m.added_selector.iter().cloned());
                if wanted.iter().any(|(k, v)| k.contains("${") || v.contains("${")) {
                    continue;
                }
                let selected = pods.iter().any(|labels| wanted.iter().all(|w| labels.contains(w)));
                if !selected {
                    let text: Vec<String> = wanted.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    self.add(
                        &m.file,
                        Finding {
                            site: Site::Selector(m.object),
                            severity: Severity::Warning,
                            code: "selector-matches-nothing",
                            message: format!(
                                "no pod template in this build has the labels {}: the Service selects no pods",
                                text.join(", ")
                            ),
                            related: Vec::new(),
                        },
                    );
                }
            }
        }
    }

    fn references<'a>(&mut self, index: &'a RepoIndex, units: &'a [Unit]) {
        // Every name the repository defines, written and rendered, by (group, kind, name).
        // Borrowed keys: a repository of many objects would otherwise allocate three strings
        // per object and reference.
        let mut defined: HashMap<(&str, &str, &str), Vec<Option<&str>>> = HashMap::new();
        let mut kinds: HashSet<(&str, &str)> = HashSet::new();
        let mut define = |g: &'a str, k: &'a str, name: &'a str, ns: Option<&'a String>| {
            kinds.insert((g, k));
            defined.entry((g, k, name)).or_default().push(ns.map(String::as_str));
        };
        for (_, s) in index.files() {
            if s.kustomization.is_some() {
                let k = s.kustomization.as_ref().map(|k| &k.build);
                for (kind, name) in k.map(|k| k.generated.as_slice()).unwrap_or_default() {
                    // Generated names get a hash suffix, and references to them are rewritten.
                    define("", kind, name, None);
                }
                continue;
            }
            for o in &s.objects {
                if let Some(name) = &o.name {
                    define(o.group(), &o.kind, name, o.namespace.as_ref());
                }
                for i in &o.implied {
                    define(&i.group, &i.kind, &i.name, i.namespace.as_ref().or(o.namespace.as_ref()));
                }
            }
        }
        for u in units {
            for m in &u.members {
                let Some(o) = index.get(&m.file).and_then(|s| s.objects.get(m.object)) else { continue };
                if let Some(name) = &m.name {
                    define(&m.group, &m.kind, name, m.namespace.as_ref());
                }
                for i in &o.implied {
                    define(&i.group, &i.kind, &i.name, i.namespace.as_ref().or(m.namespace.as_ref()));
                }
            }
        }
        // Each object is checked in every unit that applies it, and once as written when none does.
        let mut contexts: Vec<(Arc<Path>, usize, Option<String>, bool)> = Vec::new();
        let mut in_unit: HashSet<(Arc<Path>, usize)> = HashSet::new();
        for u in units {
            for m in &u.members {
                in_unit.insert((m.file.clone(), m.object));
                contexts.push((m.file.clone(), m.object, m.namespace.clone(), u.renders_charts));
            }
        }
        for (p, s) in index.files() {
            if s.kustomization.is_some() || index.is_patch(p) {
                continue;
            }
            let file: Arc<Path> = Arc::from(p);
            for (i, o) in s.objects.iter().enumerate() {
                if !in_unit.contains(&(file.clone(), i)) {
                    contexts.push((file.clone(), i, o.namespace.clone(), false));
                }
            }
        }
        for (file, object, namespace, charts) in contexts {
            if charts {
                continue;
            }
            let Some(o) = index.get(&file).and_then(|s| s.objects.get(object)) else { continue };
            for (r_i, r) in o.refs.iter().enumerate() {
                // Config Sync names each reconciler's ServiceAccount after its RootSync/RepoSync
                // (and the namespace it lands in, which selectors may decide).
                let reconciler = (r.group.as_str(), r.kind.as_str()) == ("", "ServiceAccount")
                    && ((r.name.starts_with("ns-reconciler-") && kinds.contains(&("configsync.gke.io", "RepoSync")))
                        || (r.name.starts_with("root-reconciler")
                            && kinds.contains(&("configsync.gke.io", "RootSync"))));
                if reconciler
                    || r.optional
                    || r.name.contains("${")
                    || is_builtin(&r.group, &r.kind, &r.name)
                    || !kinds.contains(&(r.group.as_str(), r.kind.as_str()))
                {
                    continue;
                }
                let cluster = is_cluster_scoped_target(&r.group, &r.kind);
                let want = if cluster { None } else { r.namespace.as_deref().or(namespace.as_deref()) };
                let found = defined.get(&(r.group.as_str(), r.kind.as_str(), r.name.as_str()));
                let matches = found
                    .is_some_and(|nss| nss.iter().any(|ns| cluster || ns.is_none() || want.is_none() || *ns == want));
                if matches {
                    continue;
                }
                let kind = if r.group.is_empty() { r.kind.clone() } else { format!("{}.{}", r.kind, r.group) };
                let message = match (found, &want) {
                    (Some(nss), Some(want)) => {
                        let mut others: Vec<&str> = nss.iter().flatten().copied().collect();
                        others.sort();
                        others.dedup();
                        format!(
                            "{kind} `{}` is not defined in namespace `{want}` (this repository defines it in {})",
                            r.name,
                            others.join(", ")
                        )
                    }
                    _ => format!(
                        "{kind} `{}` is not defined anywhere in this repository, which defines other {} objects",
                        r.name, r.kind
                    ),
                };
                self.add(
                    &file,
                    Finding {
                        site: Site::Ref(object, r_i),
                        severity: Severity::Warning,
                        code: "reference-not-found",
                        message,
                        related: Vec::new(),
                    },
                );
            }
        }
    }

    /// `images` and patch targets, matched against what each kustomization's inputs render.
    fn kustomizations(
        &mut self,
        index: &RepoIndex,
        memo: &HashMap<PathBuf, Rendered>,
        before: &HashMap<PathBuf, Rendered>,
    ) {
        let mut keys: Vec<&PathBuf> = before.keys().collect();
        keys.sort();
        for k in keys {
            let inputs = &before[k];
            let Some(build) = index.get(k).and_then(|s| s.kustomization.as_ref()).map(|k| &k.build) else { continue };
            // A kustomization used by others sees only what it has; its images may be for the
            // others' inputs (kustomize applies them at every level), so only roots are judged.
            let charts = memo.get(k).is_some_and(|r| r.charts);
            if !charts {
                let images: HashSet<&str> = inputs
                    .members
                    .iter()
                    .filter_map(|m| index.get(&m.file)?.objects.get(m.object))
                    .flat_map(|o| o.images.iter().map(String::as_str))
                    .collect();
                for (i, image) in build.images.iter().enumerate() {
                    if !images.contains(image.name.as_str()) && !inputs.members.is_empty() {
                        self.add(
                            k,
                            Finding {
                                site: Site::Image(i),
                                severity: Severity::Warning,
                                code: "kustomize-image-unused",
                                message: format!(
                                    "no container of this build runs image `{}`: this entry changes nothing",
                                    image.name
                                ),
                                related: Vec::new(),
                            },
                        );
                    }
                }
            }
            if charts || inputs.members.is_empty() {
                continue;
            }
            for (i, t) in build.patch_targets.iter().enumerate() {
                if t.selects_by_metadata || inputs.members.iter().any(|m| target_matches(t, m, index)) {
                    continue;
                }
                self.add(
                    k,
                    Finding {
                        site: Site::PatchTarget(i),
                        severity: Severity::Warning,
                        code: "patch-target-not-found",
                        message: "this patch target matches no object of the kustomization's resources: the patch \
                                  changes nothing"
                            .into(),
                        related: Vec::new(),
                    },
                );
            }
            for (i, (patch, _)) in build.merge_patches.iter().enumerate() {
                let Some(p) = index.get(patch) else { continue };
                for o in &p.objects {
                    let hit = inputs.members.iter().any(|m| {
                        m.kind == o.kind
                            && m.group == o.group()
                            && (o.name.is_none() || m.name == o.name || original_name(m, index) == o.name.as_deref())
                            && (o.namespace.is_none() || m.namespace == o.namespace)
                    });
                    if !hit {
                        self.add(
                            k,
                            Finding {
                                site: Site::MergePatch(i),
                                severity: Severity::Warning,
                                code: "patch-target-not-found",
                                message: format!(
                                    "this patch is for {} {}, which none of the kustomization's resources is: the \
                                     patch changes nothing",
                                    o.kind,
                                    o.name.as_deref().unwrap_or("(no name)")
                                ),
                                related: Vec::new(),
                            },
                        );
                        break;
                    }
                }
            }
        }
    }
}

/// The name as written in the object's file.
fn original_name<'a>(m: &Member, index: &'a RepoIndex) -> Option<&'a str> {
    index.get(&m.file)?.objects.get(m.object)?.name.as_deref()
}

pub fn target_matches(t: &super::kustomization::PatchTarget, m: &Member, index: &RepoIndex) -> bool {
    let name_ok = |name: Option<&str>| match (&t.name, name) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(pattern), Some(name)) => {
            pattern == name || regex::Regex::new(&format!("^(?:{pattern})$")).map(|r| r.is_match(name)).unwrap_or(false)
        }
    };
    t.group.as_ref().is_none_or(|g| g == &m.group)
        && t.kind.as_ref().is_none_or(|k| k == &m.kind)
        && t.namespace.as_ref().is_none_or(|ns| Some(ns) == m.namespace.as_ref())
        && (name_ok(m.name.as_deref()) || name_ok(original_name(m, index)))
}
