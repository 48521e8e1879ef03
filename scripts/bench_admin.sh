#!/usr/bin/env bash
# Signed admin reads (GET /admin/user?uid=admin, SigV4) against rgw-admin, and the same load
# against a bare hyper server answering 200, in the same run: the ratio is the figure.
# A benchmark, not a test. Needs wrk (apt install wrk). Loopback only.
#   bash scripts/bench_admin.sh [seconds] [clients]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"; clients="${2:-16}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rgw-admin/target}"
cargo build --release --quiet --bin rgw-admin --example bare
bin="$CARGO_TARGET_DIR/release"
data=$(mktemp -d)
trap 'kill $rgw $bare 2>/dev/null; rm -rf "$data"' EXIT
RUST_LOG=warn RGW_ADMIN_ACCESS_KEY=ADMINACCESSKEY0000000 \
  RGW_ADMIN_SECRET_KEY=adminsecretkey00000000000000000000000000 \
  "$bin/rgw-admin" serve --listen 127.0.0.1:7497 --data-dir "$data" & rgw=$!
"$bin/examples/bare" 127.0.0.1:7498 & bare=$!
sleep 1
gen=tests/conformance/loadgen.py
[ -f "$gen" ] || gen=../shared/oracle/loadgen.py
echo "== bare hyper, fixed 200"
python3 "$gen" --url http://127.0.0.1:7498 --auth none --clients "$clients" --duration "$secs" --engine wrk --pid $bare | grep -E "req/s|RSS"
echo "== rgw-admin, signed GET /admin/user?uid=admin"
python3 "$gen" --url http://127.0.0.1:7497 --clients "$clients" --duration "$secs" --engine wrk --pid $rgw | grep -E "req/s|RSS"
