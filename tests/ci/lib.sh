# Shared by the tests/ci scripts: a Python venv with one PyPI package.

# venv_with DIR MODULE REQUIREMENT: makes DIR a venv where `import MODULE` works, installing
# REQUIREMENT from PyPI when it does not (and Debian's python3-venv when venvs cannot be made).
venv_with() {
  local venv="$1" module="$2" requirement="$3"
  "$venv/bin/python" -c "import $module" 2>/dev/null && return 0
  if ! python3 -c 'import ensurepip' 2>/dev/null; then
    local sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
    echo "installing python3-venv (apt)"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends python3-venv
  fi
  echo "installing $requirement from PyPI into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement"
}
