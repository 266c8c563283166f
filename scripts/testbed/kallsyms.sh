#!/bin/bash
# scripts/testbed/kallsyms.sh [--force]
#
# Print the path of the kernel's symbol table dump ($KALLSYMS, default
# $TESTBED/kallsyms-$KREL.txt), making it first if it is missing: boot the
# kernel once with no module and nokaslr (boot-test.sh, ~8 s) and save
# /proc/kallsyms as read by root, so the addresses equal System.map's.
# Cached: later calls take no time.
source "$(dirname "$0")/common.sh"
[[ ${1:-} == --force ]] && rm -f "$KALLSYMS"
if [[ ! -s $KALLSYMS ]]; then
  log "dumping /proc/kallsyms of $KREL (one qemu boot)"
  out=$TESTBED/boot-test/kallsyms-out
  WORK=$TESTBED/boot-test OUTDIR=$out "$TB_DIR/boot-test.sh" none \
    'cat /proc/kallsyms > kallsyms.txt' > "$TESTBED/kallsyms-boot.log" 2>&1 \
    || { tail -20 "$TESTBED/kallsyms-boot.log" >&2; die "kallsyms boot failed"; }
  n=$(wc -l < "$out/kallsyms.txt" 2>/dev/null || echo 0)
  ((n > 50000)) || die "only $n lines in $out/kallsyms.txt"
  grep -q ' T cmdline_proc_show$\| t cmdline_proc_show$' "$out/kallsyms.txt" \
    || die "$out/kallsyms.txt has no cmdline_proc_show"
  grep -q '^0000000000000000 .* start_kernel$' "$out/kallsyms.txt" \
    && die "kallsyms addresses are zeroed (kptr_restrict?)"
  cp "$out/kallsyms.txt" "$KALLSYMS.tmp" && mv "$KALLSYMS.tmp" "$KALLSYMS"
  log "$n symbols -> $KALLSYMS"
fi
echo "$KALLSYMS"
