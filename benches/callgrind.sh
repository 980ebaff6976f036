#!/usr/bin/env bash
# The deterministic lock-path gate (performance targets T2, T3 and T7 of
# docs/performance.md).
#
# Counts, with valgrind's callgrind, the instructions one Lock2+Unlock2 pair
# executes in each bare loop of examples/lock_loop.rs, next to the same count
# for the idealized generational-handle + CAS loop (`gen_handle`), and counts
# the locked read-modify-write instructions (lock-prefixed, or xchg with a
# memory operand) that a pair executes and where they sit in the machine code.
# The error paths (one failing Lock2, as the errors/* benches) are counted
# the same way, as T7's deterministic companion.
# Instruction counts do not move with VM noise, so a regression shows here
# without a timing run. They do not measure latency (on the reference CPU the
# locked RMWs set it, ~4.7 ns each): read the Ir ratio together with the
# locked-RMW count.
#
# Method: each mode runs at two iteration counts; the difference of the
# programs' total Ir divided by the difference of the iteration counts is the
# cost of one pair, since lock_loop's setup does not depend on the count.
# The same difference, taken per instruction address (--dump-instr=yes), gives
# how many times per pair each locked instruction of the binary runs: every
# call the loop makes is followed, and only the path the loop actually takes
# (the success path: lock_loop exits 1 on any failed call) is counted.
#
# Usage: benches/callgrind.sh [--check] [--write-baseline] [--no-build] [--iters A,B]
#   --check     CI gate: fail when any counted path (rust_raw, c_abi and the
#               err_* modes) costs more than 5 % above its figure in
#               benches/callgrind-baseline.txt, when c_abi crosses the T3
#               fail line, or when rust_raw or c_abi executes >= 4 locked
#               RMWs per pair (T2 fail line). Without it only the rust_raw T3
#               fail line (> 3x gen_handle) fails the run.
#   --write-baseline  write the counts of this run to the baseline file (after
#               a change that is meant to move them; commit it with a reason).
#   --no-build  use the existing lock_loop of the gate profile
#               (<target dir>/gate/examples/lock_loop).
#   --iters A,B the two iteration counts (default 100000,200000).
#
# The counts depend on the compiler: the baseline records the rustc it was
# taken with, and a run with another one only warns (and says to re-take it).
#
# The binary is built with the `gate` profile (Cargo.toml: release code plus
# line tables, the settings the baseline was taken with) into the target
# directory cargo reports (`cargo metadata`, so CARGO_TARGET_DIR and
# .cargo/config.toml are honoured).
#
# Exit status: 0 pass, 1 a fail line crossed, 2 usage or tool error.
# Needs valgrind (installed with apt-get when missing, as root or via sudo),
# objdump (binutils), awk and cargo. Runs in well under 2 minutes once the
# gate-profile example is built.
set -euo pipefail

check=0
write_baseline=0
build=1
iters_a=100000
iters_b=200000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --check) check=1 ;;
        --write-baseline) write_baseline=1 ;;
        --no-build) build=0 ;;
        --iters)
            [[ $# -ge 2 && "$2" =~ ^[0-9]+,[0-9]+$ ]] || { echo "callgrind.sh: --iters takes A,B" >&2; exit 2; }
            iters_a=${2%,*}
            iters_b=${2#*,}
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) echo "callgrind.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if (( iters_b <= iters_a )); then
    echo "callgrind.sh: --iters A,B needs B > A" >&2
    exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
baseline_file=$root/benches/callgrind-baseline.txt
target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[[ -n $target_dir ]] || { echo "callgrind.sh: cannot read the target directory from cargo metadata" >&2; exit 2; }
bin=$target_dir/gate/examples/lock_loop
modes=(rust_raw c_abi gen_handle atomic_pair parking_lot_mutex)
# One failing Lock2 per iteration, set up like the errors/* benches (T7).
err_modes=(err_bad_handle err_device_removed err_busy err_at_limit)

# --- tools ---

if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind.sh: valgrind missing, installing it with apt-get" >&2
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { echo "callgrind.sh: need root or sudo to install valgrind" >&2; exit 2; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    # A clean image may have no package lists yet: update only if needed.
    if ! "${sudo[@]}" apt-get install -y -qq valgrind >/dev/null 2>&1; then
        "${sudo[@]}" apt-get update -qq >/dev/null
        "${sudo[@]}" apt-get install -y -qq valgrind >/dev/null
    fi
fi
for tool in valgrind objdump awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "callgrind.sh: $tool not found" >&2; exit 2; }
done

if (( build )); then
    (cd "$root" && cargo build --profile gate --quiet --example lock_loop)
fi
[[ -x "$bin" ]] || { echo "callgrind.sh: $bin not built" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/callgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the machine code: every locked RMW in the binary, with its function ---

# "addr<TAB>function<TAB>offset<TAB>instruction" for each lock-prefixed
# instruction and each xchg with a memory operand (xchg always locks).
objdump -d -C --no-show-raw-insn "$bin" >"$work/disasm"
awk '
    # Hex to number without gawk extensions (the default awk may be mawk).
    function hex(s,    i, n) {
        n = 0
        for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return n
    }
    /^[0-9a-f]+ <.*>:$/ {
        fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn)
        start = hex($1)
        next
    }
    /^ *[0-9a-f]+:\t/ {
        split($0, f, "\t")
        addr = f[1]; gsub(/[ :]/, "", addr)
        ins = f[2]; sub(/ +#.*$/, "", ins); gsub(/ +/, " ", ins)
        if (ins ~ /^lock / || (ins ~ /^xchg/ && ins ~ /\(/))
            printf "%s\t%s\t+0x%x\t%s\n", addr, fn, hex(addr) - start, ins
    }
' "$work/disasm" >"$work/locked"

# --- instruction counts ---

# Runs one mode under callgrind; prints "total-Ir" and leaves the per-address
# counts of the binary's locked instructions in $work/<mode>.<iters>.sites.
run_mode() {
    local mode=$1 n=$2 out=$work/$1.$2.cg
    if ! valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no \
        --callgrind-out-file="$out" "$bin" "$mode" "$n" >"$work/$mode.$n.log" 2>&1; then
        echo "callgrind.sh: lock_loop $mode $n failed under valgrind:" >&2
        tail -n 20 "$work/$mode.$n.log" >&2
        exit 2
    fi
    # Self cost per instruction address of the binary. A cost line right
    # after calls= is the call's inclusive cost, not the instruction's own.
    awk -v obj="$bin" -v sites="$work/locked" -v out="$work/$mode.$n.sites" '
        BEGIN { while ((getline line < sites) > 0) { split(line, f, "\t"); want[f[1]] = 1 } }
        /^totals:/ { total = $2; next }
        /^summary:/ { if (total == "") total = $2; next }
        /^ob=/ { inobj = (substr($0, 4) == obj); next }
        /^calls=/ { skip = 1; next }
        /^0x/ {
            if (skip) { skip = 0; next }
            if (inobj) {
                a = tolower(substr($1, 3)); sub(/^0+/, "", a)
                if (a in want) ir[a] += $NF
            }
            next
        }
        END {
            for (a in ir) print a "\t" ir[a] > out
            close(out)
            print total
        }
    ' "$out"
    touch "$work/$mode.$n.sites"
}

declare -A per_pair rmw
diff_iters=$((iters_b - iters_a))
for mode in "${modes[@]}" "${err_modes[@]}"; do
    ta=$(run_mode "$mode" "$iters_a")
    tb=$(run_mode "$mode" "$iters_b")
    per_pair[$mode]=$(awk -v a="$ta" -v b="$tb" -v d="$diff_iters" 'BEGIN { printf "%.2f", (b - a) / d }')
    # Locked instructions executed per pair, with where they are.
    awk -F'\t' -v d="$diff_iters" -v fa="$work/$mode.$iters_a.sites" -v fb="$work/$mode.$iters_b.sites" '
        BEGIN {
            while ((getline l < fa) > 0) { split(l, f, "\t"); ca[f[1]] = f[2] }
            while ((getline l < fb) > 0) { split(l, f, "\t"); cb[f[1]] = f[2] }
        }
        {
            n = (cb[$1] - ca[$1]) / d
            if (n > 0.005) { total += n; printf "site\t%.2f\t%s%s\t%s\n", n, $2, $3, $4 }
        }
        END { printf "total\t%.2f\n", total }
    ' "$work/locked" >"$work/$mode.rmw"
    rmw[$mode]=$(awk -F'\t' '$1 == "total" { print $2 }' "$work/$mode.rmw")
done

# --- report ---

gen=${per_pair[gen_handle]}
ratio() { awk -v x="$1" -v g="$gen" 'BEGIN { printf "%.2f", x / g }'; }

echo "callgrind: instructions per Lock2+Unlock2 pair ((Ir($iters_b) - Ir($iters_a)) / $diff_iters)"
echo "binary: $bin"
echo
printf '| %-17s | %9s | %13s | %16s |\n' mode "Ir/pair" "x gen_handle" "locked RMW/pair"
printf '|%s|%s|%s|%s|\n' "-------------------" "----------:" "--------------:" "-----------------:"
for mode in "${modes[@]}"; do
    printf '| %-17s | %9s | %13s | %16s |\n' "$mode" "${per_pair[$mode]}" "$(ratio "${per_pair[$mode]}")" "${rmw[$mode]}"
done
echo
echo "Error paths (T7 companion; one failing Lock2 per iteration, as errors/*):"
echo
printf '| %-18s | %9s | %15s | %16s |\n' mode "Ir/call" "x rust_raw pair" "locked RMW/call"
printf '|%s|%s|%s|%s|\n' "--------------------" "----------:" "----------------:" "-----------------:"
for mode in "${err_modes[@]}"; do
    printf '| %-18s | %9s | %15s | %16s |\n' "$mode" "${per_pair[$mode]}" \
        "$(awk -v x="${per_pair[$mode]}" -v r="${per_pair[rust_raw]}" 'BEGIN { printf "%.2f", x / r }')" "${rmw[$mode]}"
done
echo
echo "Locked RMWs executed per pair (callgrind per-address counts; calls followed):"
for mode in "${modes[@]}"; do
    echo "  $mode:"
    if ! grep -q '^site' "$work/$mode.rmw"; then
        echo "    (none)"
    fi
    awk -F'\t' '$1 == "site" { printf "    %5s x  %s: %s\n", $2, $3, $4 }' "$work/$mode.rmw"
done

# Static view: locked instructions in the bodies of the loops and of the
# functions they call directly (calls through the GOT resolved from its
# relocations), whether or not the success path reaches them.
objdump -R "$bin" >"$work/relocs" 2>/dev/null || true
echo
echo "Static: locked instructions in each loop's machine code and its direct callees"
echo "(x/pair = executed per pair in that loop's run; 0 = off the success path):"
for mode in rust_raw c_abi gen_handle; do
    awk -v loop="lock_loop::loop_$mode" -v relocs="$work/relocs" -v locked="$work/locked" -v rmw="$work/$mode.rmw" '
        BEGIN {
            while ((getline l < relocs) > 0) {
                n = split(l, f, /[ \t]+/)
                if (f[2] ~ /R_X86_64_(GLOB_DAT|JUMP_SLOT)/) got[tolower(f[1])] = "sym:" f[3]
                else if (f[2] == "R_X86_64_RELATIVE" && f[3] ~ /^\*ABS\*\+0x/) { t = f[3]; sub(/^\*ABS\*\+0x0*/, "", t); got[tolower(f[1])] = "addr:" t }
            }
            while ((getline l < locked) > 0) { split(l, f, "\t"); lk[f[2]]++; lkins[f[2]] = lkins[f[2]] "\n" f[3] "\t" f[4]; lkaddr[f[2] f[3]] = 1 }
            while ((getline l < rmw) > 0) { split(l, f, "\t"); if (f[1] == "site") ex[f[3]] = f[2] }
        }
        /^[0-9a-f]+ <.*>:$/ {
            fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn)
            a = $1; sub(/^0+/, "", a); name[a] = fn
            inloop = (fn == loop)
            next
        }
        # Direct calls name their target. Calls through the GOT (call *GOT,
        # or a function pointer loaded from the GOT into a register first)
        # show the GOT address in a "# addr <...>" comment: every GOT entry
        # the loop reads that holds a function start counts as a callee.
        inloop && /\tcall +[0-9a-f]+ </ {
            c = $0; sub(/^.*\tcall +[0-9a-f]+ </, "", c); sub(/>.*$/, "", c)
            if (c !~ /\+0x/) callee[c] = 1
            next
        }
        inloop && /# [0-9a-f]+ </ {
            g = $0; sub(/^.*# /, "", g); sub(/ .*$/, "", g)
            gotref[g] = 1
        }
        END {
            for (g in gotref) {
                # objdump -R prints the GOT address with 16 hex digits.
                key = substr("0000000000000000", 1, 16 - length(g)) g
                r = got[key]
                if (r ~ /^sym:/) callee[substr(r, 5)] = 1
                else if (r ~ /^addr:/ && (substr(r, 6) in name)) callee[name[substr(r, 6)]] = 1
            }
            show(loop, "")
            for (c in callee) show(c, "  -> ")
        }
        function show(fn, lead,    n, i, parts, p) {
            printf "  %s%s: %d locked\n", lead, fn, lk[fn] + 0
            n = split(lkins[fn], parts, "\n")
            for (i = 2; i <= n; i++) {
                split(parts[i], p, "\t")
                printf "      %s%s  %-36s %s x/pair\n", lead == "" ? "" : "     ", p[1], p[2], (fn p[1]) in ex ? ex[fn p[1]] : "0"
            }
        }
    ' "$work/disasm"
done

# --- the gate ---

status=0
fail() {
    echo "FAIL: $*" >&2
    status=1
}
over() { awk -v x="$1" -v g="$gen" -v k="$2" 'BEGIN { exit !(x > k * g) }'; }

echo
echo "T3 goal: rust_raw <= 2x gen_handle; fail line > 3x. T2 goal: 2 locked RMWs per pair; fail line >= 4."
if over "${per_pair[rust_raw]}" 3; then
    fail "T3: rust_raw costs ${per_pair[rust_raw]} Ir per Lock2+Unlock2 pair, $(ratio "${per_pair[rust_raw]}")x gen_handle (${gen} Ir): over the 3x fail line"
elif over "${per_pair[rust_raw]}" 2; then
    echo "warning: T3 goal missed: rust_raw is $(ratio "${per_pair[rust_raw]}")x gen_handle (goal <= 2x, fail line > 3x)"
else
    echo "T3 met: rust_raw is $(ratio "${per_pair[rust_raw]}")x gen_handle"
fi
for mode in rust_raw c_abi; do
    if awk -v n="${rmw[$mode]}" 'BEGIN { exit !(n >= 4) }'; then
        if (( check )); then
            fail "T2: $mode executes ${rmw[$mode]} locked RMWs per pair (fail line >= 4)"
        else
            echo "warning: T2 fail line: $mode executes ${rmw[$mode]} locked RMWs per pair (>= 4)"
        fi
    elif awk -v n="${rmw[$mode]}" 'BEGIN { exit !(n > 2) }'; then
        echo "warning: T2 goal missed: $mode executes ${rmw[$mode]} locked RMWs per pair (goal 2)"
    fi
done
for mode in "${err_modes[@]}"; do
    if awk -v x="${per_pair[$mode]}" -v r="${per_pair[rust_raw]}" 'BEGIN { exit !(x > r) }'; then
        echo "warning: T7 (instructions): $mode costs ${per_pair[$mode]} Ir, more than a successful pair (${per_pair[rust_raw]})"
    fi
    if awk -v n="${rmw[$mode]}" 'BEGIN { exit !(n > 0) }'; then
        echo "warning: T7: $mode executes ${rmw[$mode]} locked RMWs per failing call (the idealized path has none)"
    fi
done
if (( check )) && over "${per_pair[c_abi]}" 3; then
    fail "T3: c_abi costs ${per_pair[c_abi]} Ir per pair, $(ratio "${per_pair[c_abi]}")x gen_handle: over the 3x fail line"
fi

# --- the committed baseline: no counted path may grow more than 5 % ---

gated=(rust_raw c_abi "${err_modes[@]}")
rustc_now=$(rustc --version 2>/dev/null || echo unknown)
if (( write_baseline )); then
    {
        echo "# Instructions per call of each counted lock path (benches/callgrind.sh)."
        echo "# benches/callgrind.sh --check fails when one costs more than 5 % above this."
        echo "# Re-take with --write-baseline only with a reason in the commit message."
        echo "rustc $rustc_now"
        for mode in "${gated[@]}"; do
            echo "$mode ${per_pair[$mode]}"
        done
    } >"$baseline_file"
    echo "wrote $baseline_file"
elif [[ -f $baseline_file ]]; then
    rustc_base=$(awk '$1 == "rustc" { $1 = ""; sub(/^ /, ""); print }' "$baseline_file")
    echo
    echo "Against the baseline ($baseline_file, taken with $rustc_base):"
    strict=$check
    if [[ $rustc_base != "$rustc_now" ]]; then
        echo "warning: the baseline was taken with another compiler ($rustc_now here): re-take it with --write-baseline"
        strict=0
    fi
    for mode in "${gated[@]}"; do
        base=$(awk -v m="$mode" '$1 == m { print $2 }' "$baseline_file")
        if [[ -z $base ]]; then
            fail "baseline: $mode has no figure in $baseline_file"
            continue
        fi
        printf '  %-20s %8s Ir  (baseline %s, %s)\n' "$mode" "${per_pair[$mode]}" "$base" \
            "$(awk -v x="${per_pair[$mode]}" -v b="$base" 'BEGIN { printf "%+.1f %%", 100 * (x - b) / b }')"
        if awk -v x="${per_pair[$mode]}" -v b="$base" 'BEGIN { exit !(x > 1.05 * b) }'; then
            if (( strict )); then
                fail "baseline: $mode costs ${per_pair[$mode]} Ir, more than 5 % above its baseline of $base"
            else
                echo "warning: $mode costs ${per_pair[$mode]} Ir, more than 5 % above its baseline of $base"
            fi
        fi
    done
elif (( check )); then
    fail "baseline: $baseline_file is missing (run with --write-baseline)"
fi
if (( status == 0 )); then
    echo "PASS"
fi
exit "$status"
