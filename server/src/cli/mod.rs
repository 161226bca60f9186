//! The `check` command and its output formats.

/// Runs `gitops-ls check` with the arguments after `check`; returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    let _ = args;
    eprintln!("gitops-ls check: not implemented yet");
    2
}
