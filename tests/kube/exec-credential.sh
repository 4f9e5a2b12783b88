#!/bin/sh
# kubectl's exec credential plugin in the tests: prints the ID token in the file $1 as an
# ExecCredential of API version $2, which is what kubelogin hands kubectl after its login.
# (kubelogin is not available here; the tests get the token the way it would.)
set -eu
token="$(cat "$1")"
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"}}\n' "$2" "$token"
