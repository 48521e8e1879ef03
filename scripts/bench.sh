#!/usr/bin/env bash
# The hot paths side by side with a bare hyper server answering 200, in the same run, at the
# default log level (info: one request line per request, as an operator runs it):
#   - signed admin read:   GET /admin/user?uid=admin (SigV4)
#   - signed object read:  GET of a 4 KiB object (SigV4), usage log on, then off (and three
#     alternated pairs of on/off runs, for the usage log's cost)
#   - the two ratios again in alternated rounds (3, or ROUNDS), each against its own bare run:
#     the median round is the figure to quote (one pair of runs on this shared box moves by
#     20 %, and one round in five or so lands on a slow moment of the box)
#   - bare hyper with 2, 4 and 6 us of busy work per request: what each microsecond of fixed
#     cost per request does to throughput on this box (the client shares the cores, so a
#     microsecond costs more than its share), and so how much work over bare a ratio allows
# A benchmark, not a test: it prints figures and never fails on them. Needs wrk and curl.
# Loopback only. Each run is `seconds` long with `clients` keep-alive connections.
#   [ROUNDS=5] bash scripts/bench.sh [seconds] [clients]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"; clients="${2:-16}"; rounds="${ROUNDS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rgw-admin/target}"
cargo build --release --quiet --bin rgw-admin --example bare
bin="$CARGO_TARGET_DIR/release"
rgw_bin="${RGW_ADMIN_BIN:-$bin/rgw-admin}"
ak=ADMINACCESSKEY0000000; sk=adminsecretkey00000000000000000000000000
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

start_rgw() { # $1 = port, $2.. = extra env
    local port=$1; shift
    env RUST_LOG="${BENCH_LOG:-info}" RGW_ADMIN_ACCESS_KEY=$ak RGW_ADMIN_SECRET_KEY=$sk "$@" \
        "$rgw_bin" serve --listen 127.0.0.1:$port --data-dir "$work/data-$port" \
        >"$work/rgw-$port.log" 2>&1 &
    pids+=($!); rgw=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return; sleep 0.05; done
    echo "rgw-admin did not start" >&2; exit 1
}

s3() { # method url [curl args]
    local m=$1 u=$2; shift 2
    curl -sf -X "$m" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
        -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$u" "$@" >/dev/null
}

cpu_ticks() { # utime + stime of a process, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

load() { # label url path query pid
    local label=$1 url=$2 path=$3 query=$4 pid=$5 auth=v4 before after
    case "$label" in bare*) auth=none ;; esac
    before=$(cpu_ticks "$pid")
    python3 scripts/loadgen.py --url "$url" --access $ak --secret $sk --path "$path" \
        --query "$query" --auth $auth --clients "$clients" --duration "$secs" --engine wrk \
        --warmup 0 --pid "$pid" --json "$work/$label.json" >/dev/null
    after=$(cpu_ticks "$pid")
    python3 -c "import json,sys,os; r=json.load(open(sys.argv[1])); cpu=(int(sys.argv[3])-int(sys.argv[4]))/os.sysconf('SC_CLK_TCK'); r['cpu_us']=1e6*cpu/r['requests']; json.dump(r,open(sys.argv[1],'w')); print(f\"{sys.argv[2]:<26} {r['rps']:>9.0f} req/s  {r['cpu_us']:5.1f} us CPU/req  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  non-2xx {r['non_2xx']}  RSS max {r['rss_total_max_mib']:.0f} MiB\")" "$work/$label.json" "$label" "$after" "$before"
}

"$bin/examples/bare" 127.0.0.1:7498 & pids+=($!); bare=$!
work_us=(2 4 6); bare_work=()
for i in "${!work_us[@]}"; do
    "$bin/examples/bare" 127.0.0.1:$((7490 + i)) "${work_us[$i]}" & pids+=($!); bare_work+=($!)
done
start_rgw 7497
head -c 4096 /dev/urandom >"$work/obj"
s3 PUT http://127.0.0.1:7497/bench
s3 PUT http://127.0.0.1:7497/bench/obj4k --data-binary @"$work/obj"
start_rgw 7496 RGW_ADMIN_USAGE_LOG=false; rgw_nousage=$rgw
s3 PUT http://127.0.0.1:7496/bench
s3 PUT http://127.0.0.1:7496/bench/obj4k --data-binary @"$work/obj"
rgw_pid=$(pgrep -f "listen 127.0.0.1:7497" | head -1)

load bare http://127.0.0.1:7498 / "" $bare
load admin-read http://127.0.0.1:7497 /admin/user uid=admin $rgw_pid
load object-get-4k http://127.0.0.1:7497 /bench/obj4k "" $rgw_pid
load object-get-4k-no-usage http://127.0.0.1:7496 /bench/obj4k "" $rgw_nousage
for i in "${!work_us[@]}"; do
    load "bare-${work_us[$i]}us-work" "http://127.0.0.1:$((7490 + i))" / "" "${bare_work[$i]}"
done
load bare-again http://127.0.0.1:7498 / "" $bare
# The usage log's cost is a few percent at most: one pair of runs on this shared box differs
# by more than that, so the two servers take turns and the medians are compared.
for i in 1 2 3; do
    load usage-on-$i http://127.0.0.1:7497 /bench/obj4k "" $rgw_pid
    load usage-off-$i http://127.0.0.1:7496 /bench/obj4k "" $rgw_nousage
done
# Bare hyper's own rate moves by 20 % or more from one run to the next on a shared box: the
# ratios are also taken round by round, each against the bare run just before it, and the
# median round reported.
for i in $(seq "$rounds"); do
    load bare-$i http://127.0.0.1:7498 / "" $bare
    load admin-read-$i http://127.0.0.1:7497 /admin/user uid=admin $rgw_pid
    load object-get-4k-$i http://127.0.0.1:7497 /bench/obj4k "" $rgw_pid
done
python3 - "$work" "$rounds" <<'PY'
import json, sys
w, n = sys.argv[1], int(sys.argv[2])
r = {k: json.load(open(f"{w}/{k}.json"))["rps"] for k in
     ["bare", "admin-read", "object-get-4k", "object-get-4k-no-usage", "bare-2us-work",
      "bare-4us-work", "bare-6us-work", "bare-again"]}
bare = (r["bare"] + r["bare-again"]) / 2
print(f"ratios to bare hyper ({bare:.0f} req/s, mean of the two runs):")
print(f"  signed admin read      {r['admin-read'] / bare:.2f} x")
print(f"  signed 4 KiB GET       {r['object-get-4k'] / bare:.2f} x")
med = lambda k, f: sorted(json.load(open(f"{w}/{k}-{i}.json"))[f] for i in (1, 2, 3))[1]
on, off = med("usage-on", "rps"), med("usage-off", "rps")
print(f"  usage log cost on GET  {100 * (1 - on / off):+.1f} % of throughput (medians of 3 alternated runs: "
      f"{on:.0f} vs {off:.0f} req/s; CPU {med('usage-on', 'cpu_us'):.1f} vs {med('usage-off', 'cpu_us'):.1f} us/req)")
rounds = lambda k: sorted(json.load(open(f"{w}/{k}-{i}.json"))["rps"] / json.load(open(f"{w}/bare-{i}.json"))["rps"]
                          for i in range(1, n + 1))
for label, k in (("signed admin read", "admin-read"), ("signed 4 KiB GET", "object-get-4k")):
    rs = rounds(k)
    print(f"  {label:<22} {rs[len(rs) // 2]:.2f} x  median of {n} alternated rounds (range {rs[0]:.2f}-{rs[-1]:.2f})")
work = "  ".join(f"+{u} us {r[f'bare-{u}us-work'] / bare:.2f} x" for u in (2, 4, 6))
print(f"  bare + busy work       {work}  (the same box's price of a fixed cost per request)")
c = {k: json.load(open(f"{w}/{k}.json"))["cpu_us"] for k in r}
print(f"server CPU per request: bare {(c['bare'] + c['bare-again']) / 2:.1f} us, admin read {c['admin-read']:.1f} us, "
      f"4 KiB GET {c['object-get-4k']:.1f} us ({c['object-get-4k-no-usage']:.1f} us without the usage log)")
PY
