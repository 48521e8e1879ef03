#!/usr/bin/env bash
# Instructions the server executes per request, counted by valgrind's callgrind: a figure
# that, unlike req/s on a shared 2-core box, does not move with what else runs, so a change
# of a few percent (the usage log, an allocation less) can be measured at all. A benchmark,
# not a test; needs valgrind (Debian `valgrind`) and python3. Loopback only.
#   bash scripts/instructions.sh [requests]
# Each case: a fresh server under callgrind, 50 warm-up requests on one keep-alive
# connection, counters zeroed, then `requests` identical signed requests on that connection.
# Under valgrind SHA-256 runs without the CPU's SHA extensions (about 30 k of each signed
# request's figure; a few hundred instructions with them).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rgw-admin/target}"
cargo build --release --quiet --bin rgw-admin --example bare
bin="$CARGO_TARGET_DIR/release"
ak=ADMINACCESSKEY0000000; sk=adminsecretkey00000000000000000000000000
command -v valgrind >/dev/null || { echo "needs valgrind (apt install valgrind)" >&2; exit 1; }

# Send `count` copies of one request (signed once, replayed) on one connection.
client() { # port path query count auth
    python3 - "$@" <<'PY'
import os, socket, sys
sys.path.insert(0, os.path.join("tests", "conformance")); sys.path.insert(0, "scripts")
import awssig, loadgen
port, path, query, n, auth = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
host = f"127.0.0.1:{port}"
h = awssig.sign_v4("GET", host, path, loadgen.parse_query(query),
                   "ADMINACCESSKEY0000000", "adminsecretkey00000000000000000000000000") \
    if auth == "v4" else {}
target = path + ("?" + query if query else "")
req = (f"GET {target} HTTP/1.1\r\nHost: {host}\r\n"
       + "".join(f"{k}: {v}\r\n" for k, v in h.items() if k.lower() != "host") + "\r\n").encode()
s = socket.create_connection(("127.0.0.1", port))
buf = b""
for _ in range(n):
    s.sendall(req)
    status, _, buf = loadgen._read_response(s, buf)
    if status != 200:
        sys.exit(f"status {status}")
PY
}

measure() { # label path query auth "VAR=value ..." server-command...
    local label=$1 path=$2 query=$3 auth=$4 vars=$5; shift 5
    local work port vp total
    work=$(mktemp -d); port=$((20000 + RANDOM % 20000))
    # shellcheck disable=SC2086
    (cd "$work" && exec env $vars valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
        "$@" 127.0.0.1:$port >"$work/log" 2>&1) &
    vp=$!
    for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    if [ "$path" = /bench/obj4k ]; then
        head -c 4096 /dev/urandom >"$work/obj"
        # The bucket without a body (a CreateBucket body must be its XML configuration),
        # then the object.
        for body in /dev/null "$work/obj"; do
            u="http://127.0.0.1:$port/bench"
            [ "$body" = /dev/null ] || u="$u/obj4k"
            curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
                -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --data-binary @"$body" "$u" >/dev/null
        done
    fi
    client "$port" "$path" "$query" 50 "$auth"
    callgrind_control -z "$vp" >/dev/null 2>&1
    client "$port" "$path" "$query" "$n" "$auth"
    callgrind_control -d "$vp" >/dev/null 2>&1
    sleep 0.5
    total=$(grep -h '^summary:' "$work"/cg.out.* | awk '{print $2}' | sort -n | tail -1)
    # The server under valgrind takes its time to stop: give it 10 s, then end it.
    kill "$vp"
    for _ in $(seq 100); do kill -0 "$vp" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$vp" 2>/dev/null || true
    wait "$vp" 2>/dev/null || true
    printf '%-28s %8d instructions/request\n' "$label" $((total / n))
    rm -rf "$work"
}

env="RUST_LOG=info RGW_ADMIN_ACCESS_KEY=$ak RGW_ADMIN_SECRET_KEY=$sk"
rgw=("$bin/rgw-admin" serve --data-dir data --listen)
measure "bare hyper" / "" none "" "$bin/examples/bare"
measure "signed admin read" /admin/user uid=admin v4 "$env" "${rgw[@]}"
measure "signed 4 KiB GET" /bench/obj4k "" v4 "$env" "${rgw[@]}"
measure "signed 4 KiB GET, no usage" /bench/obj4k "" v4 "$env RGW_ADMIN_USAGE_LOG=false" "${rgw[@]}"
