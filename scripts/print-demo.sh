#!/usr/bin/env bash
# Prints the demo credentials that `authctl demo` wrote, with ready-to-paste requests.
set -euo pipefail
demo=$1
port=$2
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]][sys.argv[3]])' "$demo" "$2" "$3"; }
lp_id=$(field x labelpartner client_id); lp_secret=$(field x labelpartner client_secret)
admin_id=$(field x admin client_id); admin_secret=$(field x admin client_secret)
app_id=$(field x ce_api client_id); app_secret=$(field x ce_api client_secret)
user_email=$(field x user email); user_password=$(field x user password)
base=http://127.0.0.1:$port
# Reads one field of a JSON response on stdin (python3 instead of a jq dependency).
take="python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'"
cat <<TXT

Demo credentials (local store only; kept in .local/demo-credentials.json):
  labelpartner (demo-lp): client_id=$lp_id client_secret=$lp_secret
  admin:                  client_id=$admin_id client_secret=$admin_secret
  CE-API app (demo-lp):   client_id=$app_id client_secret=$app_secret
  end user (demo-lp):     username=$user_email password=$user_password

Try:
  curl -s $base/v1/token -d client_id=$lp_id -d client_secret=$lp_secret
  curl -s -u $admin_id:$admin_secret $base/oauth/v2/token -d grant_type=client_credentials
  curl -s $base/.well-known/openid-configuration
  curl -s $base/.well-known/jwks.json

End-user sign-in: password grant, refresh (the refresh token rotates), revoke:
  curl -s -u $app_id:$app_secret $base/v2/token -d grant_type=password \\
    --data-urlencode username=$user_email --data-urlencode password=$user_password
  RT=\$(curl -s -u $app_id:$app_secret $base/v2/token -d grant_type=password \\
    --data-urlencode username=$user_email --data-urlencode password=$user_password \\
    | $take refresh_token)
  RT=\$(curl -s -u $app_id:$app_secret $base/v2/token -d grant_type=refresh_token \\
    --data-urlencode refresh_token=\$RT | $take refresh_token)
  curl -si -u $app_id:$app_secret $base/v2/revoke --data-urlencode token=\$RT

TXT
