//! Output formats of `check`: text for people, JSON for tools, SARIF for code scanning and
//! GitHub workflow annotations.

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
}

impl Format {
    pub fn parse(v: &str) -> Result<Format, String> {
        match v {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            other => Err(format!("unknown format `{other}` (expected text, json, sarif or github)")),
        }
    }
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
) -> std::io::Result<()> {
    match format {
        Format::Text => write_text(out, reports, summary),
        Format::Json => write_json(out, reports, summary),
        Format::Sarif => write_sarif(out, reports),
        Format::Github => write_github(out, reports),
    }
}

fn write_text(out: &mut impl Write, reports: &[FileReport], summary: &Summary) -> std::io::Result<()> {
    for r in reports {
        for f in &r.findings {
            writeln!(
                out,
                "{}:{}:{}: {}: {} [{}]",
                crate::vfs::display_path(&r.path),
                f.line,
                f.column,
                severity_name(f.diagnostic.severity),
                crate::vfs::escape_control(&f.diagnostic.message),
                f.diagnostic.code
            )?;
        }
    }
    writeln!(out, "{}", summary.line())
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
                serde_json::json!({
                    "ruleId": f.diagnostic.code,
                    "ruleIndex": rules[f.diagnostic.code],
                    "level": sarif_level(f.diagnostic.severity),
                    "message": { "text": f.diagnostic.message },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                            "region": {
                                "startLine": f.line,
                                "startColumn": f.column,
                                "endLine": f.end_line,
                                "endColumn": f.end_column.max(if f.end_line == f.line { f.column + 1 } else { 1 }),
                            }
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
        write_report(&mut out, format, &r, &Summary::of(&r)).unwrap();
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
            write_report(&mut out, format, &r, &Summary::of(&r)).unwrap();
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
}
