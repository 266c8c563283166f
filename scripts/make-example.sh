#!/bin/bash
# make-example.sh: regenerate examples/meminfo from the real-kernel test bed
# (scripts/testbed; run `npm run test:kernel` or scripts/testbed/setup-kernel.sh and
# scripts/testbed/prepare-build.sh fs/proc/meminfo.c first). Writes only the slices
# the bundled example needs, with this machine's paths made relative. ~5 s.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$here/scripts/testbed/env.sh")"
case_dir=$here/test/kernel-cases/meminfo; [[ -d $case_dir ]] || case_dir=$here/../shared/cases/meminfo
ex=$here/examples/meminfo
rel=fs/proc/meminfo.c
rm -rf "$ex" && mkdir -p "$ex/src/fs/proc" "$ex/build/fs/proc" "$ex/build/include/config"
cp "$case_dir/fix.patch" "$ex/fix.patch"
cp "$SRC/$rel" "$ex/src/$rel"
cp "$SRC/fs/proc/internal.h" "$ex/src/fs/proc/internal.h"
cp "$BUILD/include/config/kernel.release" "$ex/build/include/config/"
# The patched TU, preprocessed the way extract does it (-E -dD -dI).
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/fs/proc" && cp "$SRC/$rel" "$tmp/$rel" && patch -s -p1 -d "$tmp" < "$ex/fix.patch"
cmd=$(sed -n '1{s/^[a-z]*cmd_[^ ]* := //;s/ *; .*$//;p;q}' "$BUILD/fs/proc/.meminfo.o.cmd")
cmd=$(sed -e 's/-Wp,-MMD,[^ ]* //' -e 's/ -fdump-ipa-clones//' -e "s# -c -o fs/proc/meminfo.o # -E -dD -dI -iquote $SRC/fs/proc #" -e "s#$SRC/$rel#$tmp/$rel#" <<<"$cmd")
(cd "$BUILD" && eval "$cmd") > "$tmp/meminfo.i"
sed -e "s#$tmp/##g" -e "s#$SRC/##g" -e "s#$BUILD/##g" "$tmp/meminfo.i" > "$ex/build/fs/proc/meminfo.i"
sed -e "s#$SRC/##g" "$BUILD/$rel.000i.ipa-clones" > "$ex/build/$rel.000i.ipa-clones"
# Symbol slices: every name the TU declares, so duplicates and TU anchors stay real.
grep -oE '\b[A-Za-z_][A-Za-z0-9_]*\b' "$ex/build/fs/proc/meminfo.i" | sort -u > "$tmp/names"
awk 'NR==FNR {n[$1]=1; next} ($3 in n)' "$tmp/names" "$SYMBOLS" > "$ex/kallsyms"
awk -F'\t' 'NR==FNR {n[$1]=1; next} ($2 in n)' "$tmp/names" "$SYMVERS" > "$ex/Module.symvers"
du -sh "$ex"/* | sed "s#$here/##"
