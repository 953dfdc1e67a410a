#!/usr/bin/env bash
# Prints the demo credentials that `authctl demo` wrote, with ready-to-paste requests.
set -euo pipefail
demo=$1
port=$2
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]][sys.argv[3]])' "$demo" "$2" "$3"; }
lp_id=$(field x labelpartner client_id); lp_secret=$(field x labelpartner client_secret)
admin_id=$(field x admin client_id); admin_secret=$(field x admin client_secret)
cat <<TXT

Demo credentials (local store only; kept in .local/demo-credentials.json):
  labelpartner (demo-lp): client_id=$lp_id client_secret=$lp_secret
  admin:                  client_id=$admin_id client_secret=$admin_secret

Try:
  curl -s http://127.0.0.1:$port/v1/token -d client_id=$lp_id -d client_secret=$lp_secret
  curl -s -u $admin_id:$admin_secret http://127.0.0.1:$port/oauth/v2/token -d grant_type=client_credentials
  curl -s http://127.0.0.1:$port/.well-known/openid-configuration
  curl -s http://127.0.0.1:$port/.well-known/jwks.json

TXT
