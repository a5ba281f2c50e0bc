#!/usr/bin/env bash
# Build weight of the talkjs crate against a bare progenitor client of the
# same spec (issue 16 point 10: a dependent's clean build of `talkjs` with
# default features should take at most 1.10 times the bare client's, both
# built in the same run with the same TLS choice).
#
# What it builds, each `cargo build --lib` (dev profile, same -j,
# CARGO_INCREMENTAL=0) in its own fresh CARGO_TARGET_DIR:
#   bare    a crate made in a temporary directory whose build.rs feeds the
#           spec to progenitor 0.15.1 with the SDK's generator settings
#           (InterfaceStyle::Builder, TagStyle::Merged) and nothing else: no
#           inner type, no hooks, no patches or rules, no post-processing, no
#           pretty-printing (the token stream is written as it is). Its
#           dependencies are what the generated code needs (progenitor-client,
#           reqwest with json/query, serde, serde_json; regress when the spec
#           has patterns) and talkjs's default TLS choice (`rustls-ring`:
#           reqwest/rustls-no-provider + rustls with ring). Its build
#           dependencies: progenitor (default-features = false, as talkjs),
#           openapiv3, and the spec's reader: yaml_serde for the YAML (the
#           parser talkjs uses), serde_json for the patched JSON.
#   talkjs  a trivial dependent crate (`pub use talkjs;`) depending on this
#           repository's talkjs with its default features.
# Builds alternate bare, talkjs, bare, talkjs, ... so both see the same
# machine load; the table gives each build (wall time, CPU time = user+sys,
# peak RSS, crates compiled, load average after it) and the medians, and the
# ratio talkjs/bare of the median wall times (the target) and of the median
# CPU times (less moved by other work on the machine). Both crates start
# from the Cargo.lock of the talkjs built, so shared crates resolve to the
# same versions.
# At the end, the biggest units of the last talkjs build that the bare build
# does not have (cargo --timings) are listed: what makes the difference.
#
# Usage: benches/build_weight.sh
# Environment:
#   ROUNDS=2          rounds (one bare + one talkjs build each)
#   JOBS=$(nproc)     cargo -j for every build
#   SPEC=raw          the bare client reads talkjs-openapi.yml as it is (the
#                     raw spec generates and compiles without the patches);
#   SPEC=patched      it reads the SDK's patched spec instead (the same
#                     schemas the SDK's raw client is generated from), taken
#                     from a first, uncounted build of talkjs (a warm-up), or
#                     from the file named by PATCHED_JSON (no warm-up then)
#   REV=HEAD          the talkjs built is a `git archive` of this revision
#                     (stable while someone edits the working tree);
#                     REV=worktree builds the working tree as it is
#   KEEP=1            keep the temporary directory (crates, logs, --timings
#                     reports, target directories)
# The registry must already hold the sources (`cargo fetch` in this
# repository once); the builds run with --offline. A clean build is mostly
# CPU-bound: anything else compiling on the machine moves both figures (less
# so their ratio, since the builds alternate).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rounds=${ROUNDS:-2}
jobs=${JOBS:-$(nproc)}
spec_mode=${SPEC:-raw}
rev=${REV:-HEAD}
case "$spec_mode" in raw | patched) ;; *) echo "SPEC must be raw or patched" >&2; exit 2 ;; esac

tmp=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "kept: $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
export CARGO_INCREMENTAL=0
# A compiler wrapper (sccache) would serve cached units, and flags are not
# what a dependent builds with.
unset CARGO_BUILD_TARGET_DIR RUSTFLAGS RUSTC_WRAPPER 2>/dev/null || true

# The talkjs sources to build.
if [ "$rev" = worktree ]; then
    talkjs_dir=$repo
    talkjs_desc="working tree of $repo"
else
    talkjs_dir=$tmp/talkjs
    mkdir -p "$talkjs_dir"
    git archive "$rev" | tar -x -C "$talkjs_dir"
    talkjs_desc="$(git rev-parse --short "$rev") ($rev, git archive)"
fi

# --- the dependent crate ------------------------------------------------------
mkdir -p "$tmp/dependent/src"
cat >"$tmp/dependent/Cargo.toml" <<EOF
[package]
name = "talkjs-dependent"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
talkjs = { path = "$talkjs_dir" }

[workspace]
EOF
echo 'pub use talkjs;' >"$tmp/dependent/src/lib.rs"
cp "$talkjs_dir/Cargo.lock" "$tmp/dependent/Cargo.lock"

# Runs one cargo build under /usr/bin/time in a fresh target directory;
# prints "wall_s cpu_s peak_rss_MB compiled load_after".
# $1: crate dir, $2: label, $3: round, $4: "keep" to keep the target dir.
timed_build() {
    local dir=$1 label=$2 n=$3 keep=${4:-}
    local target="$tmp/target-$label-$n" log="$tmp/$label-$n.log"
    rm -rf "$target"
    (cd "$dir" && CARGO_TARGET_DIR="$target" /usr/bin/time -v -o "$tmp/$label-$n.time" \
        cargo build --lib --offline --timings -j "$jobs" >"$log" 2>&1) || {
        cat "$log" >&2
        exit 1
    }
    cp "$target"/cargo-timings/cargo-timing.html "$tmp/$label-$n.timing.html" 2>/dev/null || true
    local wall cpu rss compiled
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.1f", s}' "$tmp/$label-$n.time")
    cpu=$(awk -F': ' '/(User|System) time/ {s+=$2} END {printf "%.1f", s}' "$tmp/$label-$n.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/$label-$n.time")
    compiled=$(grep -c '^ *Compiling ' "$log" || true)
    # Target directories are large (1-2 GB): with KEEP=1, the last of each.
    if [ "$keep" != keep ] && { [ "${KEEP:-0}" != 1 ] || [ "$n" != "$rounds" ]; }; then rm -rf "$target"; fi
    echo "$wall $cpu $rss $compiled $(cut -d' ' -f1 /proc/loadavg)"
}

# Sources for this host only (other platforms' crates need not be present).
host=$(rustc -vV | sed -n 's/^host: //p')
fetch() {
    (cd "$1" && { cargo fetch --offline --target "$host" >/dev/null 2>&1 ||
        cargo fetch --target "$host" >/dev/null; })
}

# --- the spec the bare client reads -------------------------------------------
fetch "$tmp/dependent"
if [ "$spec_mode" = raw ]; then
    spec_file="$talkjs_dir/talkjs-openapi.yml"
elif [ -n "${PATCHED_JSON:-}" ]; then
    spec_file=$(realpath "$PATCHED_JSON")
else
    echo "warm-up: building talkjs once for its patched spec (not counted)"
    timed_build "$tmp/dependent" warmup 0 keep >/dev/null
    spec_file=$(ls "$tmp"/target-warmup-0/debug/build/talkjs-*/out/talkjs-openapi.patched.json | head -1)
    cp "$spec_file" "$tmp/talkjs-openapi.patched.json"
    spec_file=$tmp/talkjs-openapi.patched.json
    rm -rf "$tmp/target-warmup-0"
fi

# --- the bare progenitor client -----------------------------------------------
mkdir -p "$tmp/bare/src"
if [ "$spec_mode" = raw ]; then
    reader_dep='yaml_serde = "0.10"'
    reader='yaml_serde::from_reader'
else
    reader_dep='serde_json = "1"'
    reader='serde_json::from_reader'
fi
# The generated code refers to ::regress only for schemas with a pattern.
if grep -q '"\?pattern"\?:' "$spec_file"; then regress_dep='regress = "0.12"'; else regress_dep=''; fi
cat >"$tmp/bare/Cargo.toml" <<EOF
[package]
name = "bare-progenitor-client"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
progenitor-client = "0.15.1"
# talkjs's default TLS choice (feature rustls-ring).
reqwest = { version = "0.13.4", default-features = false, features = ["json", "query", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
$regress_dep

[build-dependencies]
progenitor = { version = "=0.15.1", default-features = false }
openapiv3 = "2.2"
$reader_dep

[workspace]
EOF
cat >"$tmp/bare/build.rs" <<EOF
fn main() {
    let spec_path = "$spec_file";
    println!("cargo:rerun-if-changed={spec_path}");
    let file = std::fs::File::open(spec_path).expect("spec");
    let spec: openapiv3::OpenAPI = $reader(file).expect("an OpenAPI 3.0 document");
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .expect("progenitor generates a client");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("client.rs");
    std::fs::write(out, tokens.to_string()).unwrap();
}
EOF
echo 'include!(concat!(env!("OUT_DIR"), "/client.rs"));' >"$tmp/bare/src/lib.rs"
cp "$talkjs_dir/Cargo.lock" "$tmp/bare/Cargo.lock"
fetch "$tmp/bare"

# --- the runs -----------------------------------------------------------------
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(cargo --version)"
echo "talkjs: $talkjs_desc, default features; bare spec: $spec_mode ($spec_file)"
echo "cargo build --lib --offline -j $jobs (dev profile, CARGO_INCREMENTAL=0), $rounds round(s), fresh target dir per build"
results=$tmp/results.txt
: >"$results"
for n in $(seq 1 "$rounds"); do
    for label in bare talkjs; do
        if [ "$label" = bare ]; then dir=$tmp/bare; else dir=$tmp/dependent; fi
        read -r wall cpu rss compiled load < <(timed_build "$dir" "$label" "$n")
        printf '  round %s  %-6s  %6.1f s wall  %6.1f s CPU  %5s MB peak RSS  %3s crates  (load %s)\n' \
            "$n" "$label" "$wall" "$cpu" "$rss" "$compiled" "$load"
        echo "$label $wall $cpu $rss $compiled" >>"$results"
    done
done

python3 - "$results" "$tmp/bare-$rounds.timing.html" "$tmp/talkjs-$rounds.timing.html" <<'EOF'
import collections, json, re, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
print()
print(f"{'':8}{'median wall':>13}{'median CPU':>13}{'peak RSS':>10}{'crates':>8}")
for label in ("bare", "talkjs"):
    r = [x for x in rows if x[0] == label]
    wall, cpu, rss = (statistics.median(float(x[i]) for x in r) for i in (1, 2, 3))
    crates = "/".join(sorted({x[4] for x in r}))
    med[label] = (wall, cpu)
    print(f"{label:8}{wall:>11.1f} s{cpu:>11.1f} s{rss:>7.0f} MB{crates:>8}")
print(f"ratio talkjs/bare: {med['talkjs'][0] / med['bare'][0]:.3f} wall (target <= 1.10), "
      f"{med['talkjs'][1] / med['bare'][1]:.3f} CPU (user+sys, less sensitive to other load)")

def units(path):
    try:
        html = open(path).read()
    except OSError:
        return []
    m = re.search(r"UNIT_DATA\s*=\s*(\[.*?\]);", html, re.S)
    return json.loads(m.group(1)) if m else []
bare, sdk = units(sys.argv[2]), units(sys.argv[3])
if sdk:
    # A crate compiled twice (for build scripts and for the target: their
    # debuginfo differs) is two units; one compiled with other features is
    # another unit.
    key = lambda u: (u["name"], u["version"], u["target"], tuple(u["features"]))
    have = collections.Counter(key(u) for u in bare)
    names = {(u["name"], u["version"], u["target"]) for u in bare}
    extra = []
    for u in sorted(sdk, key=lambda u: u["duration"]):
        if have[key(u)]:
            have[key(u)] -= 1
        else:
            extra.append(u)
    extra.sort(key=lambda u: -u["duration"])
    total = sum(u["duration"] for u in extra)
    print(f"\nunits of the last talkjs build that the bare one has not: {len(extra)}, {total:.1f} s"
          " of unit time (units overlap on several cores; a crate with other features is\n"
          "shown with its whole time, of which only part is the features' cost)")
    for u in extra[:20]:
        if (u["name"], u["version"], u["target"]) not in names:
            note = ""
        elif any(key(b) == key(u) for b in bare):
            note = "  (once more)"
        else:
            note = "  (other features: " + ",".join(u["features"]) + ")"
        print(f"  {u['duration']:6.1f} s  {u['name']} {u['version']}{u['target']}{note}")
EOF
