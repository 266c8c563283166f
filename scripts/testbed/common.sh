# scripts/testbed/common.sh — shared settings for the real-kernel test bed
# (sourced by the other scripts, never run). Takes no time.
#
# The test bed is Debian bookworm's kernel 6.1.192-2 (ABI 6.1.0-56-amd64),
# unpacked (never installed) under $TESTBED. Every setting below can be
# overridden from the environment. Two runs must not share one $TESTBED.
set -euo pipefail

KABI=${KABI:-6.1.0-56}
FLAVOUR=${FLAVOUR:-amd64}
KREL=${KREL:-$KABI-$FLAVOUR}              # uname -r of the kernel under test
DEB_VERSION=${DEB_VERSION:-6.1.192-2}     # pins the packages to one upload (kbuild: see setup-kernel.sh)
KSERIES=${KSERIES:-6.1}                   # linux-source-6.1, linux-kbuild-6.1

# Big things live here, never in the repository.
TESTBED=${KLP_TESTBED:-$HOME/.cache/klp-testbed}
DEBS=${DEBS:-$TESTBED/debs}                               # apt-get download
KROOT=${KROOT:-$TESTBED/root}                             # dpkg-deb -x target
SRC=${SRC:-$KROOT/usr/src/linux-source-$KSERIES}
HDRS=${HDRS:-$KROOT/usr/src/linux-headers-$KREL}
HDRS_COMMON=${HDRS_COMMON:-$KROOT/usr/src/linux-headers-$KABI-common}
VMLINUZ=${VMLINUZ:-$KROOT/boot/vmlinuz-$KREL}
MODDIR=${MODDIR:-$KROOT/lib/modules/$KREL}
BUILD=${BUILD:-$TESTBED/build/linux-$KREL}                # make O= dir
KALLSYMS=${KALLSYMS:-$TESTBED/kallsyms-$KREL.txt}         # /proc/kallsyms, nokaslr
SYMVERS=${SYMVERS:-$HDRS/Module.symvers}
KCC=${KCC:-gcc-12}                        # the compiler Debian built this kernel with

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Debian packages each step needs:
# libc6-dev for host programs; dwarves (pahole) so olddefconfig keeps the BTF
# options; libelf1/libssl3 for linux-kbuild's prebuilt tools (unpacked, not
# installed); busybox-static because the initramfs has no libc.
PKGS_SETUP=(xz-utils kmod)
PKGS_BUILD=(gcc-12 libc6-dev make bc flex bison libelf-dev libelf1 libssl-dev libssl3
            dwarves binutils kmod)
PKGS_BOOT=(qemu-system-x86 busybox-static cpio gzip kmod)

# ensure_pkgs PKG...: apt-get install --no-install-recommends whatever is
# missing; apt-get update only if that first attempt fails. As root directly,
# otherwise through sudo. KLP_NO_INSTALL=1 makes a missing package an error.
ensure_pkgs() {
  local p missing=()
  for p in "$@"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  [[ ${KLP_NO_INSTALL:-0} == 1 ]] && die "missing Debian packages: ${missing[*]}"
  local sudo=() aptlog=$TESTBED/apt.log
  mkdir -p "$TESTBED"
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "missing Debian packages: ${missing[*]} (not root, no sudo)"
    sudo=(sudo)
  fi
  log "apt-get install ${missing[*]}"
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0
             install --no-install-recommends "${missing[@]}")
  if ! "${apt[@]}" > "$aptlog" 2>&1; then
    log "apt-get update"
    "${sudo[@]}" apt-get update -q >> "$aptlog" 2>&1 \
      || { tail -20 "$aptlog" >&2; die "apt-get update failed"; }
    "${apt[@]}" >> "$aptlog" 2>&1 \
      || { tail -20 "$aptlog" >&2; die "apt-get install ${missing[*]} failed"; }
  fi
}
