#!/bin/bash
# scripts/testbed/env.sh — print `export` lines for running klp-ccp by hand
# against the test bed:   eval "$(scripts/testbed/env.sh)"
# then e.g.  scripts/testbed/prepare-build.sh fs/proc/cmdline.c
#            node bin/klp-ccp extract --patch fix.patch --src "$SRC" --build "$BUILD" \
#              --symbols "$SYMBOLS" --symvers "$SYMVERS" --out /tmp/lp
# Prints only (no download, no boot): run setup-kernel.sh and kallsyms.sh first.
# KLP_KERNEL=6.12 scripts/testbed/env.sh: the 6.12 test bed (exported, so the scripts follow).
source "$(dirname "$0")/common.sh"
for v in KLP_KERNEL=$KLP_KERNEL KLP_TESTBED=$TESTBED SRC=$SRC BUILD=$BUILD SYMBOLS=$KALLSYMS SYMVERS=$SYMVERS \
         HDRS=$HDRS HDRS_COMMON=$HDRS_COMMON VMLINUZ=$VMLINUZ MODDIR=$MODDIR; do
  printf 'export %s=%q\n' "${v%%=*}" "${v#*=}"
done
