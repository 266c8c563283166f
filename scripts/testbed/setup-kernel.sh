#!/bin/bash
# scripts/testbed/setup-kernel.sh — fetch and unpack the Debian kernel under test.
#
# apt-get downloads linux-image-$KREL, linux-headers-$KREL,
# linux-headers-$KABI-common, $KBUILD_PKG (linux-kbuild-6.1, linux-kbuild-6.12.118+deb12)
# and linux-source-$KSERIES (KLP_KERNEL picks them, see common.sh),
# all =$DEB_VERSION (kbuild: the newest revision of its upstream version, else the newest), into $TESTBED/debs; unpacks them with dpkg-deb -x into
# $TESTBED/root (nothing is installed system-wide), untars the source and runs
# depmod -b. Idempotent (stamp files). Fresh: ~225 MB, 30-40 s; after: <1 s.
source "$(dirname "$0")/common.sh"

ensure_pkgs "${PKGS_SETUP[@]}"
mkdir -p "$DEBS" "$KROOT/.stamps"
PKGS=("linux-image-$KREL" "linux-headers-$KREL" "linux-headers-$KABI-common"
      "$KBUILD_PKG" "linux-source-$KSERIES")

# 6.1: Debian keeps one linux-kbuild-6.1 per suite (its name carries no ABI), so a
# newer upload replaces it while the ABI-named packages of $DEB_VERSION stay: take
# that package at the newest Debian revision of the same upstream version (the
# headers package only asks for linux-kbuild >= its own version), and when the archive
# has none of that version any more, the newest one: its host tools (fixdep, modpost)
# build the same module from older headers (checked: 6.1.192-3's with 6.1.176-1's
# headers, same sections and modinfo).
version_of() {  # the version of package $1 to download
  [[ $1 == linux-kbuild-$KSERIES ]] || { echo "$DEB_VERSION"; return; }
  local all v
  all=$(apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -V) || true
  v=$(grep -E "^${DEB_VERSION%-*}-" <<<"$all" | tail -n1) || true
  [[ -n $v ]] || { v=$(tail -n1 <<<"$all"); [[ -z $v ]] || log "no $1 ${DEB_VERSION%-*}-* in the archive: taking $v"; }
  echo "${v:-$DEB_VERSION}"
}

deb_path() {  # the .deb of package $1 (for kbuild: whichever one was downloaded), if downloaded
  local f pat="${DEB_VERSION}"
  [[ $1 == linux-kbuild-$KSERIES ]] && pat="*"
  for f in "$DEBS/$1_"${pat}_*.deb; do [[ -f $f ]] && { echo "$f"; return 0; }; done
  return 1
}

missing=()
for p in "${PKGS[@]}"; do deb_path "$p" >/dev/null || missing+=("$p"); done
if ((${#missing[@]})); then
  known() { apt-cache madison "$1" 2>/dev/null | grep -qF " $2 "; }  # known PKG VERSION
  wanted=()
  for p in "${missing[@]}"; do wanted+=("$p=$(version_of "$p")"); done
  for w in "${wanted[@]}"; do
    known "${w%%=*}" "${w#*=}" && continue
    log "apt-get update"; { if ((EUID == 0)); then apt-get update -qq; else sudo apt-get update -qq; fi; } || die "apt-get update failed"
    wanted=(); for p in "${missing[@]}"; do wanted+=("$p=$(version_of "$p")"); done
    break
  done
  log "downloading ${wanted[*]}"
  # As root, apt-get download drops privileges to _apt, which must write here.
  chmod a+rwx "$DEBS" 2>/dev/null || true
  (cd "$DEBS" && apt-get download -q "${wanted[@]}") \
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
