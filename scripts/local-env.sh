#!/usr/bin/env bash
# The functions' environment for the embedded default (SQLite file and key file in DIR), one
# VAR=value per line: `make run` and `make test` (scripts/test.sh) both serve with it.
# The authorizer reads a token's client and user on every request (CALLER_STATUS_CACHE_SECONDS=0,
# deployed default 60): locally, `authctl client disable` shows at once, and the end-to-end test
# of it needs no waiting.
# Usage: scripts/local-env.sh DIR ISSUER
set -euo pipefail
dir=$1
issuer=$2
cat <<ENV
STORE=sqlite
SQLITE_PATH=$dir/token-service.sqlite
KEY_SOURCE=file
KEY_FILE=$dir/keyset.json
TOKEN_ISSUER=$issuer
TOKEN_AUDIENCE=am-api
CALLER_STATUS_CACHE_SECONDS=0
ENV
