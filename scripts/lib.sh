# Shared by the scripts: paths and tool locations. Source it; it changes nothing on disk.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
# Node 22, wrangler, esbuild and wasm-opt come from node_modules (npm ci); cargo-installed
# worker-build and wasm-bindgen from $CARGO_HOME/bin.
export PATH="$ROOT/node_modules/.bin:$CARGO_HOME/bin:$PATH"
# When setup had to build a wasm32 std from Debian's Rust, it records that toolchain here.
if [ -f "$ROOT/.tmp/toolchain.env" ]; then
    # shellcheck disable=SC1091
    . "$ROOT/.tmp/toolchain.env"
fi
# worker-build must never download: point it at the local binaries.
export WASM_BINDGEN_BIN="$CARGO_HOME/bin/wasm-bindgen"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
# wrangler dev keeps a local trace store of every subrequest's full URL; a broker call's
# query may hold a secret value, which must not land on disk (ARCHITECTURE.md, invariants).
export X_LOCAL_OBSERVABILITY=false
export CLOUDFLARE_SEND_METRICS=false

# The version of crate $1 that Cargo.lock pins.
locked_version() {
    awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
