#!/bin/bash
# scripts/corpus/run.sh [--sample] [--resume] [--strict] [--every K [--offset J]] [--limit N] [ID...]   (npm run test:corpus)
#
# The real fixes corpus: the stable fixes between two Debian linux-source-6.1 uploads
# (scripts/corpus/settings.sh: 6.1.176-1 -> 6.1.187-1), one patch per changed .c file the
# config compiles, each tried end to end on a test bed running the older kernel
# (run-patch.sh: compile in tree, extract in both modes, build, fixup, boot and load).
# Prints one line per patch as it finishes, then summary.mjs's per-patch table, the
# refusals with their judgment (scripts/corpus/judgments.tsv) and the summary line.
# Exit 1 when a refusal is not judged, a judgment is stale, or extract failed with
# exit 2/3 (--strict: also a livepatchable patch that does not build and load in both
# modes, refused as a gap included), or when the test bed cannot be set up.
#   --sample   the fixed sample of scripts/corpus/sample.txt, with its own patches
#              ($CORPUS_DIR/NAME-sample, made by make-patches.sh --only: no dry run) and
#              work dir ($CORPUS_DIR/sample-work); CI runs it with --strict
#   --resume   keep the results of patches already tried (a full run takes hours)
#   --every K  every K-th patch (by path, from the first): a spread-out part of the corpus
#   --offset J with --every K: patches J, J+K, J+2K, ... (0-based; default 0): another
#              slice of the same spread, e.g. one the project was not tuned on
#   --limit N  the first N patches (after --every)
#   ID...      these patches (ids of patches.tsv: the path with / as _)
# First run: the test bed (~225 MB, 1 min), the newer source (~140 MB, 40 s) and the
# dry-run make that tells which files the config compiles (~3-9 min, once).
# Env: settings.sh's, KLP_WORKDIR (default $CORPUS_DIR/work: the results, logs and
# cache; two runs at once each need their own), KLP_SKIP_NPM_BUILD=1,
# CORPUS_PATCH_TIMEOUT (s per patch, default 900).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
sample=0 resume=0 strict=() every=1 offset=0 limit=0 ids=()
while (($#)); do
  case $1 in
    --sample) sample=1 ;;
    --resume) resume=1 ;;
    --strict) strict=(--strict) ;;
    --every) every=$2; shift ;;
    --offset) offset=$2; shift ;;
    --limit) limit=$2; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) ids+=("$1") ;;
  esac
  shift
done
[[ $every =~ ^[1-9][0-9]*$ && $offset =~ ^[0-9]+$ ]] && ((offset < every)) \
  || { echo "--every K needs K >= 1 and --offset J 0 <= J < K" >&2; exit 2; }
# The sample has patches and a work dir of its own: it never needs the whole corpus's
# dry run (make-patches.sh --only), and never mixes its results with a full run's.
source "$HERE/settings.sh"
work=work
if ((sample)); then
  export CORPUS_PATCHES=${CORPUS_PATCHES:-$CORPUS_DIR/$CORPUS_NAME-sample} && PATCHES=$CORPUS_PATCHES
  work=sample-work
fi
export RUN=${KLP_WORKDIR:-$CORPUS_DIR/$work}
mkdir -p "$RUN/results"
cd "$CORPUS_REPO"
if [[ ${KLP_SKIP_NPM_BUILD:-0} != 1 ]]; then
  log "npm run build"
  npm run build > "$RUN/npm-build.log" 2>&1 || { tail -15 "$RUN/npm-build.log"; die "npm run build failed"; }
fi
setup_failed() { die "test bed setup failed ($1; KLP_TESTBED=$TESTBED): the corpus was not run"; }
ensure_pkgs "${PKGS_SETUP[@]}" "${PKGS_BUILD[@]}" "${PKGS_BOOT[@]}" || setup_failed "apt-get"
if ((sample)); then "$HERE/make-patches.sh" --only "$HERE/sample.txt" > /dev/null || setup_failed "make-patches.sh --only"
else "$HERE/make-patches.sh" > /dev/null || setup_failed "make-patches.sh"; fi
"$TB_DIR/kallsyms.sh" > /dev/null || setup_failed "kallsyms.sh: the boot that dumps /proc/kallsyms"

list=$RUN/ids.txt
if ((${#ids[@]})); then printf '%s\n' "${ids[@]}"
elif ((sample)); then cut -f1 "$PATCHES/patches.tsv"
else cut -f1 "$PATCHES/patches.tsv"
fi | awk -v k="$every" -v j="$offset" '(NR - 1) % k == j' | { if ((limit)); then head -n "$limit"; else cat; fi; } > "$list"
log "corpus $CORPUS_NAME: $(wc -l < "$list") patches to try (results: $RUN/results)"

while read -r id; do
  if ((resume)) && [[ -s $RUN/results/$id.tsv ]]; then continue; fi
  rm -f "$RUN/results/$id.tsv"
  start=$SECONDS
  timeout -k 10 "${CORPUS_PATCH_TIMEOUT:-900}" "$HERE/run-patch.sh" "$id" > "$RUN/results/$id.out" 2>&1 < /dev/null \
    || log "$id: run-patch.sh failed (log: $RUN/results/$id.out)"
  if [[ -s $RUN/results/$id.tsv ]]; then
    echo "$id ($((SECONDS - start)) s): $(cut -f3,4,5 "$RUN/results/$id.tsv" | sed 's/\t/ /g' | paste -sd';' - | sed 's/;/; /g')"
  else echo "$id ($((SECONDS - start)) s): no result (log: $RUN/results/$id.out)"; fi
done < "$list"

echo
((sample)) || echo "changed files that are not patches ($PATCHES/other-files.tsv):" \
  "$(cut -f1 "$PATCHES/other-files.tsv" | LC_ALL=C sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')"
node "$HERE/summary.mjs" "${strict[@]}" "$CORPUS_NAME" "$RUN/results" "$list" "$HERE/judgments.tsv"
