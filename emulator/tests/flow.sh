#!/bin/sh
# The README's flow for a test suite in any language, with sh and curl:
# start, wait for the readiness line, call, read back, reset, read the
# request log, stop. Fails (exit 1) at the first surprise.
set -eu
fail() { echo "FAIL: $*" >&2; kill "$pid" 2>/dev/null; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/out"
"$BIN" --bind 127.0.0.1:0 --app-id sh_app --secret-key sk_sh \
  --admin --request-log 1000 >"$dir/out" &
pid=$!
# Readiness: the first stdout line, printed once the port accepts
# connections. `read` blocks until it comes (or the binary exits).
exec 3<"$dir/out"
read -r first <&3 || fail "no readiness line"
base=${first#listening on }
[ "$base" != "$first" ] || fail "unexpected first line: $first"
api="$base/v1/sh_app"
auth="Authorization: Bearer sk_sh"
json="Content-Type: application/json"

health=$(curl -sS --fail "$base/__emulator/health")
case $health in *'"status":"ok"'*) ;; *) fail "health: $health" ;; esac

curl -sS --fail -X PUT "$api/users/alice" -H "$auth" -H "$json" \
  -d '{"email":["alice@example.com"],"name":"Alice"}' >/dev/null
user=$(curl -sS --fail "$api/users/alice" -H "$auth")
case $user in *'"name":"Alice"'*) ;; *) fail "read back: $user" ;; esac

# What the emulator received: the PUT and the GET, bodies as JSON.
log=$(curl -sS --fail "$base/__emulator/requests")
records() { printf '%s' "$log" | grep -o '"method":"[A-Z]*"' | tr -d '\n'; }
[ "$(records)" = '"method":"PUT""method":"GET"' ] || fail "log: $log"
case $log in *'"body":{"email":["alice@example.com"],"name":"Alice"}'*) ;; *) fail "log body: $log" ;; esac

[ "$(curl -sS --fail -X POST "$base/__emulator/reset")" = "{}" ] || fail "reset"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$api/users/alice" -H "$auth")
[ "$status" = 404 ] || fail "after reset the user is gone, got $status"
# The reset emptied the log too: only the GET after it is there.
log=$(curl -sS --fail "$base/__emulator/requests")
[ "$(records)" = '"method":"GET"' ] || fail "log after reset: $log"

kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM"
echo "ok $base"
