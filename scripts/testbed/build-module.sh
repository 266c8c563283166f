#!/bin/bash
# scripts/testbed/build-module.sh DIR [make args...]
#
# Build the out-of-tree module in DIR (its Kbuild, or one obj-m per *.c if it
# has none) against Debian's linux-headers, as DKMS would:
#   make -C $HDRS -f $HDRS_COMMON/Makefile M=DIR modules
# (-f because Debian's headers Makefile includes the -common one by its
# absolute /usr/src path). Output goes to DIR/build.log too. Fails if the
# build fails, prints any "warning:", or the vermagic differs from Debian's
# modules. 1-4 s.
# KLP_EXTERNALIZE=klp-reloc: build with KBUILD_MODPOST_WARN=1 (the .klp.sym.*
# symbols are undefined for modpost), allow exactly those modpost warnings,
# then run `node bin/klp-ccp fixup DIR/X.ko` to turn them into KLP relocations
# and check that every undefined symbol left is exported (Module.symvers).
source "$(dirname "$0")/common.sh"
(($#)) || die "usage: $0 DIR [make args...]"
DIR=$(cd "$1" && pwd); shift
MODE=${KLP_EXTERNALIZE:-kallsyms}
REPO=$(cd "$TB_DIR/../.." && pwd)

ensure_pkgs "${PKGS_BUILD[@]}"
[[ -f $HDRS/Makefile && -f $HDRS_COMMON/Makefile ]] || "$TB_DIR/setup-kernel.sh"
if [[ ! -f $DIR/Kbuild && ! -f $DIR/Makefile ]]; then
  shopt -s nullglob; srcs=("$DIR"/*.c); shopt -u nullglob
  ((${#srcs[@]})) || die "$DIR has no Kbuild, Makefile or *.c"
  for c in "${srcs[@]}"; do echo "obj-m += $(basename "${c%.c}").o"; done > "$DIR/Kbuild"
fi

extra=()
case $MODE in
  kallsyms) ;;
  klp-reloc) extra=(KBUILD_MODPOST_WARN=1); rm -f "$DIR"/*.ko ;;
  *) die "KLP_EXTERNALIZE must be kallsyms or klp-reloc, not $MODE" ;;
esac
set +e
make -C "$HDRS" -f "$HDRS_COMMON/Makefile" M="$DIR" CC="$KCC" HOSTCC="$KCC" -j"$(nproc)" \
  "${extra[@]}" "$@" modules 2>&1 | tee "$DIR/build.log"
rc=${PIPESTATUS[0]}
set -e
((rc == 0)) || die "module build failed (exit $rc; log: $DIR/build.log)"
allowed='^$'
# (modpost prints at most 10 of them, then one "suppressed N unresolved symbol warnings" line)
[[ $MODE == klp-reloc ]] && allowed='WARNING: modpost: ("\.klp\.sym\.[^"]*" .* undefined!|suppressed [0-9]+ unresolved symbol warnings because there were too many\))'
if grep -i 'warning:' "$DIR/build.log" | grep -vE "$allowed" >&2; then
  die "the module build printed warnings (log: $DIR/build.log)"
fi

shopt -s nullglob; kos=("$DIR"/*.ko); shopt -u nullglob
((${#kos[@]})) || die "no .ko built in $DIR"
if [[ $MODE == klp-reloc ]]; then
  for ko in "${kos[@]}"; do
    node "$REPO/bin/klp-ccp" fixup "$ko" || die "klp-ccp fixup $ko failed"
    bad=$(nm -u "$ko" | awk '{print $2}' | grep -v '^\.klp\.sym\.' \
          | grep -vxF -f <(awk '{print $2}' "$SYMVERS") || true)
    [[ -z $bad ]] || die "$ko: undefined symbols neither exported nor .klp.sym.*: $bad"
  done
fi

want=$(modinfo -F vermagic "$MODDIR/$(awk -F: '$1 ~ /\/dummy\.ko/ {print $1; exit}' "$MODDIR/modules.dep")")
for ko in "${kos[@]}"; do
  got=$(modinfo -F vermagic "$ko")
  [[ $got == "$want" ]] || die "$ko: vermagic '$got' differs from Debian's '$want'"
done
log "built ${kos[*]}"
