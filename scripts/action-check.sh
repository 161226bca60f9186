#!/usr/bin/env bash
# The check step of action.yml: runs `gitops-ls check` on INPUT_PATHS with INPUT_ARGS, writes
# SARIF to INPUT_SARIF (unless it is empty), prints the problems in INPUT_FORMAT (`github`
# turns them into annotations), and reports to the workflow: outputs exit-code, errors,
# warnings and sarif-file in $GITHUB_OUTPUT, a summary in $GITHUB_STEP_SUMMARY.
# Exits with check's status (0 clean, 1 errors, 2 usage, 3 internal error).
# Paths and arguments are split at whitespace (one per line is fine too).
set -uo pipefail
bin="${GITOPS_LS:-gitops-ls}"
read -ra paths <<<"$(tr '\n' ' ' <<<"${INPUT_PATHS:-.}")"
read -ra extra <<<"$(tr '\n' ' ' <<<"${INPUT_ARGS:-}")"
format="${INPUT_FORMAT:-github}"
sarif="${INPUT_SARIF:-}"
[[ ${#paths[@]} -gt 0 ]] || paths=(.)

output() { [[ -n "${GITHUB_OUTPUT:-}" ]] && echo "$1=$2" >>"$GITHUB_OUTPUT"; return 0; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The SARIF run also gives the counts (its summary line on stderr); the second run prints the
# problems in the chosen format for the log.
report="${sarif:-$work/report.sarif}"
mkdir -p "$(dirname "$report")"
"$bin" check --format sarif "${extra[@]}" -- "${paths[@]}" >"$report" 2>"$work/stderr"
first=$?
line="$(tail -n 1 "$work/stderr")"
if [[ $first == 2 ]]; then
  # Bad arguments: nothing was checked and there is no report to upload.
  cat "$work/stderr" >&2
  output exit-code 2
  exit 2
fi
re='^([0-9]+) resources?, ([0-9]+) errors?, ([0-9]+) warnings? in ([0-9]+) files?$'
if [[ "$line" =~ $re ]]; then
  resources="${BASH_REMATCH[1]}" errors="${BASH_REMATCH[2]}" warnings="${BASH_REMATCH[3]}" files="${BASH_REMATCH[4]}"
else
  resources="?" errors="?" warnings="?" files="?"
fi
[[ -n "$sarif" ]] && output sarif-file "$sarif"

"$bin" check --format "$format" "${extra[@]}" -- "${paths[@]}"
code=$?
output exit-code "$code"
output errors "$errors"
output warnings "$warnings"

if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  case "$code" in
    0) verdict="no errors" ;;
    1) verdict="errors found" ;;
    2) verdict="bad arguments (see the log)" ;;
    *) verdict="gitops-ls failed on some file (see the log)" ;;
  esac
  {
    echo "### gitops-ls check: $verdict"
    echo
    echo "| files | resources | errors | warnings |"
    echo "|---|---|---|---|"
    echo "| $files | $resources | $errors | $warnings |"
  } >>"$GITHUB_STEP_SUMMARY"
fi
exit "$code"
