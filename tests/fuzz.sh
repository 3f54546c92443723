#!/usr/bin/env bash
# Fuzzes keymapd's pure core with libFuzzer (cargo fuzz): first `cargo fmt --check` and clippy
# on the fuzz crate (it is not in the root workspace, so `cargo fmt --all` and the workspace's
# clippy never see it), then each target in fuzz/ runs for a bounded time from the seed corpus
# in fuzz/corpus/<target>/, which is the minimized corpus kept in the repository; any crash,
# timeout or out-of-memory fails it, and its reproducer path is printed. Closes with
# `fuzz: N passed, M failed` (N/M: checks, i.e. the fuzz crate's lints, then each target).
#
#   FUZZ_SECONDS=3600 tests/fuzz.sh            # longer runs (default: 60 s per target)
#   tests/fuzz.sh engine_events                 # one target
#   FUZZ_WORK=DIR                               # where the growing corpus is kept
#                                               # (default ~/.cache/keymapd-fuzz; not in the repo)
#   tests/fuzz.sh --minimize [TARGET...]        # refresh the repository's seed corpus: merge
#                                               # FUZZ_WORK's corpus into fuzz/corpus/<target>/
#                                               # with `cargo fuzz cmin` (set cover), keeping the
#                                               # hand-written, named seeds; fuzzes nothing
#
# cargo fuzz needs nightly compiler features; the toolchain here is stable, so it runs with
# RUSTC_BOOTSTRAP=1 (which unlocks them on stable). No sanitizer (`-s none`): the core is safe
# Rust, and the build and the runs are about twice as fast; debug assertions (`-a`) stay on so
# that an arithmetic overflow is a crash. See tests/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${FUZZ_SECONDS:-60}
work=${FUZZ_WORK:-$HOME/.cache/keymapd-fuzz}
minimize=0
if [[ ${1:-} == --minimize ]]; then
    minimize=1
    shift
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(profile_parse engine_events)
fi
declare -A max_len=([profile_parse]=8192 [engine_events]=1024)
# The committed seed corpus holds at least this many inputs per target (the minimized corpus
# had 1780 and 374 when it was committed); fewer means it was lost, and the run fails.
declare -A min_seeds=([profile_parse]=1000 [engine_events]=200)

log() { printf '=== fuzz: %s\n' "$*"; }

export RUSTC_BOOTSTRAP=1
export PATH="$HOME/.cargo/bin:$PATH"

# What the build needs: the crate's own system dependencies (as tests/all.sh), and a C++
# compiler for libFuzzer itself (the libfuzzer-sys crate compiles it with `cc`).
need=()
for pkg in pkg-config libudev-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || need+=(g++)
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "tests/fuzz.sh: missing packages: ${need[*]} (run as root to install them)" >&2
        exit 1
    fi
    log "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz (once; it stays in ~/.cargo/bin)"
    cargo install cargo-fuzz --locked
fi

flags=(-O -a -s none)
libfuzzer_flags() { # TARGET: the limits every run and minimization uses
    printf '%s\n' -max_len="${max_len[$1]:-4096}" -rss_limit_mb=2048 -timeout=5 -close_fd_mask=1
}

# A seed is named by hand (kept under its name) unless it has libFuzzer's name: its SHA-1.
is_hashed() { [[ $1 =~ ^[0-9a-f]{40}$ ]]; }

if ((minimize)); then
    for target in "${targets[@]}"; do
        seeds="fuzz/corpus/$target"
        # Inside fuzz/ (ignored by git): cargo fuzz cmin renames directories, which must be on
        # one file system.
        tmp="$root/fuzz/target/minimize-$target"
        rm -rf "$tmp"
        mkdir -p "$tmp/corpus" "$seeds"
        [[ -d $work/corpus/$target ]] && find "$work/corpus/$target" -type f -exec cp -t "$tmp/corpus" {} +
        find "$seeds" -type f -exec cp -t "$tmp/corpus" {} +
        log "$target: minimizing $(find "$tmp/corpus" -type f | wc -l) inputs ($work/corpus/$target and $seeds)"
        mapfile -t lf < <(libfuzzer_flags "$target")
        # -set_cover_merge: a smaller set with the same features than plain -merge's greedy pass.
        cargo fuzz cmin "${flags[@]}" "$target" "$tmp/corpus" -- -set_cover_merge=1 "${lf[@]}" \
            >"$tmp.log" 2>&1 || { tail -n 20 "$tmp.log" >&2; log "$target: cmin FAILED"; exit 1; }
        # The hand-written seeds stay, under their names, even if they add no coverage.
        for f in "$seeds"/*; do
            [[ -f $f ]] || continue
            name=${f##*/}
            is_hashed "$name" && continue
            rm -f "$tmp/corpus/$(sha1sum <"$f" | cut -c1-40)"
            cp "$f" "$tmp/corpus/$name"
        done
        find "$seeds" -type f -delete
        find "$tmp/corpus" -type f -exec mv -t "$seeds" {} +
        rm -rf "$tmp" "$tmp.log"
        log "$target: $seeds now holds $(find "$seeds" -type f | wc -l) inputs, $(cat "$seeds"/* | wc -c) bytes"
    done
    exit 0
fi

passed=0
failed=0

# The fuzz crate is outside the root workspace: format and lint it here.
log "the fuzz crate: cargo fmt --check, cargo clippy -D warnings"
if cargo fmt --manifest-path fuzz/Cargo.toml --all -- --check \
    && cargo clippy -q --manifest-path fuzz/Cargo.toml --all-targets --locked -- -D warnings; then
    passed=$((passed + 1))
    log "the fuzz crate: format and lints ok"
else
    failed=$((failed + 1))
    log "the fuzz crate: FAILED: run \`cargo fmt --manifest-path fuzz/Cargo.toml --all\` and fix clippy's findings"
fi

start=$SECONDS
log "building the targets ($(cargo fuzz --version))"
cargo fuzz build "${flags[@]}"
log "built in $((SECONDS - start)) s"

for target in "${targets[@]}"; do
    seeds="fuzz/corpus/$target"
    count=0
    [[ -d $seeds ]] && count=$(find "$seeds" -type f | wc -l)
    if ((count < ${min_seeds[$target]:-1})); then
        failed=$((failed + 1))
        log "$target: FAILED: $seeds holds $count inputs, fewer than ${min_seeds[$target]:-1}: the committed" \
            "minimized corpus is missing (restore it from git, or rebuild it: tests/fuzz.sh --minimize $target)"
        continue
    fi
    corpus="$work/corpus/$target"
    artifacts="$root/fuzz/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    out=$(mktemp)
    marker=$(mktemp)
    log "$target: ${seconds} s, seeds $seeds ($count inputs), corpus $corpus"
    status=0
    mapfile -t lf < <(libfuzzer_flags "$target")
    # The first corpus directory receives new inputs; the seed corpus in the repo is only read.
    cargo fuzz run "${flags[@]}" "$target" "$corpus" "$seeds" -- \
        -max_total_time="$seconds" "${lf[@]}" -print_final_stats=1 >"$out" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out" | tail -1)
    if ((status == 0)); then
        passed=$((passed + 1))
        log "$target: ok, ${execs:-?} execs, ${rate:-?} exec/s, corpus $(find "$corpus" -type f | wc -l) inputs"
    else
        failed=$((failed + 1))
        # The panic message (with the harness's trace of the session), then libFuzzer's verdict.
        {
            sed -n '/panicked at/,/^stack backtrace:/p' "$out" | grep -v '^stack backtrace:' | head -n 600
            grep -E 'ERROR: libFuzzer|SUMMARY:|Test unit written|^Output of|^\s+\[' "$out"
        } >&2 || true
        repro=$(find "$artifacts" -type f -newer "$marker" 2>/dev/null | head -1)
        repro=${repro:-$(grep -o 'Test unit written to [^ ]*' "$out" | tail -1 | sed 's/Test unit written to //')}
        log "$target: FAILED (exit $status) after ${execs:-?} execs"
        log "$target: reproducer: ${repro:-none written (see the log above)}"
        [[ -n $repro ]] && log "$target: replay: RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} $target $repro"
    fi
    rm -f "$out" "$marker"
done

echo "fuzz: $passed passed, $failed failed"
((failed == 0))
