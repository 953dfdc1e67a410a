#!/usr/bin/env bash
# Where cargo puts its builds: CARGO_TARGET_DIR, build.target-dir or ./target, as cargo decides.
set -euo pipefail
cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
