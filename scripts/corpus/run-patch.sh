#!/bin/bash
# scripts/corpus/run-patch.sh ID — try one corpus patch ($PATCHES/patches/ID.patch) end to end.
#
# 1. prepare-build.sh compiles the TU as Debian did (+ IPA clone dump);
# 2. the patched file is compiled with the TU's own command: a patch that does not
#    compile in tree (a per-file split can lose the header half of a commit) is dropped;
# 3. per mode (kallsyms, klp-reloc): `klp-ccp extract`, build-module.sh (which runs
#    `klp-ccp fixup` in klp-reloc mode), and boot-test.sh. The boot waits for the
#    livepatch's transition and checks enabled=1; then, for each object of report.json
#    that is a module, insmods that module (after the livepatch) and checks
#    /sys/kernel/livepatch/NAME/OBJ/patched=1: the kernel applied the patch to it.
# Writes $RUN/results/ID.tsv: one line per mode,
#   id  path  mode  outcome  detail
# outcome: dropped | no-change (whitespace/comments, KLP-E011) | refused | error |
#          not-building | built | loaded | not-loaded
# (detail: the KLP codes of a refusal, the first error line otherwise).
# Logs and outputs: $RUN/<mode>/ID{,.logs}. Env: RUN (default $CORPUS_DIR/work),
# CORPUS_MODES (default "kallsyms klp-reloc"), KLP_EXTRACT_TIMEOUT (s, default 300),
# CORPUS_BOOT=0 (build only). The boot has the crypto modules and a modprobe
# (boot-test.sh's MODPROBE_CRYPTO=1): rxrpc, which kafs needs, asks for pcbc(fcrypt) at init.
source "$(dirname "$0")/settings.sh"
(($# == 1)) || die "usage: $0 ID"
ID=$1
RUN=${RUN:-$CORPUS_DIR/work}
path=$(awk -F'\t' -v id="$ID" '$1 == id {print $2}' "$PATCHES/patches.tsv")
[[ -n $path ]] || die "$ID is not in $PATCHES/patches.tsv"
patch_file=$PATCHES/patches/$ID.patch
read -ra MODES <<<"${CORPUS_MODES:-kallsyms klp-reloc}"
SYMBOLS=$("$TB_DIR/kallsyms.sh")
mkdir -p "$RUN/results" "$RUN/patched"
results=$RUN/results/$ID.tsv
: > "$results.tmp"
result() { printf '%s\t%s\t%s\t%s\t%s\n' "$ID" "$path" "$1" "$2" "${3//$'\t'/ }" >> "$results.tmp"; }
finish() { mv "$results.tmp" "$results"; cat "$results"; exit 0; }
all_modes() { local m; for m in "${MODES[@]}"; do result "$m" "$1" "$2"; done; finish; }

# --- 1-2: the TU, and the patched file compiled in tree ------------------------------
plog=$RUN/patched/$ID.log
"$TB_DIR/prepare-build.sh" "$path" > "$plog" 2>&1 || all_modes error "prepare-build.sh failed (log: $plog)"
obj=${path%.c}.o
cmdfile=$BUILD/$(dirname "$obj")/.$(basename "$obj").cmd
[[ -f $cmdfile ]] || all_modes error "no $cmdfile after prepare-build.sh"
patched=$RUN/patched/$ID/$(basename "$path")    # its own name, for the compiler's messages
mkdir -p "$RUN/patched/$ID"
patch -s -o "$patched" "$SRC/$path" < "$patch_file" >> "$plog" 2>&1 || all_modes error "the patch does not apply (log: $plog)"
# kbuild's command, compiling the patched copy: its own quoted includes are searched in
# the original's directory first (-iquote), as they would be in tree.
cmd=$(sed -n '1{s/^[a-z]*cmd_[^ ]* := //;s/ *; .*$//;p;q}' "$cmdfile" \
      | sed -e 's/-Wp,-MMD,[^ ]* //' -e "s# -c -o $obj # -iquote $SRC/$(dirname "$path") -c -o $RUN/patched/$ID.o #" \
            -e "s#$SRC/$path\$#$patched#")
[[ $cmd == *"$patched" ]] || all_modes error "cannot rewrite the compile command of $path"
(cd "$BUILD" && eval "$cmd") >> "$plog" 2>&1 \
  || all_modes dropped "the patched file does not compile in tree: $(grep -m1 'error:' "$plog" | sed "s#^$RUN/patched/$ID/##")"
rm -f "$RUN/patched/$ID.o"

first_line() { grep -m1 -nE "$1" "$2" | cut -d: -f1 || true; }   # first_line REGEX FILE: its line number

# --- 3: per mode ----------------------------------------------------------------------
name=lp_${ID//[^a-zA-Z0-9_]/_}
name=${name:0:55}                      # MODULE_NAME_LEN is 56
for mode in "${MODES[@]}"; do
  out=$RUN/$mode/$ID logs=$RUN/$mode/$ID.logs
  rm -rf "$out" "$logs" && mkdir -p "$logs"
  set +e
  timeout "${KLP_EXTRACT_TIMEOUT:-300}" node "$CORPUS_REPO/bin/klp-ccp" extract --patch "$patch_file" \
    --src "$SRC" --build "$BUILD" --symbols "$SYMBOLS" --symvers "$SYMVERS" --ipa-clones "$BUILD" \
    --modules "$MODDIR" --externalize "$mode" --name "$name" --out "$out" --cache-dir "$RUN/cache" \
    > "$logs/extract.out" 2> "$logs/extract.err"
  rc=$?
  set -e
  if ((rc == 1)); then
    codes=$(grep -o 'error KLP-E[0-9]*' "$logs/extract.err" | awk '{print $2}' | LC_ALL=C sort -u | paste -sd, -) || true
    result "$mode" refused "${codes:-no code}"; continue
  elif ((rc == 2)) && grep -q 'error KLP-E011' "$logs/extract.err"; then
    result "$mode" no-change "KLP-E011: comments or whitespace only"; continue
  elif ((rc != 0)); then
    why="exit $rc"; ((rc == 124)) && why="timed out after ${KLP_EXTRACT_TIMEOUT:-300} s"
    result "$mode" error "extract $why: $(grep -m1 . "$logs/extract.err")"; continue
  fi
  if ! KLP_EXTERNALIZE=$mode "$TB_DIR/build-module.sh" "$out" > "$logs/build.log" 2>&1; then
    # the first compiler/modpost complaint (not the allowed .klp.sym warnings, not our own ERROR line)
    why=$(grep -E 'error|warning:' "$logs/build.log" | grep -vE '\.klp\.sym\.|^\[[0-9:]*\] |suppressed [0-9]+ unresolved' \
          | head -1 | sed "s#^$out/##") || true
    result "$mode" not-building "${why:-see $logs/build.log}"; continue
  fi
  [[ ${CORPUS_BOOT:-1} == 1 ]] || { result "$mode" built ""; continue; }
  # The objects the livepatch patches; a module is loaded after it, then checked.
  mapfile -t objs < <(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const o of [...new Set(r.patched.map((p) => p.object))].sort()) console.log(o);' "$out/report.json")
  checks=() extra=()
  for o in "${objs[@]}"; do
    patched_check="p=\$(cat /sys/kernel/livepatch/$name/$o/patched); echo \"$o patched=\$p\"; [ \"\$p\" = 1 ]"
    if [[ $o != vmlinux ]]; then
      extra+=("$o")
      # A driver whose own init finds no hardware under TCG fails to load, and is still
      # proof when the kernel applied the livepatch to it as it loaded (its lookups done: a
      # failed one is our pr_err and refuses the load) and then reverted it as the module
      # went: the module's first two livepatch lines. (busybox's insmod tries twice: the
      # second try's error is the one it prints; in klp-reloc mode 6.1 refuses that reload.)
      checks+=("m=\$(ls /modules/extra/ | grep -x '${o//_/[-_]}\\.ko'); if insmod /modules/extra/\$m 2> /tmp/insmod.err; then $patched_check; else cat /tmp/insmod.err; first=\$(dmesg | grep \"livepatch: .* module '$o'\" | head -2 | sed 's/^.*livepatch: //' | tr '\\n' '|'); if [ \"\$first\" = \"applying patch '$name' to loading module '$o'|reverting patch '$name' on unloading module '$o'|\" ] && ! dmesg | grep -qE '$name: (cannot|refusing)'; then echo \"TESTBED-CORPUS: $o: patched as it loaded, then its own init failed (\$(sed 's/^.*: //' /tmp/insmod.err))\"; exit 0; fi; echo 'target module $o did not load'; exit 2; fi")
    else checks+=("$patched_check"); fi
  done
  console=$logs/boot/console.log
  if MODPROBE_CRYPTO=1 EXTRA_MODULES="${extra[*]}" WORK="$logs/boot" "$TB_DIR/boot-test.sh" "$out/$name.ko" "${checks[@]}" \
       > "$logs/boot.log" 2>&1; then
    noinit=$(sed -n 's/^TESTBED-CORPUS: //p' "$console" | paste -sd';' -) || true
    result "$mode" loaded "${objs[*]}${noinit:+ ($noinit)}"
  elif splat=$(first_line 'WARNING: CPU:|BUG:|Oops|Call Trace:' "$console"); lp=$(first_line "TESTBED: insmod $name.ko" "$console")
       grep -q 'TESTBED: RESULT: PASS' "$console" && ((${splat:-0} > 0 && ${splat:-0} < ${lp:-0})); then
    # Every check passed; the only splat came before the livepatch was loaded, from a module
    # it depends on (ecdh_generic's self-test fails under TCG): not the livepatch's doing.
    result "$mode" loaded "${objs[*]} (a splat before the livepatch loaded: $(grep -m1 -E 'WARNING: CPU:|BUG:|Oops' "$console" | sed 's/^\[[ 0-9.]*\] //'))"
  else
    why=$(grep -m1 -E 'Unknown symbol|TESTBED: insmod [^ ]*: FAILED|: enabled=[^1]|: transition=[^0]|patched=[^1]|did not load|BUG:|Oops|WARNING: CPU|timed out' \
          "$logs/boot/console.log" "$logs/boot.log" 2>/dev/null | sed 's/^[^:]*://' | head -1) || true
    result "$mode" not-loaded "${why:-see $logs/boot.log}"
  fi
done
finish
