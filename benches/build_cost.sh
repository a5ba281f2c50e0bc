#!/usr/bin/env bash
# Build cost of the talkjs crate, retakable at any time:
#   1. clean `cargo build --lib` in a fresh target directory: wall time, peak
#      RSS (/usr/bin/time -v) and the number of crates compiled;
#   2. the build script's run time (progenitor generating the client), read
#      from `cargo build --timings` (the `run-custom-build` unit of talkjs);
#   3. the rebuild after touching the spec (build script + crate), and, to
#      cross-check 2, the rebuild after touching src/lib.rs (crate only).
#
# Usage: benches/build_cost.sh [extra cargo args]
#   e.g. benches/build_cost.sh --no-default-features --features rustls-aws-lc-rs
# Uses a temporary CARGO_TARGET_DIR (removed at the end; KEEP=1 keeps it);
# the registry must already hold the sources (run `cargo fetch` once).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "target dir kept: $tmp/target"; else trap 'rm -rf "$tmp"' EXIT; fi
export CARGO_TARGET_DIR="$tmp/target"
args=("$@")

# The build script's run time from the newest --timings report.
script_secs() {
    python3 - "$CARGO_TARGET_DIR/cargo-timings/cargo-timing.html" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r"UNIT_DATA\s*=\s*(\[.*?\]);", html, re.S)
units = json.loads(m.group(1)) if m else []
runs = [u for u in units if u.get("name") == "talkjs" and u.get("mode") == "run-custom-build"]
print(f"{runs[0]['duration']:.1f}" if runs else "n/a")
EOF
}

# Runs one cargo build under /usr/bin/time; prints "wall_s peak_rss_MB compiled".
timed_build() {
    local log="$tmp/build.log"
    /usr/bin/time -v -o "$tmp/time.txt" cargo build --lib --timings "${args[@]}" >"$log" 2>&1 || {
        cat "$log"
        exit 1
    }
    local wall rss compiled
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.1f", s}' "$tmp/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/time.txt")
    compiled=$(grep -c '^ *Compiling ' "$log" || true)
    echo "$wall $rss $compiled"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(cargo --version)"
echo "cargo build --lib ${args[*]}"

read -r wall rss compiled < <(timed_build)
echo "clean build:                 ${wall} s wall, ${rss} MB peak RSS, ${compiled} crates compiled"
echo "build script run (clean):    $(script_secs) s (cargo --timings, run-custom-build of talkjs)"

touch talkjs-openapi.yml
read -r wall_spec _ _ < <(timed_build)
spec_script=$(script_secs)
touch src/lib.rs
read -r wall_lib _ _ < <(timed_build)
echo "rebuild after touching spec: ${wall_spec} s wall (build script ${spec_script} s of it)"
echo "rebuild after touching src/lib.rs: ${wall_lib} s wall (no build script run)"
echo "spec touch minus lib touch:  $(python3 -c "print(f'{$wall_spec - $wall_lib:.1f}')") s (cross-check of the build script's cost)"
