#!/usr/bin/env bash
# node-oidc-provider's CPU per client_credentials token, RS256 then ES256, as a markdown table.
#   tests/benches/oidc-provider/run.sh            (REQUESTS=10000 WARMUP=5000 CONCURRENCY=4 AUTHS="post basic")
set -euo pipefail
cd "$(dirname "$0")"

REQUESTS=${REQUESTS:-10000}
WARMUP=${WARMUP:-5000}
CONCURRENCY=${CONCURRENCY:-4}
AUTHS=${AUTHS:-post basic}
NODE=${NODE:-node}   # another runtime for load and server, e.g. a Node 22 binary

# Reinstall whenever the lock file is newer than what node_modules was installed from.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

results=()
for alg in RS256 ES256; do
  for auth in $AUTHS; do
    results+=("$("$NODE" load.mjs --alg "$alg" --auth "$auth" --requests "$REQUESTS" \
      --warmup "$WARMUP" --concurrency "$CONCURRENCY")")
  done
done

printf '%s\n' "${results[@]}" | "$NODE" -e '
  const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
  const r = rows[0];
  console.log(`\n${r.requests} tokens per row after ${r.warmup} warm-up requests, ${r.concurrency} keep-alive connections, ${r.node}, ` +
    `server CPU from /proc/<pid>/task/*/schedstat (utime+stime in brackets)\n`);
  console.log("| server | alg | client auth | CPU µs per token | tokens/s | peak RSS MB | bare signature µs |");
  console.log("|---|---|---|---|---|---|---|");
  for (const x of rows) {
    console.log(`| ${x.provider} | ${x.alg} | ${x.auth} | ${x.cpu_us_per_token.toFixed(0)} (${x.cpu_us_per_token_ticks.toFixed(0)}) ` +
      `| ${x.tokens_per_s.toFixed(0)} | ${x.peak_rss_mb.toFixed(0)} | ${x.bare_sign_us.toFixed(0)} |`);
  }'
