#!/bin/bash
# scripts/testbed/closure-compile.sh [FILE.c...]
#
# The --functions check on real kernel TUs (default: the 12 below): for every non-inline function the
# file defines, `klp-ccp extract --functions F --output-closure-only` (one
# process per TU, --each-function), then each carved-out C is compiled with the
# TU's own kbuild command (-save-temps=obj keeps its .i), and its functions are
# compared token by token with the TU's own preprocessed text (the equivalence
# check of every extract run, scripts/testbed/closure-identical.mjs). Prints
# `FILE: compiled N/M, identical K/M` per TU (M = the functions extract accepts;
# the ones it refuses get a located error) and a total line; exit 0 only if all
# accepted ones compile and are identical. Time: the 12 default TUs (543 functions) take
# ~5.6 min of CPU, ~3-5 min on an idle 2-core machine (10 min at a load average of 9).
set -euo pipefail
source "$(dirname "$0")/common.sh"
REPO=$(cd "$TB_DIR/../.." && pwd)
# 12 TUs: fs/, mm/, net/, kernel/, block/, sound/, a file system module (ext4, with its private
# ext4.h), driver modules with private headers (dm-stripe's dm.h, e1000's e1000.h) and a module
# whose public trace header includes its private one (bridge).
(($#)) || set -- fs/proc/cmdline.c kernel/fork.c net/ipv4/tcp_input.c mm/mremap.c block/blk-ioc.c \
  kernel/time/itimer.c fs/pipe.c sound/core/pcm_memory.c fs/ext4/dir.c drivers/md/dm-stripe.c \
  drivers/net/ethernet/intel/e1000/e1000_ethtool.c net/bridge/br_fdb.c
"$TB_DIR/prepare-build.sh" "$@"
OUT=${KLP_CLOSURE_OUT:-${KLP_WORKDIR:-$TESTBED/work}/closure-compile}   # KLP_WORKDIR: one per concurrent run
rm -rf "$OUT" && mkdir -p "$OUT"
total=0 ok=0 same=0
for f in "$@"; do
  dir=$OUT/${f//\//_}
  node "$REPO/bin/klp-ccp" extract -q --functions '*' --each-function --src "$SRC" --build "$BUILD" \
    --file "$SRC/$f" --out "$dir" 2> "$dir.extract.err" || true
  obj=${f%.c}.o
  cmd=$(sed -n '1{s/^[a-z]*cmd_[^ ]* := //;s/ *; .*$//;p;q}' "$BUILD/$(dirname "$obj")/.$(basename "$obj").cmd" \
        | sed -e 's/-Wp,-MMD,[^ ]* //' -e 's/ -fdump-ipa-clones//' -e "s# -c -o $obj # -c -o @OBJ@ #" -e "s#$SRC/$f\$#@SRC@#")
  [[ $cmd == *@OBJ@*@SRC@* ]] || die "cannot rewrite the compile command of $f"
  printf '%s\n' "$cmd" > "$dir.cmd"
  m=$( (grep -c . <(ls "$dir"/*.c 2>/dev/null) || true) )
  failed_extract=$(grep -c '^[a-zA-Z_0-9]*: ' "$dir.extract.err" || true)
  # Compile each closure with the TU's command, two at a time.
  ls "$dir"/*.c 2>/dev/null | xargs -r -P "$(nproc)" -I{} bash -c '
    c={}; cmd=$(cat "$0"); cmd=${cmd//@OBJ@/${c%.c}.o}; cmd=${cmd//@SRC@/$c}
    (cd "$1" && eval "$cmd -save-temps=obj") > "${c%.c}.log" 2>&1 && touch "${c%.c}.ok" || true' "$dir.cmd" "$BUILD"
  n=$(ls "$dir"/*.ok 2>/dev/null | wc -l)
  all=$m
  # The TU as the kernel compiled it, preprocessed, for the equivalence check.
  ocmd=${cmd/-c -o @OBJ@/-E -o $dir.orig.i}; ocmd=${ocmd//@SRC@/$SRC/$f}
  (cd "$BUILD" && eval "$ocmd") > "$dir.orig.log" 2>&1 || die "cannot preprocess $f (log: $dir.orig.log)"
  # kallsyms mode tests a static key reached through a klpe_ pointer at run time (the closure
  # redefines static_branch_*, decide/runtime-static-keys.ts): such closures are compared with
  # the TU read with the same redefinitions, made after jump_label.h, as extract's own check does.
  keys=$(grep -l '^#define static_branch_likely(x) likely(static_key_enabled(x))' "$dir"/*.c 2>/dev/null | head -1 || true)
  keyed=()
  if [[ -n $keys ]]; then
    { echo '#include <linux/jump_label.h>'; sed -n '/^#undef static_branch_likely/,/^#define static_branch_unlikely/p' "$keys"; } > "$dir.keys.h"
    (cd "$BUILD" && eval "${ocmd/-E -o $dir.orig.i/-E -o $dir.orig-keys.i -include $dir.keys.h}") >> "$dir.orig.log" 2>&1 \
      || die "cannot preprocess $f with run-time static keys (log: $dir.orig.log)"
    keyed=(--keys "$dir.orig-keys.i")
  fi
  k=0
  if ((m)); then
    node "$REPO/scripts/testbed/closure-identical.mjs" "${keyed[@]}" "$dir.orig.i" "$f" "$dir"/*.i > "$dir.identical.log"
    k=$(sed -n 's#^identical \([0-9]*\)/.*#\1#p' "$dir.identical.log")
  fi
  echo "$f: compiled $n/$all, identical $k/$all (extract accepted $m functions, refused $failed_extract with a located error)"
  # (pipefail: head closing the pipe early must not end the run)
  for c in "$dir"/*.c; do [[ -f ${c%.c}.ok ]] || echo "  FAILED: $(basename "$c" .c): $(grep -m1 'error' "${c%.c}.log" || true)"; done | head -20 || true
  grep '^  DIFFERS' "$dir.identical.log" 2>/dev/null | head -20 || true
  total=$((total + all)) ok=$((ok + n)) same=$((same + k))
done
echo "compiled $ok/$total, identical $same/$total"
((ok == total && same == total))
