#!/usr/bin/env bash
# The one test command (README "Run every test"): release build, Rust unit + end-to-end tests,
# then the Python suite (real client libraries, curl/awscurl, the radosgw conformance replay)
# against the release binary. Extra arguments go to pytest (e.g. -k rgwadmin, -x).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rgw-admin/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$PWD/$CARGO_TARGET_DIR" ;; esac

# What the build and the tests need, installed only if missing (a bare Debian machine).
bash scripts/install-deps.sh test

cargo build --release --locked
cargo test --release --locked

VENV="$HOME/.cache/rgw-admin/venv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# Already-satisfied pins need no network.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt

RGW_ADMIN_BIN="$CARGO_TARGET_DIR/release/rgw-admin" \
    "$VENV/bin/python" -m pytest -q tests/python "$@"
