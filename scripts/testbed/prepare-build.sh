#!/bin/bash
# scripts/testbed/prepare-build.sh FILE.c...
#
# Configure the out-of-tree kbuild dir $BUILD once (make O=: the headers
# package's .config + olddefconfig + make prepare, ~30 s on 2 cores) and
# compile each FILE.c (path relative to $SRC, e.g. fs/proc/cmdline.c) as
# Debian did, with KCFLAGS=-fdump-ipa-clones. That leaves
#   $BUILD/<dir>/.<file>.o.cmd  and  $BUILD/<dir>/<file>.c.000i.ipa-clones
# A TU is recompiled only if its .o is older than the source, or the dump is
# missing (3-10 s per TU); otherwise this takes well under a second.
source "$(dirname "$0")/common.sh"
(($#)) || die "usage: $0 path/to/file.c..."

ensure_pkgs "${PKGS_BUILD[@]}"
[[ -f $SRC/Makefile && -f $HDRS/.config ]] || "$TB_DIR/setup-kernel.sh"
KMAKE=(make -C "$SRC" O="$BUILD" CC="$KCC" HOSTCC="$KCC" KERNELRELEASE="$KREL"
       KBUILD_BUILD_USER=debian-kernel KBUILD_BUILD_HOST=klp-testbed "${KMAKE_ARGS[@]}")
mkdir -p "$BUILD"

# --- configure once --------------------------------------------------------
if [[ ! -f $BUILD/.config ]] || ! cmp -s "$HDRS/.config" "$BUILD/.config.debian"; then
  log "configuring $BUILD from $HDRS/.config"
  rm -f "$BUILD/.prepared"
  cp "$HDRS/.config" "$BUILD/.config"
  "${KMAKE[@]}" -s olddefconfig
  cp "$HDRS/.config" "$BUILD/.config.debian"
  # Anything but comments that changed means a toolchain mismatch: say so.
  if ! diff <(grep -v '^#' "$HDRS/.config") <(grep -v '^#' "$BUILD/.config") >&2; then
    log "WARNING: olddefconfig changed Debian's .config (gcc-12 / pahole / binutils differ?)"
  fi
fi
if [[ ! -f $BUILD/.prepared ]]; then
  log "make prepare (~20-40 s)"
  "${KMAKE[@]}" -j"$(nproc)" prepare > "$BUILD/prepare.log" 2>&1 \
    || { tail -30 "$BUILD/prepare.log" >&2; die "make prepare failed (log: $BUILD/prepare.log)"; }
  touch "$BUILD/.prepared"
fi

# --- compile the TUs ---------------------------------------------------------
# The TUs themselves: klp-ccp's own `prepare` (compile command + IPA dump per TU;
# idempotent). dist/ must be built (npm run build; the runner does it).
touch "$BUILD/.klp-ccp-prepared"   # `make prepare` ran above
node "$TB_DIR/../../bin/klp-ccp" prepare -q --src "$SRC" --build "$BUILD" --cc "$KCC" \
  --make-arg KERNELRELEASE="$KREL" --make-arg KBUILD_BUILD_USER=debian-kernel \
  --make-arg KBUILD_BUILD_HOST=klp-testbed "${KMAKE_ARGS[@]/#/--make-arg=}" "$@" > "$BUILD/make-tu.log" 2>&1 \
  || { tail -30 "$BUILD/make-tu.log" >&2; die "klp-ccp prepare $* failed"; }
