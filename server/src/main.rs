//! `gitops-ls`: serves LSP on stdio, or checks files with `gitops-ls check`.

use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
gitops-ls: language server and checker for GitOps Kubernetes YAML

Usage:
  gitops-ls [lsp] [--stdio]   serve the Language Server Protocol on stdio
  gitops-ls check [OPTIONS] PATH...
                              check files and directories, print problems;
                              --format text|json|sarif|github|junit|nomos, --quiet
                              (`gitops-ls check --help` for every option)
  gitops-ls help              print this help (also --help, -h)
  gitops-ls --version | -V    print the version

Environment:
  GITOPS_LS_LOG   log filter for stderr (tracing directives, default `info`)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let code = match words.as_slice() {
        // Clients such as vscode-languageclient append `--stdio` for the stdio transport.
        [] | ["lsp"] | ["--stdio"] | ["lsp", "--stdio"] => serve(),
        ["--version" | "-V"] => {
            println!("gitops-ls {}", env!("CARGO_PKG_VERSION"));
            0
        }
        ["--help" | "-h" | "help"] => {
            print!("{USAGE}");
            0
        }
        ["check", ..] => gitops_ls::cli::run(&args[1..]),
        ["lsp" | "--version" | "-V" | "--help" | "-h" | "help", extra, ..] => {
            usage_error(&format!("unexpected argument `{extra}`"))
        }
        [arg, ..] if arg.starts_with('-') => usage_error(&format!("unknown option `{arg}`")),
        [arg, ..] => usage_error(&format!("unknown command `{arg}`")),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn usage_error(message: &str) -> i32 {
    eprintln!("gitops-ls: {message}\nRun `gitops-ls --help` for usage.");
    2
}

fn serve() -> i32 {
    gitops_ls::lsp::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("gitops-ls: cannot start the async runtime: {err}");
            return 1;
        }
    };
    let code = runtime.block_on(gitops_ls::lsp::serve_stdio());
    let _ = std::io::stdout().flush();
    // Exit right away: the stdin reader thread may still block on a read that never ends,
    // and dropping the runtime would wait for it.
    std::process::exit(code)
}
