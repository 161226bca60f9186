//! What CI users meet: the SARIF report against the official schema, the GitHub Action's
//! check script and its README example, the help texts against each other and the README,
//! colours and progress on a terminal.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gitops_ls::yaml::{Node, YamlFile};

const BIN: &str = env!("CARGO_BIN_EXE_gitops-ls");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel)).unwrap()
}

/// A tree with an error, a warning and a note (a Helm template), and awkward characters.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "apps/bad.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replica: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - {name: web, image: \"nginx:latest\"}\n",
    );
    write(
        dir.path(),
        "chart/tmpl \"q\".yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
    );
    write(dir.path(), "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n");
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(args).current_dir(dir).stdin(Stdio::null()).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn sarif_output_is_valid_against_the_sarif_2_1_0_schema() {
    let schema: serde_json::Value = serde_json::from_str(&read("tests/ci/schemas/sarif-schema-2.1.0.json")).unwrap();
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("the SARIF schema compiles");
    let dir = tree();
    let (code, stdout, stderr) = run_in(dir.path(), &["check", "--offline", "--format", "sarif", "."]);
    assert_eq!(code, Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{stdout}");
    let levels: Vec<&str> =
        report["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["level"].as_str().unwrap()).collect();
    for level in ["error", "warning", "note"] {
        assert!(levels.contains(&level), "{levels:?}");
    }
    // The schema is applied: a level SARIF does not have is rejected.
    let mut broken = report.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(validator.iter_errors(&broken).next().is_some());
}

/// The action's check step, as the runner starts it: inputs in `INPUT_*`, the workflow's
/// files in `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`.
fn action_check(dir: &Path, inputs: &[(&str, &str)]) -> (Option<i32>, String, String, String) {
    let output = dir.join("github-output");
    let summary = dir.join("step-summary");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(ROOT).join("scripts/action-check.sh"))
        .current_dir(dir)
        .env("GITOPS_LS", BIN)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .stdin(Stdio::null());
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        std::fs::read_to_string(&output).unwrap(),
        std::fs::read_to_string(&summary).unwrap(),
    )
}

#[test]
fn the_action_script_annotates_writes_sarif_and_reports_to_the_workflow() {
    let dir = tree();
    let inputs = [
        ("INPUT_PATHS", "apps\nok.yaml chart"),
        ("INPUT_FORMAT", "github"),
        ("INPUT_ARGS", "--offline --max-file-size-mb 5"),
        ("INPUT_SARIF", "reports/gitops-ls.sarif"),
    ];
    let (code, stdout, outputs, summary) = action_check(dir.path(), &inputs);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("::error file=apps/bad.yaml,line=6,col=3,")), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("::warning file=apps/bad.yaml,line=14,")), "{stdout}");
    let outputs: Vec<&str> = outputs.lines().collect();
    assert_eq!(outputs, ["sarif-file=reports/gitops-ls.sarif", "exit-code=1", "errors=1", "warnings=1"]);
    assert!(summary.starts_with("### gitops-ls check: errors found\n"), "{summary}");
    assert!(summary.contains("| 3 | 2 | 1 | 1 |"), "{summary}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("reports/gitops-ls.sarif")).unwrap()).unwrap();
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
        .collect();
    assert!(uris.contains(&"apps/bad.yaml"), "{uris:?}");

    // No SARIF wanted, a clean path: exit 0 and no sarif-file output.
    let (code, _, outputs, summary) =
        action_check(dir.path(), &[("INPUT_PATHS", "ok.yaml"), ("INPUT_SARIF", ""), ("INPUT_FORMAT", "text")]);
    assert_eq!(code, Some(0));
    assert_eq!(outputs, "exit-code=0\nerrors=0\nwarnings=0\n");
    assert!(summary.starts_with("### gitops-ls check: no errors\n"), "{summary}");

    // A bad argument is a usage error, reported as such.
    let (code, _, outputs, _) = action_check(dir.path(), &[("INPUT_ARGS", "--no-such-option")]);
    assert_eq!(code, Some(2));
    assert_eq!(outputs, "exit-code=2\n");
}

fn keys(node: &Node) -> Vec<String> {
    node.entries().iter().filter_map(|e| e.key.as_str().map(str::to_string)).collect()
}

/// The fenced block of `lang` after the heading `heading` in README.md.
fn readme_block(heading: &str, lang: &str) -> String {
    let readme = read("README.md");
    let start = readme.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("README has no `{heading}`"));
    let rest = &readme[start..];
    let open = rest.find(&format!("```{lang}\n")).expect("a code block") + lang.len() + 4;
    let close = rest[open..].find("```").unwrap();
    rest[open..open + close].to_string()
}

#[test]
fn the_readme_action_example_uses_only_inputs_the_action_declares() {
    let action = read("action.yml");
    let file = YamlFile::parse(action.as_str());
    let root = file.documents()[0].good_tree().unwrap();
    let inputs = keys(root.get("inputs").unwrap());
    assert!(inputs.len() >= 5, "{inputs:?}");
    // Each input reaches the steps.
    for input in &inputs {
        assert!(action.contains(&format!("inputs.{input}")), "input `{input}` is never used");
    }
    // The check step runs the script the other test drives.
    assert!(action.contains("\"$ACTION_PATH/scripts/action-check.sh\""));
    assert!(action.contains("cargo install --locked --root \"$RUNNER_TEMP/gitops-ls\" --path \"$ACTION_PATH\""));

    let example = readme_block("### With the GitHub Action", "yaml");
    let file = YamlFile::parse(example.as_str());
    let workflow = file.documents()[0].good_tree().expect("the README example is valid YAML");
    let steps: Vec<&Node> = workflow
        .get("jobs")
        .unwrap()
        .entries()
        .iter()
        .flat_map(|job| job.value.get("steps").unwrap().items())
        .collect();
    let ours: Vec<&&Node> = steps
        .iter()
        .filter(|s| s.get("uses").and_then(Node::as_str).is_some_and(|u| u.starts_with("gitops-ls/gitops-ls@")))
        .collect();
    assert_eq!(ours.len(), 1, "{example}");
    let with = keys(ours[0].get("with").expect("the example sets inputs"));
    assert!(!with.is_empty());
    for key in &with {
        assert!(
            inputs.contains(key),
            "the README example sets `{key}`, which action.yml does not declare ({inputs:?})"
        );
    }
}

/// The formats `--format` documents in a help text: the words before each `,` / `or`.
fn formats_in_check_help(help: &str) -> Vec<String> {
    let start = help.find("--format FORMAT").expect("--format in check --help") + "--format FORMAT".len();
    let mut text = String::new();
    for (i, line) in help[start..].lines().enumerate() {
        if i > 0 && line.trim_start().starts_with('-') {
            break;
        }
        text.push_str(line);
        text.push(' ');
    }
    let mut plain = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain.replace(" or ", ",").split(',').map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect()
}

/// The `a|b|c` after `--format` in a synopsis.
fn formats_in_synopsis(text: &str) -> Vec<String> {
    let i = text.find("--format ").expect("--format in the synopsis") + "--format ".len();
    let word: String = text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '|').collect();
    word.split('|').map(str::to_string).collect()
}

#[test]
fn help_texts_and_the_readme_list_the_same_commands_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (code, help, _) = run_in(dir.path(), &["--help"]);
    assert_eq!(code, Some(0));
    let (code, check_help, _) = run_in(dir.path(), &["check", "--help"]);
    assert_eq!(code, Some(0));

    let formats = formats_in_check_help(&check_help);
    assert_eq!(formats, ["text", "json", "sarif", "github", "junit", "nomos"], "{check_help}");
    assert_eq!(formats_in_synopsis(&help), formats, "{help}");
    let readme = read("README.md");
    let synopsis = &readme[readme.find("\ngitops-ls check [").expect("the check synopsis in README")..];
    assert_eq!(formats_in_synopsis(synopsis), formats);
    // Every documented format is accepted.
    for format in &formats {
        let (code, _, stderr) = run_in(dir.path(), &["check", "--format", format, "."]);
        assert_eq!(code, Some(0), "--format {format}: {stderr}");
    }

    // Subcommands: the first word after `gitops-ls` on each usage line.
    let commands: Vec<String> = help
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("gitops-ls "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|w| w.trim_matches(|c| c == '[' || c == ']').to_string())
        .filter(|w| !w.starts_with('-'))
        .collect();
    assert_eq!(commands, ["lsp", "check", "help"], "{help}");
    for command in &commands {
        assert!(readme.contains(&format!("`gitops-ls {command}")), "README does not mention `gitops-ls {command}`");
    }
    let (code, _, stderr) = run_in(dir.path(), &["nope"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, out, _) = run_in(dir.path(), &["help"]);
    assert_eq!((code, out), (Some(0), help));
}

/// Runs `gitops-ls check ARGS` on a terminal (a pseudo-terminal from util-linux `script`):
/// stdout and stderr both go to it, so the output holds both.
fn on_terminal(dir: &Path, args: &str, no_color: Option<&str>) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &format!("'{BIN}' check {args}"), "/dev/null"]).current_dir(dir).stdin(Stdio::null());
    match no_color {
        Some(v) => cmd.env("NO_COLOR", v),
        None => cmd.env_remove("NO_COLOR"),
    };
    let out = cmd.output().expect("`script` (util-linux) is needed for the terminal tests");
    assert!(out.status.code().is_some(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn colours_and_progress_only_on_a_terminal_and_no_color_turns_colours_off() {
    let dir = tree();
    let coloured = on_terminal(dir.path(), "--offline .", None);
    assert!(coloured.contains("\x1b[1;31merror:\x1b[0m unknown field `replica`"), "{coloured:?}");
    assert!(coloured.contains("\rchecked ") && coloured.contains("\r\x1b[K"), "{coloured:?}");
    assert!(coloured.contains("2 resources, 1 error, 1 warning in 3 files"), "{coloured:?}");

    let plain = on_terminal(dir.path(), "--offline .", Some("1"));
    assert!(!plain.contains("\x1b[1;31m") && plain.contains("error: unknown field `replica`"), "{plain:?}");
    assert!(plain.contains("\rchecked "), "progress is not a colour: {plain:?}");

    let quiet = on_terminal(dir.path(), "--offline --quiet .", None);
    assert!(!quiet.contains("\rchecked ") && !quiet.contains(" in 3 files"), "{quiet:?}");
    assert!(quiet.contains("unknown field `replica`"), "{quiet:?}");

    let json = on_terminal(dir.path(), "--offline --format json .", None);
    assert!(!json.contains('\x1b') && !json.contains("\rchecked "), "{json:?}");

    // Not a terminal: neither.
    let (_, stdout, stderr) = run_in(dir.path(), &["check", "--offline", "."]);
    assert!(!stdout.contains('\x1b') && !stderr.contains("\rchecked "), "{stdout:?} {stderr:?}");
    assert!(stdout.ends_with("2 resources, 1 error, 1 warning in 3 files\n"), "{stdout}");
    let (_, stdout, _) = run_in(dir.path(), &["check", "--offline", "--quiet", "."]);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
}
