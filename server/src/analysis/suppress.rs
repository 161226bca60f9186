//! Ignore comments: `# gitops-ls-disable-next-line [CODE[,CODE]...]` drops the next line's
//! diagnostics (with those codes, or all of them), `# gitops-ls-disable [CODE[,CODE]...]` the
//! whole file's. Text after ` -- ` is a reason and is not read. A code gitops-ls does not
//! report is a warning on the comment, so a typo does not silently keep a problem visible.

use crate::yaml::{Diagnostic, Severity, Span, YamlFile};

const NEXT_LINE: &str = "gitops-ls-disable-next-line";
const FILE: &str = "gitops-ls-disable";

/// The code of the warning about an ignore comment naming an unknown code.
pub const IGNORE_COMMENT: &str = "ignore-comment";

/// Every diagnostic code gitops-ls reports (a test checks the sources against it).
pub const KNOWN_CODES: &[&str] = &[
    "alias",
    "argocd-path-missing",
    "bom",
    "complex-key",
    "control-character",
    "duplicate-key",
    "duplicate-object",
    "encoding",
    "file-too-large",
    "flux-path-missing",
    "image-policy-mismatch",
    IGNORE_COMMENT,
    "image-latest",
    "image-newer",
    "image-policy-marker",
    "image-reference",
    "image-registry",
    "image-tag-missing",
    "internal-error",
    "invalid-name",
    "invalid-value",
    "io",
    "k8s-container-name",
    "k8s-duplicate-container-name",
    "k8s-duplicate-mount-path",
    "k8s-duplicate-port-name",
    "k8s-duplicate-volume-name",
    "k8s-image-required",
    "k8s-lifecycle-handler",
    "k8s-name-required",
    "k8s-port-name",
    "k8s-port-range",
    "k8s-probe-handler",
    "k8s-probe-success-threshold",
    "k8s-requests-exceed-limits",
    "k8s-restart-policy",
    "k8s-selector-empty",
    "k8s-selector-mismatch",
    "k8s-service-port-name-required",
    "k8s-volume-name",
    "k8s-volume-not-found",
    "kustomize-image-unused",
    "kustomize-missing-path",
    "kustomize-tag-and-digest",
    "merge-conflict",
    "missing-api-version",
    "missing-field",
    "missing-kind",
    "patch-target-not-found",
    "quoted-indentation",
    "reference-not-found",
    "removed-api",
    "schema",
    "schema-load",
    "selector-matches-nothing",
    "sops-encrypted",
    "substitution-undefined",
    "template",
    "unknown-api-version",
    "unknown-field",
    "unknown-kind",
    "wrong-type",
    "yaml-syntax",
    "yaml-too-deep",
    "yaml11-type",
];

/// Which diagnostics one ignore comment drops.
struct Rule {
    /// `Some(line)`: only diagnostics starting on that 0-based line; `None`: the whole file.
    line: Option<usize>,
    /// Empty: every code.
    codes: Vec<String>,
}

/// `diagnostics` without those the file's ignore comments switch off, plus a warning for
/// each unknown code they name. Pure: comments come from the model, lines from `line_of`.
pub fn suppress(file: &YamlFile, diagnostics: Vec<Diagnostic>, line_of: impl Fn(usize) -> usize) -> Vec<Diagnostic> {
    let mut rules = Vec::new();
    let mut warnings = Vec::new();
    for slot in file.documents() {
        for comment in &slot.doc.comments {
            let start = slot.start + comment.span.start;
            let Some((next_line, codes)) = parse_directive(&comment.text) else { continue };
            for (offset, code) in &codes {
                if !KNOWN_CODES.contains(&code.as_str()) && !crate::configsync::CODES.contains(&code.as_str()) {
                    let at = start + offset;
                    warnings.push(Diagnostic::new(
                        Span::new(at, at + code.len()),
                        Severity::Warning,
                        IGNORE_COMMENT,
                        format!("`{code}` is not a gitops-ls diagnostic code, so this comment ignores nothing for it"),
                    ));
                }
            }
            let line = next_line.then(|| line_of(start) + 1);
            rules.push(Rule { line, codes: codes.into_iter().map(|(_, c)| c).collect() });
        }
    }
    if rules.is_empty() {
        return diagnostics;
    }
    let mut kept: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| {
            let line = line_of(d.span.start);
            !rules.iter().any(|r| {
                r.line.is_none_or(|l| l == line) && (r.codes.is_empty() || r.codes.iter().any(|c| c == d.code))
            })
        })
        .collect();
    kept.extend(warnings);
    kept
}

/// `Some((next_line, codes))` for an ignore comment, each code with its byte offset in the
/// comment; `next_line` is false for a whole-file comment.
fn parse_directive(comment: &str) -> Option<(bool, Vec<(usize, String)>)> {
    let body = comment.strip_prefix('#')?;
    let trimmed = body.trim_start();
    let mut offset = 1 + body.len() - trimmed.len();
    let (next_line, rest) = if let Some(rest) = trimmed.strip_prefix(NEXT_LINE) {
        (true, rest)
    } else {
        (false, trimmed.strip_prefix(FILE)?)
    };
    // `gitops-ls-disable-foo` is not a directive.
    if rest.chars().next().is_some_and(|c| !c.is_whitespace()) {
        return None;
    }
    offset += trimmed.len() - rest.len();
    let rest = rest.find(" --").map_or(rest, |i| &rest[..i]);
    let mut codes = Vec::new();
    let mut at = 0;
    for piece in rest.split(|c: char| c == ',' || c.is_whitespace()) {
        if !piece.is_empty() {
            codes.push((offset + at, piece.to_string()));
        }
        at += piece.len() + 1;
    }
    Some((next_line, codes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::LineIndex;

    fn run(text: &str, diagnostics: &[(usize, &'static str)]) -> Vec<(usize, &'static str)> {
        let file = YamlFile::parse(text);
        let index = LineIndex::new(text);
        let diagnostics = diagnostics
            .iter()
            .map(|&(o, code)| Diagnostic::new(Span::new(o, o + 1), Severity::Error, code, "x"))
            .collect();
        suppress(&file, diagnostics, |o| index.line_of(o)).into_iter().map(|d| (d.span.start, d.code)).collect()
    }

    #[test]
    fn next_line_drops_only_the_named_codes_on_the_next_line() {
        let text = "a: 1\n# gitops-ls-disable-next-line unknown-field,wrong-type\nb: 2\nc: 3\n";
        let b = text.find("b:").unwrap();
        let c = text.find("c:").unwrap();
        let kept = run(
            text,
            &[
                (0, "unknown-field"),
                (b, "unknown-field"),
                (b, "wrong-type"),
                (b, "invalid-value"),
                (c, "unknown-field"),
            ],
        );
        assert_eq!(kept, vec![(0, "unknown-field"), (b, "invalid-value"), (c, "unknown-field")]);
    }

    #[test]
    fn next_line_without_codes_drops_every_code_and_works_after_a_value() {
        let text = "a: 1 # gitops-ls-disable-next-line\nb: 2\n";
        let b = text.find("b:").unwrap();
        assert_eq!(
            run(text, &[(0, "wrong-type"), (b, "wrong-type"), (b + 3, "invalid-value")]),
            vec![(0, "wrong-type")]
        );
    }

    #[test]
    fn whole_file_comment_in_any_document_drops_its_codes_everywhere() {
        let text = "a: 1\n---\n#  gitops-ls-disable image-latest -- pinned by automation\nb: 2\n";
        let b = text.find("b:").unwrap();
        assert_eq!(run(text, &[(0, "image-latest"), (b, "image-latest"), (b, "wrong-type")]), vec![(b, "wrong-type")]);
        assert_eq!(run("# gitops-ls-disable\na: 1\n", &[(0, "wrong-type"), (9, "yaml-syntax")]), vec![]);
    }

    #[test]
    fn unknown_codes_are_warned_about_on_their_own_range() {
        let text = "# gitops-ls-disable-next-line unknown-feild, wrong-type\na: 1\n";
        let file = YamlFile::parse(text);
        let out = suppress(&file, Vec::new(), |o| LineIndex::new(text).line_of(o));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, IGNORE_COMMENT);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(&text[out[0].span.start..out[0].span.end], "unknown-feild");
        assert!(out[0].message.contains("`unknown-feild`"), "{}", out[0].message);
    }

    #[test]
    fn other_comments_and_strings_are_not_directives() {
        let text = "# gitops-ls-disable-nextline\n# gitops-ls-disabled\nmsg: \"# gitops-ls-disable\"\nb: |\n  # gitops-ls-disable\n";
        let at = |s: &str| text.find(s).unwrap();
        let diagnostics =
            vec![(at("# gitops-ls-disabled"), "wrong-type"), (at("msg"), "wrong-type"), (at("b:"), "wrong-type")];
        let diagnostics = [diagnostics, vec![(at("  # gitops-ls-disable\n"), "wrong-type")]].concat();
        assert_eq!(run(text, &diagnostics), diagnostics);
    }

    /// Every code the sources report is known, so naming it in a comment is not warned about.
    #[test]
    fn known_codes_cover_every_code_in_the_sources() {
        let mut missing = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let patterns =
            ["Severity::Error, \"", "Severity::Warning, \"", "Severity::Information, \"", "Severity::Hint, \""];
        for (path, text) in crate::test_util::crate_sources() {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.contains("test") {
                continue;
            }
            let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for p in patterns {
                for (i, _) in squeezed.match_indices(p) {
                    let code: String = squeezed[i + p.len()..].chars().take_while(|&c| c != '"').collect();
                    if !KNOWN_CODES.contains(&code.as_str()) && !crate::configsync::CODES.contains(&code.as_str()) {
                        missing.push(format!("{name}: {code}"));
                    }
                    seen.insert(code);
                }
            }
        }
        assert!(missing.is_empty(), "codes missing from KNOWN_CODES: {missing:?}");
        // The scan itself works: most codes are written this way.
        assert!(seen.len() >= 20, "only {} codes found in the sources: {seen:?}", seen.len());
    }
}
