#!/usr/bin/env bash
# `make lint-lambda` (part of `make test`): the functions as the SAM build makes them
# (`cargo lambda build --release --bin <function>` from the root, no features) link no SQLite,
# and each compiles and is clippy-clean alone, the library's non-SQLite code included.
# Runs on the dependency graph and `cargo clippy` (no release build), so it takes seconds on a
# built tree.
set -euo pipefail
cd "$(dirname "$0")/.."

functions=(client-token user-token discovery authorizer whoami key-rotation)
sqlite='^(rusqlite|libsqlite3-sys) v'
status=0

# The root without -p: the default members, over which the SAM build resolves features.
if cargo tree -e normal --prefix none | grep -E "$sqlite" > /dev/null; then
    echo "the SAM build (default members, no features) links SQLite:" >&2
    cargo tree -e normal -i libsqlite3-sys >&2 || true
    status=1
fi
for function in "${functions[@]}"; do
    if cargo tree -p "$function" -e normal --prefix none | grep -E "$sqlite" > /dev/null; then
        echo "$function without features links SQLite:" >&2
        cargo tree -p "$function" -e normal -i libsqlite3-sys >&2 || true
        status=1
    fi
done
[ "$status" -eq 0 ] || exit "$status"
echo "the deployed functions link no SQLite"

# One function at a time: several -p at once would unify their features.
for function in "${functions[@]}"; do
    cargo clippy -p "$function" -- -D warnings
done
echo "each function builds alone without the local feature"
