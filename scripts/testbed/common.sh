# scripts/testbed/common.sh — shared settings for the real-kernel test bed
# (sourced by the other scripts, never run). Takes no time.
#
# The test bed is a Debian kernel unpacked (never installed) under $TESTBED.
# KLP_KERNEL picks the family: 6.1 (default) is bookworm's 6.1.192-2 (ABI
# 6.1.0-56-amd64, ~/.cache/klp-testbed); 6.12 is bookworm-security's
# 6.12.118-1~deb12u1 (6.12.118+deb12-amd64, CONFIG_X86_KERNEL_IBT=y,
# ~/.cache/klp-testbed-6.12.118). Every setting below can be overridden
# from the environment. Two runs must not share one $TESTBED.
set -euo pipefail

KLP_KERNEL=${KLP_KERNEL:-6.1}
case $KLP_KERNEL in
  6.1)
    KABI=${KABI:-6.1.0-56}
    DEB_VERSION=${DEB_VERSION:-6.1.192-2}     # pins the packages to one upload (kbuild: see setup-kernel.sh)
    KSERIES=${KSERIES:-6.1}                   # linux-source-6.1
    KBUILD_PKG=${KBUILD_PKG:-linux-kbuild-$KSERIES}  # no ABI in its name: the archive keeps the newest
    TESTBED_DEFAULT=$HOME/.cache/klp-testbed ;;
  6.12)
    # From 6.12 on Debian names packages by upstream version: the ABI is "6.12.118+deb12",
    # and linux-kbuild carries it too (so every upload's kbuild stays in the archive).
    DEB_VERSION=${DEB_VERSION:-6.12.118-1~deb12u1}
    KABI=${KABI:-$(v=${DEB_VERSION%%-*}; echo "$v+deb12")}
    KSERIES=${KSERIES:-6.12}
    KBUILD_PKG=${KBUILD_PKG:-linux-kbuild-$KABI}
    TESTBED_DEFAULT=$HOME/.cache/klp-testbed-${DEB_VERSION%%-*} ;;
  *) printf 'KLP_KERNEL must be 6.1 or 6.12, not %s\n' "$KLP_KERNEL" >&2; exit 1 ;;
esac
FLAVOUR=${FLAVOUR:-amd64}
KREL=${KREL:-$KABI-$FLAVOUR}              # uname -r of the kernel under test

# Big things live here, never in the repository.
TESTBED=${KLP_TESTBED:-$TESTBED_DEFAULT}
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
# The compiler Debian built this kernel with, by the name its .config records
# (CONFIG_CC_VERSION_TEXT: 6.1 says gcc-12, 6.12 x86_64-linux-gnu-gcc-12).
KCC=${KCC:-$([[ $KLP_KERNEL == 6.1 ]] && echo gcc-12 || echo x86_64-linux-gnu-gcc-12)}
# Kernel arguments of every boot besides boot-test.sh's own. 6.12 under a busy host's TCG
# (init after 98 s once) reports RCU stalls, a splat that is the host's, not the livepatch's.
KBOOT_ARGS=${KBOOT_ARGS:-$([[ $KLP_KERNEL == 6.1 ]] || echo rcupdate.rcu_cpu_stall_suppress=1)}
# 6.12: Debian built without rustc; one on PATH would change CONFIG_RUSTC_VERSION.
KMAKE_ARGS=(); [[ $KLP_KERNEL == 6.1 ]] || KMAKE_ARGS=(RUSTC=/bin/false)

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
