//! Output formats of `check`: text for people, JSON for tools, SARIF for code scanning,
//! GitHub workflow annotations and JUnit XML (GitLab, Jenkins).

use std::collections::BTreeMap;
use std::io::Write;

use super::FileReport;
use crate::yaml::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    Junit,
    /// `nomos vet`'s own output, Config Sync findings only.
    Nomos,
}

impl Format {
    /// Every format, by the name `--format` takes.
    pub const ALL: [(&'static str, Format); 6] = [
        ("text", Format::Text),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("github", Format::Github),
        ("junit", Format::Junit),
        ("nomos", Format::Nomos),
    ];

    pub fn parse(v: &str) -> Result<Format, String> {
        match Format::ALL.iter().find(|(name, _)| *name == v) {
            Some((_, format)) => Ok(*format),
            None => {
                let names: Vec<&str> = Format::ALL.iter().map(|(name, _)| *name).collect();
                Err(format!("unknown format `{v}` (expected one of {})", names.join(", ")))
            }
        }
    }
}

/// How text output looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Only the problems: no summary line.
    pub quiet: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Self {
        let mut s = Summary {
            files: reports.len(),
            resources: reports.iter().map(|r| r.resources).sum(),
            ..Default::default()
        };
        for f in reports.iter().flat_map(|r| &r.findings) {
            match f.diagnostic.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                _ => {}
            }
        }
        s
    }

    /// `N resources, N errors, N warnings in N files`.
    pub fn line(&self) -> String {
        format!(
            "{}, {}, {} in {}",
            plural(self.resources, "resource"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.files, "file")
        )
    }
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information => "info",
        Severity::Hint => "hint",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

pub fn write_report(
    out: &mut impl Write,
    format: Format,
    reports: &[FileReport],
    summary: &Summary,
    style: Style,
) -> std::io::Result<()> {
    match format {
        Format::Text => write_text(out, reports, summary, style),
        Format::Json => write_json(out, reports, summary),
        Format::Sarif => write_sarif(out, reports),
        Format::Github => write_github(out, reports),
        Format::Junit => write_junit(out, reports, summary),
        Format::Nomos => write_nomos(out, reports),
    }
}

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";
const RESET: &str = "\x1b[0m";

/// `path:line:col: severity: message [code]`, the line editors and compilers print.
fn finding_line(r: &FileReport, f: &super::Finding) -> String {
    format!(
        "{}:{}:{}: {}: {} [{}]",
        crate::vfs::display_path(&r.path),
        f.line,
        f.column,
        severity_name(f.diagnostic.severity),
        crate::vfs::escape_control(&f.diagnostic.message),
        f.diagnostic.code
    )
}

fn write_text(out: &mut impl Write, reports: &[FileReport], summary: &Summary, style: Style) -> std::io::Result<()> {
    for r in reports {
        for f in &r.findings {
            if !style.color {
                writeln!(out, "{}", finding_line(r, f))?;
                continue;
            }
            let color = match f.diagnostic.severity {
                Severity::Error => RED,
                Severity::Warning => YELLOW,
                Severity::Information => CYAN,
                Severity::Hint => DIM,
            };
            writeln!(
                out,
                "{BOLD}{}:{}:{}:{RESET} {color}{}:{RESET} {} {DIM}[{}]{RESET}",
                crate::vfs::display_path(&r.path),
                f.line,
                f.column,
                severity_name(f.diagnostic.severity),
                crate::vfs::escape_control(&f.diagnostic.message),
                f.diagnostic.code
            )?;
        }
    }
    match (style.quiet, style.color) {
        (true, _) => Ok(()),
        (false, false) => writeln!(out, "{}", summary.line()),
        (false, true) => {
            let color = if summary.errors > 0 { RED } else { BOLD };
            writeln!(out, "{color}{}{RESET}", summary.line())
        }
    }
}

/// The Config Sync findings (KNV codes) only, printed as `nomos vet` prints them.
fn write_nomos(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    let findings: Vec<crate::configsync::nomos_format::Finding> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .filter(|(_, f)| is_nomos(f))
        .map(|(r, f)| {
            let (path, object) = f.nomos.clone().unwrap_or_else(|| (r.path.clone(), None));
            crate::configsync::nomos_format::Finding { path, diagnostic: f.diagnostic.clone(), object }
        })
        .collect();
    write!(out, "{}", crate::configsync::nomos_format::format_nomos(&findings))
}

/// A finding `nomos vet` reports too.
pub fn is_nomos(f: &super::Finding) -> bool {
    f.diagnostic.code.starts_with("KNV")
}

fn write_json(out: &mut impl Write, reports: &[FileReport], summary: &Summary) -> std::io::Result<()> {
    let diagnostics: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| {
                serde_json::json!({
                    "path": r.path.display().to_string(),
                    "line": f.line,
                    "column": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column,
                    "severity": severity_name(f.diagnostic.severity),
                    "code": f.diagnostic.code,
                    "message": f.diagnostic.message,
                    "related": f.related.iter().map(|r| serde_json::json!({
                        "path": r.path.display().to_string(),
                        "line": r.line,
                        "column": r.column,
                        "endLine": r.end_line,
                        "endColumn": r.end_column,
                        "message": r.message,
                    })).collect::<Vec<_>>(),
                })
            })
        })
        .collect();
    let doc = serde_json::json!({
        "diagnostics": diagnostics,
        "summary": {
            "files": summary.files,
            "resources": summary.resources,
            "errors": summary.errors,
            "warnings": summary.warnings,
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// What each diagnostic code means, for SARIF rule metadata.
pub fn rule_description(code: &str) -> &'static str {
    match code {
        "yaml-syntax" => "The file is not valid YAML.",
        "duplicate-key" => "A key appears twice in one mapping; Kubernetes rejects it.",
        "merge-conflict" => "A merge conflict marker was left in the file.",
        "alias" => "Aliases expand to too many nodes or too deep, or an anchor's value contains itself.",
        "yaml-too-deep" => "Collections are nested deeper than the YAML model reads (128 levels).",
        "control-character" => "A control character YAML does not allow; Kubernetes rejects the file.",
        "complex-key" => "A mapping or list used as a key; Kubernetes (JSON) keys are strings.",
        "quoted-indentation" => "A continuation line is under-indented; YAML 1.2 tools reject it.",
        "bom" => "The file starts with a byte order mark.",
        "template" => "The file is a Helm/Go template and is not validated.",
        "unknown-field" => "A field the schema does not define (strict field validation rejects it).",
        "missing-field" => "A required field is missing.",
        "wrong-type" => "A value has the wrong type.",
        "invalid-value" => "A value is not allowed by the schema.",
        "yaml11-type" => {
            "A plain value that Kubernetes (YAML 1.1) reads as a boolean or number where a string is required."
        }
        "removed-api" => "The apiVersion was removed from Kubernetes.",
        "unknown-kind" => "No schema is known for this kind.",
        "unknown-api-version" => "The kind is not served under this apiVersion.",
        "missing-kind" | "missing-api-version" => "A resource needs both apiVersion and kind.",
        "invalid-name" => "A name, namespace, label or annotation key is not valid.",
        "schema" => "The resource does not match its schema.",
        "io" | "encoding" => "The file could not be read as UTF-8 text.",
        "file-too-large" => "The file is larger than the size limit and was not checked.",
        "internal-error" => "gitops-ls failed while checking the file; its result is unknown.",
        "image-reference" => "A container image reference is malformed.",
        "image-latest" => "A container image uses `:latest` or no tag.",
        "image-tag-missing" => "The image tag does not exist in its registry.",
        "image-newer" => "A newer release of the image exists in the same major version.",
        "image-registry" => "The image's registry could not be asked.",
        "image-policy-marker" => "A Flux `$imagepolicy` marker is malformed.",
        "schema-load" => "A schema could not be loaded.",
        "ignore-comment" => "An ignore comment names a code gitops-ls does not report.",
        "kustomize-missing-path" => "A kustomization names a file or directory that does not exist or cannot be built.",
        "kustomize-tag-and-digest" => "A kustomization image entry sets both newTag and digest.",
        "kustomize-image-unused" => "A kustomization image entry matches no container image of its build.",
        "patch-target-not-found" => "A patch targets no object of its kustomization's resources.",
        "duplicate-object" => "The same object (group, kind, namespace, name) is defined twice in one build.",
        "reference-not-found" => "An object refers by name to something the repository does not define.",
        "substitution-undefined" => "A Flux variable without a default that its Flux Kustomization does not set.",
        "selector-matches-nothing" => {
            "A Service's selector matches no pod template of its build, or a Config Sync selector matches nothing declared."
        }
        "flux-path-missing" => "A Flux Kustomization applies a directory that does not exist in this repository.",
        "argocd-path-missing" => "An Argo CD Application syncs a path or values file this repository does not have.",
        "image-policy-mismatch" => "A Flux image setter's ImagePolicy follows an ImageRepository of another image.",
        _ => "A problem found by gitops-ls.",
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// A SARIF region; an empty range is widened to one character, as viewers require.
fn region(line: usize, column: usize, end_line: usize, end_column: usize) -> serde_json::Value {
    serde_json::json!({
        "startLine": line,
        "startColumn": column,
        "endLine": end_line,
        "endColumn": end_column.max(if end_line == line { column + 1 } else { 1 }),
    })
}

/// SARIF 2.1.0, paths relative to where `check` ran so code scanning maps them to the repository.
fn write_sarif(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for f in reports.iter().flat_map(|r| &r.findings) {
        let n = rules.len();
        rules.entry(f.diagnostic.code).or_insert(n);
    }
    let mut ordered: Vec<(&str, usize)> = rules.iter().map(|(k, v)| (*k, *v)).collect();
    ordered.sort_by_key(|(_, i)| *i);
    let rule_list: Vec<serde_json::Value> = ordered
        .iter()
        .map(|(code, _)| {
            serde_json::json!({
                "id": code,
                "shortDescription": { "text": rule_description(code) },
                "helpUri": "https://github.com/gitops-ls/gitops-ls#what-it-does-today",
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|r| {
            let uri = r.path.to_string_lossy().replace('\\', "/");
            let uri = uri.trim_start_matches("./").to_string();
            let rules = &rules;
            r.findings.iter().map(move |f| {
                let related: Vec<serde_json::Value> = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, rel)| {
                        let uri = rel.path.to_string_lossy().replace('\\', "/");
                        serde_json::json!({
                            "id": i,
                            "message": { "text": rel.message },
                            "physicalLocation": {
                                "artifactLocation": { "uri": uri.trim_start_matches("./"), "uriBaseId": "%SRCROOT%" },
                                "region": region(rel.line, rel.column, rel.end_line, rel.end_column),
                            }
                        })
                    })
                    .collect();
                serde_json::json!({
                    "relatedLocations": related,
                    "ruleId": f.diagnostic.code,
                    "ruleIndex": rules[f.diagnostic.code],
                    "level": sarif_level(f.diagnostic.severity),
                    "message": { "text": f.diagnostic.message },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                            "region": region(f.line, f.column, f.end_line, f.end_column),
                        }
                    }],
                })
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "gitops-ls",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/gitops-ls/gitops-ls",
                "rules": rule_list,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// `::error file=…,line=…::message` lines that GitHub Actions turns into annotations.
fn write_github(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    for r in reports {
        for f in &r.findings {
            let level = match f.diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                _ => "notice",
            };
            writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&r.path.display().to_string()),
                f.line,
                f.column,
                f.end_line,
                f.end_column,
                escape_property(&format!("gitops-ls {}", f.diagnostic.code)),
                escape_data(&f.diagnostic.message)
            )?;
        }
    }
    Ok(())
}

/// GitHub's escapes for `%`, CR and LF; other control characters as `\t`, `\u{1b}`, so the
/// command stays on one line whatever a file name holds.
fn escape_data(s: &str) -> String {
    crate::vfs::escape_control(&s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A"))
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// JUnit XML as GitLab and Jenkins read it: one test suite, one test case per file. A file
/// with errors fails (its `<failure>` lists every problem, one per line); one that gitops-ls
/// could not check (`internal-error`) is an `<error>`; warnings alone pass, in `<system-out>`.
fn write_junit(out: &mut impl Write, reports: &[FileReport], summary: &Summary) -> std::io::Result<()> {
    let broken = |r: &FileReport| r.findings.iter().any(|f| f.diagnostic.code == "internal-error");
    let failed = |r: &FileReport| !broken(r) && r.findings.iter().any(|f| f.diagnostic.severity == Severity::Error);
    let failures = reports.iter().filter(|r| failed(r)).count();
    let errors = reports.iter().filter(|r| broken(r)).count();
    let counts = format!(r#"tests="{}" failures="{failures}" errors="{errors}""#, reports.len());
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="gitops-ls" {counts}>"#)?;
    writeln!(out, r#"  <testsuite name="gitops-ls check" {counts} skipped="0">"#)?;
    writeln!(
        out,
        r#"    <properties><property name="summary" value="{}"/></properties>"#,
        xml_escape(&summary.line())
    )?;
    for r in reports {
        let path = xml_escape(&crate::vfs::display_path(&r.path).to_string());
        write!(out, r#"    <testcase classname="gitops-ls" name="{path}" file="{path}""#)?;
        if r.findings.is_empty() {
            writeln!(out, "/>")?;
            continue;
        }
        writeln!(out, ">")?;
        let lines: Vec<String> = r.findings.iter().map(|f| xml_escape(&finding_line(r, f))).collect();
        let body = lines.join("\n");
        let first_error = r.findings.iter().find(|f| f.diagnostic.severity == Severity::Error);
        match first_error {
            Some(f) => {
                let n = r.findings.iter().filter(|f| f.diagnostic.severity == Severity::Error).count();
                let more = if n > 1 { format!(" (and {} more)", n - 1) } else { String::new() };
                let message = format!(
                    "line {}, column {}: {} [{}]{more}",
                    f.line,
                    f.column,
                    crate::vfs::escape_control(&f.diagnostic.message),
                    f.diagnostic.code
                );
                let element = if broken(r) { "error" } else { "failure" };
                writeln!(
                    out,
                    r#"      <{element} type="{}" message="{}">{body}</{element}>"#,
                    f.diagnostic.code,
                    xml_escape(&message)
                )?;
            }
            None => writeln!(out, "      <system-out>{body}</system-out>")?,
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// Text for XML attributes and elements; control characters (not allowed in XML 1.0) and the
/// non-characters U+FFFE/U+FFFF are written as `\u{..}` escapes.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::cli::Finding;
    use crate::yaml::Diagnostic;

    fn reports() -> Vec<FileReport> {
        let d = |sev, code, msg: &str| Finding {
            line: 3,
            column: 5,
            end_line: 3,
            end_column: 12,
            diagnostic: Diagnostic::new(Default::default(), sev, code, msg),
            related: Vec::new(),
            nomos: None,
        };
        vec![FileReport {
            path: PathBuf::from("./apps/web.yaml"),
            findings: vec![
                d(Severity::Error, "unknown-field", "unknown field `replica`, did you mean `replicas`?"),
                d(Severity::Warning, "unknown-kind", "no schema: 50% sure\nsecond line"),
            ],
            resources: 2,
        }]
    }

    fn render(format: Format) -> String {
        let r = reports();
        let mut out = Vec::new();
        write_report(&mut out, format, &r, &Summary::of(&r), Style::default()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_ends_with_the_summary_line() {
        let text = render(Format::Text);
        assert!(text.starts_with("./apps/web.yaml:3:5: error: unknown field `replica`"));
        assert!(text.ends_with("2 resources, 1 error, 1 warning in 1 file\n"), "{text}");
    }

    #[test]
    fn sarif_has_rules_results_and_relative_locations() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "gitops-ls");
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "unknown-field");
        let r = &run["results"][0];
        assert_eq!(r["level"], "error");
        assert_eq!(r["ruleIndex"], 0);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "apps/web.yaml");
        assert_eq!(loc["region"], serde_json::json!({"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 12}));
        assert_eq!(run["results"][1]["level"], "warning");
    }

    #[test]
    fn control_characters_in_paths_and_messages_stay_on_one_line() {
        let mut r = reports();
        r[0].path = PathBuf::from("apps/we\nb\t.yaml");
        for format in [Format::Text, Format::Github] {
            let mut out = Vec::new();
            write_report(&mut out, format, &r, &Summary::of(&r), Style::default()).unwrap();
            let out = String::from_utf8(out).unwrap();
            let lines: Vec<&str> = out.lines().collect();
            let expected = if format == Format::Text { 3 } else { 2 };
            assert_eq!(lines.len(), expected, "{format:?}: {out}");
            assert!(!out.contains('\t'), "{out}");
            if format == Format::Text {
                assert!(lines[0].starts_with("apps/we\\nb\\t.yaml:3:5: error:"), "{out}");
                assert!(lines[1].ends_with("no schema: 50% sure\\nsecond line [unknown-kind]"), "{out}");
            } else {
                assert!(lines[0].starts_with("::error file=apps/we%0Ab\\t.yaml,line=3"), "{out}");
            }
        }
    }

    #[test]
    fn github_annotations_are_escaped() {
        let out = render(Format::Github);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=./apps/web.yaml,line=3,col=5,endLine=3,endColumn=12,title=gitops-ls unknown-field::unknown field `replica`, did you mean `replicas`?"
        );
        assert_eq!(
            lines[1],
            "::warning file=./apps/web.yaml,line=3,col=5,endLine=3,endColumn=12,title=gitops-ls unknown-kind::no schema: 50%25 sure%0Asecond line"
        );
    }

    #[test]
    fn junit_has_one_suite_and_a_failing_case_per_file_with_errors() {
        let mut r = reports();
        r.push(FileReport { path: PathBuf::from("ok.yaml"), findings: Vec::new(), resources: 1 });
        let mut out = Vec::new();
        write_report(&mut out, Format::Junit, &r, &Summary::of(&r), Style::default()).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert_eq!(xml.matches("<testsuite ").count(), 1, "{xml}");
        assert!(
            xml.contains(r#"<testsuite name="gitops-ls check" tests="2" failures="1" errors="0" skipped="0">"#),
            "{xml}"
        );
        assert!(xml.contains(r#"<testcase classname="gitops-ls" name="ok.yaml" file="ok.yaml"/>"#), "{xml}");
        assert!(
            xml.contains(
                r#"<failure type="unknown-field" message="line 3, column 5: unknown field `replica`, did you mean `replicas`? [unknown-field]">./apps/web.yaml:3:5: error:"#
            ),
            "{xml}"
        );
        assert!(xml.contains("no schema: 50% sure\\nsecond line [unknown-kind]</failure>"), "{xml}");
        assert_eq!(xml_escape("a<b>&\"'\u{1}\u{ffff}"), "a&lt;b&gt;&amp;&quot;&apos;\\u{1}\\u{ffff}");
    }

    #[test]
    fn colours_and_quiet_change_only_the_text_format() {
        let r = reports();
        let text = |style| {
            let mut out = Vec::new();
            write_report(&mut out, Format::Text, &r, &Summary::of(&r), style).unwrap();
            String::from_utf8(out).unwrap()
        };
        let plain = text(Style::default());
        let quiet = text(Style { quiet: true, color: false });
        assert_eq!(quiet, plain.lines().take(2).map(|l| format!("{l}\n")).collect::<String>());
        let coloured = text(Style { quiet: false, color: true });
        assert!(coloured.contains("\x1b[1;31merror:\x1b[0m unknown field"), "{coloured:?}");
        assert!(coloured.contains("\x1b[1;33mwarning:\x1b[0m"), "{coloured:?}");
        assert!(!plain.contains('\x1b'));
    }
}
