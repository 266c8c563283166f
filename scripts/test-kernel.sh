#!/bin/bash
# scripts/test-kernel.sh [CASE_DIR...]        (npm run test:kernel)
#
# Real-kernel test of klp-ccp on Debian's 6.1.192-2 kernel (6.1.0-56-amd64), or with
# KLP_KERNEL=6.12 on 6.12.118-1~deb12u1 (IBT; its own test bed, see testbed/common.sh).
# For each case (CASE_DIR/{case.json,fix.patch}): compile the touched TUs with
# -fdump-ipa-clones, run `klp-ccp extract`, check report.json against the
# case, build the module against Debian's headers (no "warning:" allowed),
# boot the kernel in qemu (TCG), load the livepatch, wait for the transition,
# check enabled=1 and run the case's effect commands.
# Prints one PASS/FAIL line per case and ends with "N passed, M failed";
# exit 0 only if nothing failed.
# Time (2 cores): ~10-20 s per case on a warm test bed; the first run on a
# fresh machine adds apt installs (~20 s), ~225 MB of kernel packages
# (~40 s), make prepare (~30 s) and one boot for /proc/kallsyms (~8 s).
#
# Cases: CASE_DIR arguments, else $KLP_KERNEL_CASES (dirs separated by spaces
# or colons), else every folder of test/kernel-cases/ and ../shared/cases/
# (if it exists; same id: the shared one wins).
# Env: KLP_EXTERNALIZE="kallsyms klp-reloc" (the modes to run, each passed as
# --externalize; default both), KLP_TESTBED (default ~/.cache/klp-testbed; outputs go to
# $KLP_TESTBED/work/<id> and logs to .../<id>.logs), KLP_SKIP_NPM_BUILD=1,
# KLP_EXTRACT_TIMEOUT (s, default 300), KLP_SKIP_HEADER_CACHE_CHECK=1,
# KLP_SKIP_CLOSURE_COMPILE=1, KLP_WORKDIR (default $KLP_TESTBED/work: runs side by side on one
# test bed each need their own); see scripts/testbed/common.sh.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
# Case folders given relative to where the script was started.
args=(); for a in "$@"; do [[ $a == /* ]] && args+=("$a") || args+=("$PWD/$a"); done
set -- ${args[@]+"${args[@]}"}
cd "$REPO"
source scripts/testbed/common.sh
TB=$REPO/scripts/testbed
export KLP_TESTBED=$TESTBED
read -ra MODES <<<"${KLP_EXTERNALIZE:-kallsyms klp-reloc}"
WORKDIR=${KLP_WORKDIR:-$TESTBED/work}   # one per concurrent run: outputs, logs, extract's cache
mkdir -p "$WORKDIR"
# extract's cache (--cache-dir) is the test bed's own: a case's first mode keeps the TU's headers
# and its second mode takes them (kbuild/header-cache.ts), so both paths get built and booted.

# --- which cases -----------------------------------------------------------
# A case's expectations for this kernel family: case.json, then its "kernels": {"6.12": {...}}
# entry, then test/kernel-cases/kernels-$KLP_KERNEL.json's entry for its id (for cases kept
# elsewhere, ../shared/cases), each key replacing the one before. A "patch" key there names
# this kernel's version of the fix (when fix.patch does not apply to it).
case_for_kernel() {  # case_for_kernel CASE_DIR OUT.json
  node -e 'const fs = require("fs"); const [dir, out, kernel, extra] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(dir + "/case.json", "utf8"));
    const id = c.id ?? require("path").basename(dir);
    const more = fs.existsSync(extra) ? JSON.parse(fs.readFileSync(extra, "utf8"))[id] : undefined;
    // "patch": a version of the fix for this kernel, relative to the file that names it.
    const own = c.kernels?.[kernel] ?? {};
    const at = (base, o) => (o.patch ? { patch: require("path").resolve(base, o.patch) } : {});
    const merged = { ...c, ...own, ...at(dir, own), ...(more ?? {}), ...at(require("path").dirname(extra), more ?? {}) };
    fs.writeFileSync(out, JSON.stringify(merged, null, 1));' "$1" "$2" "$KLP_KERNEL" "$REPO/test/kernel-cases/kernels-$KLP_KERNEL.json"
}
jlist() {  # jlist CASE.json KEY: the value (a list, a string or null) as NUL-terminated items
  node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const v = c[process.argv[2]];
    for (const x of v == null ? [] : Array.isArray(v) ? v : [v]) process.stdout.write(String(x) + "\0");' "$1" "$2"
}
case_id() { local id; id=$(jlist "$1/case.json" id | tr -d '\0') || return 1; echo "${id:-$(basename "$1")}"; }
if (($#)); then dirs=("$@")
elif [[ -n ${KLP_KERNEL_CASES:-} ]]; then read -ra dirs <<<"${KLP_KERNEL_CASES//:/ }"
else
  dirs=("$REPO"/test/kernel-cases/*/)
  [[ -d $REPO/../shared/cases ]] && dirs+=("$REPO"/../shared/cases/*/)
fi
declare -A BYID=()
for d in "${dirs[@]}"; do
  d=${d%/}
  [[ -f $d/case.json && -f $d/fix.patch ]] || { log "skipping $d: no case.json + fix.patch"; continue; }
  id=$(case_id "$d") || die "$d/case.json: not valid JSON"
  BYID[$id]=$(cd "$d" && pwd)     # later dirs win: the shared cases come last
done
mapfile -t IDS < <(printf '%s\n' "${!BYID[@]}" | grep . | LC_ALL=C sort)
((${#IDS[@]})) || die "no cases found"
for id in "${IDS[@]}"; do log "case $id: ${BYID[$id]}"; done

PASS=0 FAIL=0
report_case() {  # report_case PASS|FAIL ID SECONDS [REASON [DETAILS]]
  if [[ $1 == PASS ]]; then PASS=$((PASS+1)); echo "PASS $2 (${3}s)"
  else FAIL=$((FAIL+1)); echo "FAIL $2 (${3}s): $4"; [[ -z ${5:-} ]] || sed 's/^/    /' <<<"$5"; fi
}
fail_all() {  # the test bed itself is broken: every case fails with REASON
  local id; for id in "${IDS[@]}"; do report_case FAIL "$id" 0 "$1" "${2:-}"; done
  echo "$PASS passed, $FAIL failed"; exit 1
}

# --- once: dist/, kernel, symbols --------------------------------------------
if [[ ${KLP_SKIP_NPM_BUILD:-0} != 1 ]]; then
  log "npm run build"
  npm run build > "$WORKDIR/npm-build.log" 2>&1 \
    || fail_all "npm run build failed (log: $WORKDIR/npm-build.log)" "$(tail -15 "$WORKDIR/npm-build.log")"
fi
log "setting up the test bed in $TESTBED"
SETUPLOG=$WORKDIR/setup.log
( ensure_pkgs "${PKGS_SETUP[@]}" "${PKGS_BUILD[@]}" "${PKGS_BOOT[@]}" && "$TB/setup-kernel.sh" ) \
  > "$SETUPLOG" 2>&1 || fail_all "test bed setup failed (log: $SETUPLOG)" "$(tail -15 "$SETUPLOG")"
SYMBOLS=$("$TB/kallsyms.sh" 2>>"$SETUPLOG") \
  || fail_all "kallsyms dump failed (log: $SETUPLOG)" "$(tail -15 "$SETUPLOG")"

# --- per case ----------------------------------------------------------------
run_case() {  # run_case ID DIR; sets REASON and DETAILS on failure, returns 1
  local id=$1 dir=$2 name=livepatch_${1//[^A-Za-z0-9_]/_} out=$WORKDIR/$KLP_EXTERNALIZE/$1 logs=$WORKDIR/$KLP_EXTERNALIZE/$1.logs
  local files=() effect=() needs=() preload=() rc problems
  rm -rf "$out" "$logs"; mkdir -p "$logs"
  local cj=$logs/case.json
  case_for_kernel "$dir" "$cj" || { REASON="$dir/case.json: not valid JSON"; return 1; }
  local patch; patch=$(jlist "$cj" patch | tr -d '\0'); patch=${patch:-$dir/fix.patch}
  mapfile -d '' files < <(jlist "$cj" files)
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep '\.c$' || true)
  ((${#files[@]})) || mapfile -t files < <(sed -n 's|^+++ b/\(.*\.c\)\([[:space:]].*\)\{0,1\}$|\1|p' "$patch")
  mapfile -d '' effect < <(jlist "$cj" effect)
  # "effect_<mode>": more commands for one externalization mode only.
  mapfile -d '' -O "${#effect[@]}" effect < <(jlist "$cj" "effect_$KLP_EXTERNALIZE")
  mapfile -d '' needs < <(jlist "$cj" needs_modules)
  mapfile -d '' preload < <(jlist "$cj" preload_modules)

  log "$id: compiling ${files[*]}"
  "$TB/prepare-build.sh" "${files[@]}" > "$logs/prepare.log" 2>&1 \
    || { REASON="prepare-build.sh failed"; DETAILS=$(tail -10 "$logs/prepare.log"); return 1; }

  log "$id: klp-ccp extract"
  set +e
  timeout "${KLP_EXTRACT_TIMEOUT:-300}" node "$REPO/bin/klp-ccp" extract --patch "$patch" \
    --src "$SRC" --build "$BUILD" --symbols "$SYMBOLS" --symvers "$SYMVERS" --ipa-clones "$BUILD" --modules "$MODDIR" \
    --externalize "$KLP_EXTERNALIZE" --name "$name" --out "$out" --cache-dir "$WORKDIR/cache" > "$logs/extract.out" 2> "$logs/extract.err"
  rc=$?
  set -e
  ((rc != 124)) || { REASON="extract timed out after ${KLP_EXTRACT_TIMEOUT:-300} s"; return 1; }
  # A case may expect a refusal in one mode ("expect_refusal_kallsyms": "KLP-E017").
  local refusal
  refusal=$(jlist "$cj" "expect_refusal_$KLP_EXTERNALIZE" | tr -d '\0')
  if [[ -n $refusal ]]; then
    ((rc == 1)) && grep -q "error $refusal" "$logs/extract.err" && { SKIPPED_WHY="refused with $refusal, as expected"; return 0; }
    REASON="expected extract to refuse with $refusal (exit 1), got exit $rc"; DETAILS=$(head -20 "$logs/extract.err"); return 1
  fi
  ((rc == 0)) || { REASON="extract exited $rc"; DETAILS=$(head -40 "$logs/extract.err"); return 1; }

  problems=$(KLP_EXTERNALIZE=$KLP_EXTERNALIZE node "$TB/check-report.mjs" "$out/report.json" "$cj") || true
  # Every symbol of the report must be explainable (klp-ccp explain --all).
  node "$REPO/bin/klp-ccp" explain --all --report "$out/report.json" > "$logs/explain.out" 2>&1 \
    || problems+="${problems:+$'\n'}explain --all failed: $(tail -1 "$logs/explain.out")"

  log "$id: building $name.ko"
  "$TB/build-module.sh" "$out" > "$logs/build.log" 2>&1 \
    || { REASON="module build failed${problems:+; report: ${problems//$'\n'/; }}"
         DETAILS=$(grep -iE 'warning:|error' "$logs/build.log" | head -20); return 1; }
  [[ -f $out/$name.ko ]] || { REASON="no $name.ko built"; return 1; }
  # "module_check" ("module_check_<mode>"): shell commands run here on the built module ($KO,
  # $OUT, $TB), for what a boot under TCG cannot show (IBT: which calls are direct).
  local check checks=()
  mapfile -d '' checks < <(jlist "$cj" module_check)
  mapfile -d '' -O "${#checks[@]}" checks < <(jlist "$cj" "module_check_$KLP_EXTERNALIZE")
  for check in "${checks[@]}"; do
    KO=$out/$name.ko OUT=$out TB=$TB bash -c "$check" >> "$logs/module-check.log" 2>&1 \
      || { REASON="module check failed: $check"; DETAILS=$(tail -10 "$logs/module-check.log"); return 1; }
  done

  log "$id: booting with $name.ko${needs[*]:+ (extra modules: ${needs[*]})}"
  if ! EXTRA_MODULES="${needs[*]}" PRELOAD_MODULES="${preload[*]}" WORK="$logs/boot" "$TB/boot-test.sh" "$out/$name.ko" "${effect[@]}" \
       > "$logs/boot.log" 2>&1; then
    REASON="boot test failed${problems:+; report: ${problems//$'\n'/; }}"
    DETAILS=$(grep -E '^TESTBED: (insmod|livepatch|command)|ERROR:|WARNING: CPU|BUG:|Oops' "$logs/boot.log" \
              | grep -vE 'insmod [^ ]*: ok|exit status 0$' | head -20)
    DETAILS+=$'\n'"console: $logs/boot/console.log"
    return 1
  fi
  [[ -z $problems ]] || { REASON="report.json: ${problems//$'\n'/; }"; return 1; }
}

# Both modes of a case one after the other: the second takes the headers the first kept.
for id in "${IDS[@]}"; do
  for KLP_EXTERNALIZE in "${MODES[@]}"; do
    export KLP_EXTERNALIZE
    mkdir -p "$WORKDIR/$KLP_EXTERNALIZE"
    start=$SECONDS REASON= DETAILS= SKIPPED_WHY=
    if run_case "$id" "${BYID[$id]}"; then report_case PASS "$id [$KLP_EXTERNALIZE]${SKIPPED_WHY:+: $SKIPPED_WHY}" $((SECONDS - start))
    else report_case FAIL "$id [$KLP_EXTERNALIZE]" $((SECONDS - start)) "$REASON" "$DETAILS"; fi
  done
done
# A livepatch whose symbol lookup fails must refuse to load, cleanly (no oops):
# the cmdline case's kallsyms-mode module, asking for a symbol that does not exist.
missing_symbol_check() {
  local src=$WORKDIR/kallsyms/cmdline out=$WORKDIR/missing-symbol logs=$WORKDIR/missing-symbol.logs
  [[ -f $src/livepatch_cmdline.c ]] || { REASON="needs the cmdline case in kallsyms mode first"; return 1; }
  rm -rf "$out" "$logs" && mkdir -p "$out" "$logs"
  sed 's/{ "saved_command_line",/{ "klp_ccp_no_such_symbol",/' "$src/livepatch_cmdline.c" > "$out/livepatch_cmdline.c"
  cp "$src/Kbuild" "$out/"
  grep -q klp_ccp_no_such_symbol "$out/livepatch_cmdline.c" || { REASON="could not plant the missing symbol"; return 1; }
  "$TB/build-module.sh" "$out" > "$logs/build.log" 2>&1 || { REASON="module build failed"; return 1; }
  WORK="$logs/boot" "$TB/boot-test.sh" "$out/livepatch_cmdline.ko" > "$logs/boot.log" 2>&1 || true
  local console=$logs/boot/console.log
  grep -q 'TESTBED: insmod livepatch_cmdline.ko: FAILED' "$console" || { REASON="the module loaded although a symbol is missing"; return 1; }
  grep -q 'cannot resolve symbol klp_ccp_no_such_symbol' "$console" || { REASON="no pr_err naming the missing symbol"; return 1; }
  if grep -qE 'BUG:|Oops|Call Trace|WARNING: CPU' "$console"; then REASON="kernel splat (see $console)"; return 1; fi
}
# (Not on a kernel where kallsyms mode refuses the case, as expected: IBT, KLP-E056.)
if [[ " ${MODES[*]} " == *" kallsyms "* && -n ${BYID[cmdline]:-} && ( $KLP_KERNEL == 6.1 || -f $WORKDIR/kallsyms/cmdline/livepatch_cmdline.c ) ]]; then
  start=$SECONDS REASON= DETAILS=
  if missing_symbol_check; then report_case PASS "missing-symbol init failure [kallsyms]" $((SECONDS - start))
  else report_case FAIL "missing-symbol init failure [kallsyms]" $((SECONDS - start)) "$REASON" ""; fi
fi
# A target module whose symbol lookup fails (kallsyms mode, the livepatch's module notifier)
# must fail to load, cleanly, while the livepatch stays: module-kallsyms-load-after's module,
# asking for a symbol dummy.ko does not have.
missing_module_symbol_check() {
  local src=$WORKDIR/kallsyms/module-kallsyms-load-after name=livepatch_module_kallsyms_load_after
  local out=$WORKDIR/missing-module-symbol logs=$WORKDIR/missing-module-symbol.logs
  [[ -f $src/$name.c ]] || { REASON="needs the module-kallsyms-load-after case in kallsyms mode first"; return 1; }
  rm -rf "$out" "$logs" && mkdir -p "$out" "$logs"
  sed 's/{ "numdummies",/{ "klp_ccp_no_such_symbol",/' "$src/$name.c" > "$out/$name.c"
  cp "$src/Kbuild" "$out/"
  grep -q klp_ccp_no_such_symbol "$out/$name.c" || { REASON="could not plant the missing symbol"; return 1; }
  KLP_EXTERNALIZE=kallsyms "$TB/build-module.sh" "$out" > "$logs/build.log" 2>&1 || { REASON="module build failed"; return 1; }
  EXTRA_MODULES=dummy WORK="$logs/boot" "$TB/boot-test.sh" "$out/$name.ko" \
    'ko=$(find / -xdev -name "dummy.ko*" | head -n1); ! insmod "$ko"' \
    '! grep -q "^dummy " /proc/modules' \
    'dmesg | grep -q "cannot resolve symbol klp_ccp_no_such_symbol,0 of dummy"' \
    'dmesg | grep -q "refusing to let module dummy load"' > "$logs/boot.log" 2>&1 \
    || { REASON="boot test failed (see $logs/boot/console.log)"; return 1; }
}
if [[ " ${MODES[*]} " == *" kallsyms "* && -n ${BYID[module-kallsyms-load-after]:-} && ( $KLP_KERNEL == 6.1 || -f $WORKDIR/kallsyms/module-kallsyms-load-after/livepatch_module_kallsyms_load_after.c ) ]]; then
  start=$SECONDS REASON= DETAILS=
  if missing_module_symbol_check; then report_case PASS "missing module symbol fails that module's load [kallsyms]" $((SECONDS - start))
  else report_case FAIL "missing module symbol fails that module's load [kallsyms]" $((SECONDS - start)) "$REASON" ""; fi
fi
# Each case as the checks below take it: DIR, or DIR@PATCH when this kernel has its own fix.
CHECK_ARGS=()
for id in "${IDS[@]}"; do
  case_for_kernel "${BYID[$id]}" "$WORKDIR/case-$id.json"
  p=$(jlist "$WORKDIR/case-$id.json" patch | tr -d '\0')
  CHECK_ARGS+=("${BYID[$id]}${p:+@$p}")
done
# The header cache must give the .i a full run gives, for every case's TU.
if [[ ${KLP_SKIP_HEADER_CACHE_CHECK:-0} != 1 ]]; then
  start=$SECONDS
  if SRC=$SRC BUILD=$BUILD node "$REPO/scripts/check-header-cache.mjs" "${CHECK_ARGS[@]}" > "$WORKDIR/header-cache-check.log" 2>&1; then
    report_case PASS "header cache: $(grep -c '^ok' "$WORKDIR/header-cache-check.log") TUs preprocessed from kept headers say what a full run says" $((SECONDS - start))
  else
    report_case FAIL "header cache" $((SECONDS - start)) "$(grep -c '^FAIL' "$WORKDIR/header-cache-check.log") cases differ" "$(grep -v '^ok' "$WORKDIR/header-cache-check.log" | head -10)"
  fi
fi
# Source files read back from kept outlines, and patched files parsed against their
# original, must have the items and nodes of a whole-file parse, for every case's fix.
start=$SECONDS
if SRC=$SRC node "$REPO/scripts/check-source-splice.mjs" "${CHECK_ARGS[@]}" > "$WORKDIR/source-splice-check.log" 2>&1; then
  report_case PASS "source outlines: $(grep -c '^ok' "$WORKDIR/source-splice-check.log") fixes parse as whole files do ($(grep -c ' spliced' "$WORKDIR/source-splice-check.log") spliced)" $((SECONDS - start))
else
  report_case FAIL "source outlines" $((SECONDS - start)) "$(grep -c '^FAIL' "$WORKDIR/source-splice-check.log") cases differ" "$(grep -v '^ok' "$WORKDIR/source-splice-check.log" | head -10)"
fi
# --functions on whole kernel TUs: every accepted function's closure must compile
# with the TU's own command and, preprocessed, mean what the TU's functions mean
# (skip with KLP_SKIP_CLOSURE_COMPILE=1).
if [[ ${KLP_SKIP_CLOSURE_COMPILE:-0} != 1 && $# -eq 0 ]]; then
  start=$SECONDS REASON=
  if "$TB/closure-compile.sh" > "$WORKDIR/closure-compile.log" 2>&1; then
    report_case PASS "closure compile: $(tail -1 "$WORKDIR/closure-compile.log")" $((SECONDS - start))
  else
    report_case FAIL "closure compile" $((SECONDS - start)) "$(grep -E '^[a-z].*compiled' "$WORKDIR/closure-compile.log" | tr '\n' ' ')" "$(grep -E 'FAILED|DIFFERS' "$WORKDIR/closure-compile.log" | head -10)"
  fi
fi
echo "$PASS passed, $FAIL failed"
((FAIL == 0))
