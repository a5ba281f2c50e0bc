#!/usr/bin/env bash
# Conformance of the emulator against the OpenAPI spec, with schemathesis:
# no 5xx, and every documented response matches its schema.
#
# Installs schemathesis into a venv when missing, builds and starts the
# emulator on a free loopback port, runs schemathesis against
# {base}/v1/{app} with the secret key, stops the emulator, and exits
# non-zero on any failure. Uses the SDK's patched spec when the
# `patched_spec` example exists, else the bundled YAML converted to JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${TALKJS_CONFORMANCE_VENV:-$HOME/.cache/talkjs-conformance/venv}"
MAX_EXAMPLES="${TALKJS_CONFORMANCE_EXAMPLES:-25}"
APP_ID="conformance_app"
SECRET="sk_test_conformance_0123456789"
work="$(mktemp -d)"
emu_pid=""
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. schemathesis (4.x CLI) and PyYAML, in a venv of their own.
if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null; then
  echo "installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5' pyyaml
fi
"$VENV/bin/st" --version

# 2. The spec: the SDK's patched spec if it can print it, else the raw one.
spec="$work/spec.json"
# TALKJS_CONFORMANCE_SPEC=raw forces the bundled spec.
if [ -f examples/patched_spec.rs ] && [ "${TALKJS_CONFORMANCE_SPEC:-}" != raw ]; then
  echo "spec: patched (cargo run --example patched_spec)"
  cargo run -q --example patched_spec > "$spec"
else
  echo "spec: raw talkjs-openapi.yml"
  "$VENV/bin/python" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
    talkjs-openapi.yml "$spec"
fi

# 3. The emulator on a free port; its first stdout line names the address.
cargo build -q -p talkjs-emulator --bin talkjs-emulator
target_dir="$(cargo metadata --format-version 1 --no-deps | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
# No batch pacing: schemathesis sends batches back to back, and a 429 for
# each would leave the batch answers unchecked. Bodiless DELETEs without a
# Content-Type, which schemathesis sends, are accepted by default (as
# TalkJS accepts them).
"$target_dir/debug/talkjs-emulator" --bind 127.0.0.1:0 --app-id "$APP_ID" --secret-key "$SECRET" \
  --batch-interval-ms 0 > "$work/emulator.out" 2> "$work/emulator.err" &
emu_pid=$!
base=""
for _ in $(seq 1 100); do
  base="$(sed -n '1s/^listening on //p' "$work/emulator.out")"
  [ -n "$base" ] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emulator.err"; echo "emulator exited"; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "emulator did not report its address"; exit 1; }
echo "emulator at $base"

# Fixture data, so operations on existing ids reach the handlers' logic
# rather than stopping at 404: schemathesis uses these ids for every path.
api="$base/v1/$APP_ID"
call() { curl -sS --fail-with-body -X "$1" "$api$2" -H "Authorization: Bearer $SECRET" -H 'Content-Type: application/json' -d "$3"; }
call PUT /users/u1 '{"name": "One"}' >/dev/null
call PUT /users/u2 '{"name": "Two"}' >/dev/null
call PUT /conversations/c1 '{"participants": ["u1", "u2"], "subject": "fixture"}' >/dev/null
# Destructive operations get fixtures of their own, so that deleting the
# conversation, a message or a participant early in the run does not turn
# every other operation into a 404.
call PUT /conversations/c_doomed '{"participants": ["u1", "u2"]}' >/dev/null
call PUT /conversations/c_leave '{"participants": ["u1", "u2"]}' >/dev/null
first_id() { "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])'; }
msg_id="$(call POST /conversations/c1/messages '[{"type": "UserMessage", "sender": "u1", "text": "hi"}]' | first_id)"
doomed_msg_id="$(call POST /conversations/c1/messages '[{"type": "UserMessage", "sender": "u2", "text": "bye"}]' | first_id)"
export CONFORMANCE_MESSAGE_ID="$msg_id" CONFORMANCE_DOOMED_MESSAGE_ID="$doomed_msg_id"
cat > "$work/schemathesis.toml" <<'TOML'
[parameters]
"path.userId" = "u1"
"path.conversationId" = "c1"
"path.messageId" = "${CONFORMANCE_MESSAGE_ID}"

[[operations]]
include-name = "DELETE /conversations/{conversationId}"
parameters = { "path.conversationId" = "c_doomed" }

[[operations]]
include-name = "DELETE /conversations/{conversationId}/participants/{userId}"
parameters = { "path.conversationId" = "c_leave" }

[[operations]]
include-name = "DELETE /conversations/{conversationId}/messages/{messageId}"
parameters = { "path.messageId" = "${CONFORMANCE_DOOMED_MESSAGE_ID}" }
TOML

# 4. Bounded run: a fixed number of examples per operation, a hard timeout.
#
# Checks: no 5xx; every response's status is one the spec declares for the
# operation (status_code_conformance), its Content-Type is a declared one
# (content_type_conformance) and its body matches the declared schema.
# The emulator also answers two statuses the spec does not declare: 405 for
# a method a path does not support and 413 for a body above 1 MiB (10 MiB
# for uploads). Neither is reachable from these phases -- schemathesis only
# sends each documented method to its documented path, and its generated
# bodies stay far below 1 MiB -- so the status check stays on; if a future
# schemathesis does reach them, declare them in the spec patches (owned by
# the SDK) rather than dropping the check.
checks="${TALKJS_CONFORMANCE_CHECKS:-not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance}"
run_schemathesis() {
  # Run from the scratch directory: schemathesis leaves a .schemathesis/ cache in its cwd.
  (cd "$work" && timeout 270 "$VENV/bin/st" --config-file "$work/schemathesis.toml" run "$spec" \
    --url "$base/v1/$APP_ID" \
    -H "Authorization: Bearer $SECRET" \
    --checks "$checks" \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --seed 1 \
    --generation-database none \
    --workers 1 \
    --request-timeout 10 \
    --no-color \
    --report-dir "$work/report") 2>&1 | tee "$work/st.out"
  return "${PIPESTATUS[0]}"
}
status=0
run_schemathesis || status=$?
# CPython < 3.11.8 / 3.12.1 (gh-106905) can raise a spurious "AST
# constructor recursion depth mismatch" SystemError inside hypothesis while
# it generates POST /batch's recursive body; schemathesis reports it as a
# runtime error, not a finding. The AST builder's depth counter is shared
# by the interpreter's threads, so two workers (threads) made it likely:
# a CI run failed with it twice in a row. One worker keeps to one thread;
# the error, should it still come, earns one rerun.
if [ "$status" -ne 0 ] && grep -q "AST constructor recursion depth mismatch" "$work/st.out" \
  && ! grep -qE "^(Failed|FAILURES)|[0-9]+ failures?" "$work/st.out"; then
  echo "schemathesis hit CPython bug gh-106905 (not an emulator finding); running once more"
  status=0
  run_schemathesis || status=$?
fi

if ! kill -0 "$emu_pid" 2>/dev/null; then
  echo "the emulator died during the run:"; cat "$work/emulator.err"; status=1
fi
exit "$status"
