#!/bin/bash
# scripts/testbed/setup-kernel.sh — fetch and unpack the Debian kernel under test.
#
# apt-get downloads linux-image-$KREL, linux-headers-$KREL,
# linux-headers-$KABI-common, linux-kbuild-$KSERIES and linux-source-$KSERIES,
# all =$DEB_VERSION, into $TESTBED/debs; unpacks them with dpkg-deb -x into
# $TESTBED/root (nothing is installed system-wide), untars the source and runs
# depmod -b. Idempotent (stamp files). Fresh: ~225 MB, 30-40 s; after: <1 s.
source "$(dirname "$0")/common.sh"

ensure_pkgs "${PKGS_SETUP[@]}"
mkdir -p "$DEBS" "$KROOT/.stamps"
PKGS=("linux-image-$KREL" "linux-headers-$KREL" "linux-headers-$KABI-common"
      "linux-kbuild-$KSERIES" "linux-source-$KSERIES")

deb_path() {  # the .deb of package $1 at $DEB_VERSION, if downloaded
  local f
  for f in "$DEBS/$1_${DEB_VERSION}"_*.deb; do [[ -f $f ]] && { echo "$f"; return 0; }; done
  return 1
}

missing=()
for p in "${PKGS[@]}"; do deb_path "$p" >/dev/null || missing+=("$p=$DEB_VERSION"); done
if ((${#missing[@]})); then
  log "downloading ${missing[*]}"
  if ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then
    log "apt-get update"; apt-get update -qq || die "apt-get update failed"
  fi
  # As root, apt-get download drops privileges to _apt, which must write here.
  chmod a+rwx "$DEBS" 2>/dev/null || true
  (cd "$DEBS" && apt-get download -q "${missing[@]}") \
    || die "apt-get download failed: is $DEB_VERSION still in bookworm-security? (set DEB_VERSION/KABI)"
fi

for p in "${PKGS[@]}"; do
  deb=$(deb_path "$p") || die "no .deb for $p"
  stamp=$KROOT/.stamps/$(basename "$deb").unpacked
  [[ -f $stamp ]] && continue
  log "unpacking $(basename "$deb")"
  dpkg-deb -x "$deb" "$KROOT"
  touch "$stamp"
done

if [[ ! -f $SRC/Makefile ]]; then
  tarball=$KROOT/usr/src/linux-source-$KSERIES.tar.xz
  [[ -f $tarball ]] || die "missing $tarball"
  log "untarring $(basename "$tarball") (~20 s)"
  tar -C "$KROOT/usr/src" -xf "$tarball"
fi

# modules.dep is made by the image's postinst, which never ran.
if [[ ! -f $MODDIR/modules.dep ]]; then
  log "depmod -b $KROOT $KREL"
  depmod -b "$KROOT" "$KREL"
fi

for f in "$VMLINUZ" "$HDRS/.config" "$HDRS/Makefile" "$HDRS_COMMON/Makefile" \
         "$SYMVERS" "$SRC/Makefile" "$MODDIR/modules.dep"; do
  [[ -e $f ]] || die "missing after unpack: $f"
done
log "kernel $KREL ($DEB_VERSION) ready under $KROOT"
