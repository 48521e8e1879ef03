#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) rgw-admin needs on Debian/Ubuntu, and
# only what is missing: on a machine that has everything it changes nothing and needs no
# root and no network. Used by the README's run and test commands and by .ci/run.
#
#   bash scripts/install-deps.sh         # build: RocksDB's C++ and bindgen's libclang
#   bash scripts/install-deps.sh test    # build + what the test suite runs
#
# To add a dependency, add one line to PACKAGES: the set it belongs to, the Debian package,
# and a shell test that succeeds when it is already there.
set -euo pipefail

want="${1:-build}"
case "$want" in build | test) ;; *)
    echo "usage: $0 [build|test]" >&2
    exit 2
    ;;
esac

# libclang itself, not libclang-cpp (which LLVM packages bring without it).
has_libclang() { [ -n "$(ls /usr/lib/llvm-*/lib/libclang.so* 2>/dev/null | head -1)" ]; }

#        set    package          present when
PACKAGES=(
    "build  libclang-dev     has_libclang"                    # librocksdb-sys runs bindgen
    "build  g++              command -v g++"                  # RocksDB is C++
    "test   curl             command -v curl"                 # curl --aws-sigv4 tests
    "test   openssl          command -v openssl"              # the TLS tests' certificates
    "test   python3-venv     python3 -c 'import venv, ensurepip'"  # the Python suite's venv
    "build  protobuf-compiler command -v protoc"              # etcd-client generates its gRPC code
    "build  libprotobuf-dev  test -f /usr/include/google/protobuf/descriptor.proto"  # ... importing protobuf's own .proto files
    "test   etcd-server      test -x /usr/bin/etcd"           # the etcd tests' own 3-member clusters
    "test   golang-go        command -v go"                   # tests/gotypes: go-ceph's typed decoding
    "test   s3cmd            command -v s3cmd"                # tests/python/test_tools.py
    "test   rclone           command -v rclone"               # tests/python/test_tools.py
)

missing=()
for line in "${PACKAGES[@]}"; do
    read -r set pkg check <<<"$line"
    [ "$set" = build ] || [ "$want" = test ] || continue
    eval "$check" >/dev/null 2>&1 || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null; then
        echo "install-deps: no apt-get; install by hand: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # The packaged etcd service may start on 127.0.0.1:2379; the tests never use it (they
    # run their own clusters on free ports), so it is not left holding a port.
    if printf '%s\n' "${missing[@]}" | grep -qx etcd-server; then
        ("${sudo[@]}" systemctl stop etcd || "${sudo[@]}" service etcd stop) >/dev/null 2>&1 || true
    fi
fi

# A missing libclang only shows as a bindgen panic minutes into the RocksDB build.
if ! has_libclang; then
    echo "install-deps: libclang not found after install; bindgen (librocksdb-sys) would fail" >&2
    exit 1
fi
if ! command -v cargo >/dev/null; then
    # Debian's own cargo is older than the crate's rust-version (see Cargo.toml).
    echo "install-deps: no cargo; install Rust with rustup (https://rustup.rs), then re-run" >&2
    exit 1
fi
