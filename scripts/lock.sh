#!/usr/bin/env bash
# Regenerate requirements.lock: the container image's runtime dependencies, pinned with hashes.
#
#   scripts/lock.sh           rewrite requirements.lock from pyproject.toml (resolves anew: newest
#                             versions that pyproject.toml's ranges allow)
#   scripts/lock.sh --check   exit 1 if pyproject.toml's dependencies changed since the last lock
#
# The lock holds [project].dependencies plus [build-system].requires (setuptools, wheel), so the
# Dockerfile installs everything with --require-hashes and builds the project with
# --no-build-isolation, never resolving or fetching anything unpinned. It is resolved for
# CPython 3.11 on Linux (the image's Python), so this script needs a python3.11 to run.
# pip-tools runs in a throwaway venv. The package index is pip's configured one (PIP_INDEX_URL or
# global.index-url, else pip's default); this machine's local extras (find-links, file:// extra
# indexes, constraints) are left out so the lock only names what the index serves to anyone.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_VERSION=25.3
PIP_TOOLS_VERSION=7.5.2
LOCK=requirements.lock

# The fingerprint of what the lock was made from; build_image.sh checks it too.
deps_fingerprint() {
    python3 - <<'EOF'
import hashlib, json, tomllib
with open("pyproject.toml", "rb") as f:
    data = tomllib.load(f)
deps = {
    "dependencies": sorted(data["project"].get("dependencies", [])),
    "build-system": sorted(data.get("build-system", {}).get("requires", [])),
}
print(hashlib.sha256(json.dumps(deps, sort_keys=True).encode()).hexdigest())
EOF
}

if [ "${1:-}" = "--check" ]; then
    want="# pyproject-dependencies-sha256: $(deps_fingerprint)"
    if [ -f "$LOCK" ] && grep -qxF "$want" "$LOCK"; then
        echo "$LOCK matches pyproject.toml's dependencies"
        exit 0
    fi
    echo "$LOCK is missing or out of date with pyproject.toml's dependencies: run scripts/lock.sh" >&2
    exit 1
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || {
    echo "scripts/lock.sh needs Python 3.11 (the image's); set PYTHON=/path/to/python3.11" >&2
    exit 2
}

# pip's configured index and certificate, read before the machine's config files are set aside.
index_url=${PIP_INDEX_URL:-$("$PYTHON" -m pip config get global.index-url 2>/dev/null || true)}
cert=${PIP_CERT:-$("$PYTHON" -m pip config get global.cert 2>/dev/null || true)}
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_CONSTRAINT PIP_INDEX_URL PIP_CERT
[ -n "$index_url" ] && export PIP_INDEX_URL="$index_url"
[ -n "$cert" ] && export PIP_CERT="$cert"
export PIP_DISABLE_PIP_VERSION_CHECK=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "pip==$PIP_VERSION" "pip-tools==$PIP_TOOLS_VERSION"

# pip-compile reads pyproject.toml from a copy, so nothing is written into the tree but the lock.
cp pyproject.toml "$work/"
[ -f README.md ] && cp README.md "$work/"
(
    cd "$work"
    CUSTOM_COMPILE_COMMAND="scripts/lock.sh" venv/bin/pip-compile \
        --quiet --resolver=backtracking --generate-hashes --all-build-deps --allow-unsafe \
        --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
        --output-file requirements.lock pyproject.toml
)
{
    echo "# pyproject-dependencies-sha256: $(deps_fingerprint)"
    echo "# Resolved for CPython 3.11 on Linux x86_64; install with --require-hashes --no-deps."
    cat "$work/requirements.lock"
} >"$LOCK"
echo "wrote $LOCK: $(grep -c '^[A-Za-z0-9]' "$LOCK") packages"
