#!/bin/bash
# scripts/testbed/boot-test.sh MODULE.ko|none [CMD...]
#
# Boot $VMLINUZ in qemu-system-x86_64 (TCG, no KVM, nokaslr) with a busybox
# initramfs whose /init insmods MODULE.ko's dependencies (with their softdep
# "pre:" modules, found through modules.alias; best effort, as for modprobe) and MODULE.ko, and,
# for a livepatch, waits until /sys/kernel/livepatch/NAME/transition is 0 and
# checks enabled=1; then runs each CMD with sh in /out. Files the CMDs write
# to /out come back to $OUTDIR through a virtio disk. Exit 0 only if all of
# that passed and the console shows no kernel splat (WARNING/BUG/Oops).
# 6-10 s per boot. qemu runs under `timeout $TIMEOUT` and is killed if this
# script dies.
# Env: EXTRA_MODULES="dummy ..." — copied to /modules/extra/ in the initramfs
#   and NOT loaded (their dependencies are loaded before MODULE.ko);
#   PRELOAD_MODULES="dummy ..." — loaded, with their dependencies, before MODULE.ko
#   (a livepatch's target module that is already there when the livepatch loads);
#   WORK (default $TESTBED/boot-test), OUTDIR (default $WORK/out),
#   TIMEOUT (s, default 300), LP_TIMEOUT (s, default 60), MEM (default 1G),
#   APPEND (extra kernel command line);
#   MODPROBE_CRYPTO=1 — the crypto modules (crypto/, arch/x86/crypto/, lib/crypto/ and their
#   dependencies) in /lib/modules with busybox modprobe as the kernel's modprobe: a module whose
#   init asks for an algorithm (rxrpc's "pcbc(fcrypt)") gets it, as on a real system.
source "$(dirname "$0")/common.sh"
(($#)) || die "usage: $0 MODULE.ko|none [command...]"
MODULE=$1; shift
TIMEOUT=${TIMEOUT:-300} LP_TIMEOUT=${LP_TIMEOUT:-60} MEM=${MEM:-1G}
WORK=${WORK:-$TESTBED/boot-test}
OUTDIR=${OUTDIR:-$WORK/out}

ensure_pkgs "${PKGS_BOOT[@]}"
BUSYBOX=${BUSYBOX:-/bin/busybox}
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is dynamically linked (apt-get install busybox-static)"
[[ -f $VMLINUZ && -f $MODDIR/modules.dep ]] || "$TB_DIR/setup-kernel.sh"

IR=$WORK/initramfs
rm -rf "$IR" "$OUTDIR"
mkdir -p "$IR"/{bin,proc,sys,dev,tmp,out,cmds} "$IR/modules/extra" "$IR/modules/out" "$OUTDIR"
cp "$BUSYBOX" "$IR/bin/busybox"

# resolve NAME: append to RESOLVED the modules.dep paths for module NAME,
# dependencies first, each once. Built-in modules need nothing.
declare -A SEEN=() SOFT=()   # SOFT: modules.dep basenames loaded as a soft "pre:" dependency
RESOLVED=()
dep_path() {  # dep_path NAME: NAME's path in modules.dep, if any
  awk -F: -v n="${1//-/_}" '{b=$1; sub(/.*\//,"",b); sub(/\.ko(\.[a-z]+)?$/,"",b);
       gsub(/-/,"_",b); if (b==n) {print $1; exit}}' "$MODDIR/modules.dep"
}
resolve() {
  local name=${1//-/_} path dep soft
  [[ -n ${SEEN[$name]:-} ]] && return 0
  SEEN[$name]=1
  path=$(dep_path "$name")
  if [[ -z $path ]]; then
    grep -qE "/${name//_/[-_]}\.ko" "$MODDIR/modules.builtin" && return 0
    die "module $name is neither in modules.dep nor in modules.builtin"
  fi
  # Soft "pre:" dependencies first (libcrc32c's crc32c, an alias: the last module that
  # provides it, as modprobe would find one), when the tree has them.
  for soft in $(modinfo -F softdep "$MODDIR/$path" | sed -n 's/^pre: *//p' | sed 's/ post:.*//'); do
    local alias_of
    alias_of=$(awk -v a="$soft" '$1 == "alias" && $2 == a {m = $3} END {print m}' "$MODDIR/modules.alias")
    for soft in "$soft" "$alias_of"; do
      [[ -n $soft && -n $(dep_path "$soft") ]] && { resolve "$soft"; SOFT[$(basename "$(dep_path "$soft")")]=1; break; }
    done
  done
  for dep in $(awk -F: -v p="$path" '$1==p {print $2}' "$MODDIR/modules.dep"); do
    resolve "$(basename "${dep%%.ko*}")"
  done
  RESOLVED+=("$path")
}

# copy_module PATH DIR: $MODDIR/PATH into DIR as NAME.ko, unpacked: 6.12's modules are
# .ko.xz, and busybox insmod passes the file to init_module as it is.
copy_module() {
  local name; name=$(basename "$1"); name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
  case $1 in
    *.xz) xz -dc "$MODDIR/$1" > "$2/$name" ;;
    *.zst) zstd -qdc "$MODDIR/$1" > "$2/$name" ;;
    *.gz) gzip -dc "$MODDIR/$1" > "$2/$name" ;;
    *) cp "$MODDIR/$1" "$2/$name" ;;
  esac
  echo "$name"
}

# Modules loaded at boot: EXTRA_MODULES' dependencies, PRELOAD_MODULES, then MODULE's, then MODULE.
LP_NAME= modname=
extra=()
for m in ${EXTRA_MODULES:-}; do
  n=${#RESOLVED[@]}; resolve "$m"
  ((${#RESOLVED[@]} > n)) && unset 'RESOLVED[-1]'   # keep the deps, not the module itself
  SEEN[${m//-/_}]=; extra+=("$m")
done
for m in ${PRELOAD_MODULES:-}; do resolve "$m"; done
if [[ $MODULE != none ]]; then
  [[ -f $MODULE ]] || die "$MODULE: no such file"
  modname=$(modinfo -F name "$MODULE"); [[ -n $modname ]] || modname=$(basename "$MODULE" .ko)
  for d in $(modinfo -F depends "$MODULE" | tr ',' ' '); do resolve "$d"; done
  [[ $(modinfo -F livepatch "$MODULE") == Y ]] && LP_NAME=$modname
fi
: > "$IR/modules/load.list"
for p in "${RESOLVED[@]}"; do
  n=$(copy_module "$p" "$IR/modules"); echo "$n" >> "$IR/modules/load.list"
  [[ -n ${SOFT[$(basename "$p")]:-} ]] && echo "$n" >> "$IR/modules/soft.list"
done
if [[ $MODULE != none ]]; then cp "$MODULE" "$IR/modules/$modname.ko"; echo "$modname.ko" >> "$IR/modules/load.list"; fi
for m in "${extra[@]}"; do    # the target modules themselves: copied, not loaded
  p=$(awk -F: -v n="${m//-/_}" '{b=$1; sub(/.*\//,"",b); sub(/\.ko(\.[a-z]+)?$/,"",b);
      gsub(/-/,"_",b); if (b==n) {print $1; exit}}' "$MODDIR/modules.dep")
  [[ -n $p ]] || die "EXTRA_MODULES: $m is not a loadable module"
  copy_module "$p" "$IR/modules/extra" > /dev/null
done
# virtio disk for copying /out back, loaded only after the commands ran.
SEEN=() RESOLVED=()
resolve virtio_pci; resolve virtio_blk
: > "$IR/modules/out.list"
for p in "${RESOLVED[@]}"; do copy_module "$p" "$IR/modules/out" >> "$IR/modules/out.list"; done

if [[ ${MODPROBE_CRYPTO:-0} == 1 ]]; then
  # modules.dep lists every dependency of a module on its line: the crypto lines and
  # what they name are the whole set; modules.alias keeps the aliases of that set.
  mapfile -t cpaths < <(awk -F': ?' '$1 ~ /^kernel\/(arch\/x86\/)?(lib\/)?crypto\// {print $1; n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i]}' \
    "$MODDIR/modules.dep" | LC_ALL=C sort -u)
  ml=$IR/lib/modules/$KREL
  for p in "${cpaths[@]}"; do mkdir -p "$ml/$(dirname "$p")"; copy_module "$p" "$ml/$(dirname "$p")" > /dev/null; done
  printf '%s\n' "${cpaths[@]}" | sed -E 's/\.ko\.(xz|zst|gz)$/.ko/' > "$WORK/crypto.list"
  sed -E 's/\.ko\.(xz|zst|gz)\b/.ko/g' "$MODDIR/modules.dep" | awk -F': ?' 'NR == FNR {keep[$1] = 1; next} keep[$1]' "$WORK/crypto.list" - > "$ml/modules.dep"
  sed 's#.*/##; s/\.ko$//; s/-/_/g' "$WORK/crypto.list" \
    | awk 'NR == FNR {keep[$1] = 1; next} $1 == "alias" && keep[$3]' - "$MODDIR/modules.alias" > "$ml/modules.alias"
fi

i=0
for c in "$@"; do printf '%s\n' "$c" > "$IR/cmds/$(printf %03d $i).sh"; i=$((i+1)); done

{ echo '#!/bin/busybox sh'; echo "LP_NAME='$LP_NAME' LP_TIMEOUT=$LP_TIMEOUT"; cat <<'INIT'; } > "$IR/init"
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
[ -d /lib/modules ] && echo /bin/modprobe > /proc/sys/kernel/modprobe
ok=1
say() { echo "TESTBED: $*"; }
say "init started at $(cut -d' ' -f1 /proc/uptime) s, kernel $(uname -r)"
for m in $(cat /modules/load.list); do
  # A soft dependency is best effort, as for modprobe (ksmbd's "aes" is padlock-aes too,
  # which finds no VIA PadLock under TCG): its failure fails nothing.
  if insmod /modules/$m; then say "insmod $m: ok"
  elif grep -qx "$m" /modules/soft.list 2>/dev/null; then say "insmod $m: failed (a soft dependency: not required)"
  else say "insmod $m: FAILED"; ok=0; fi
done
if [ -n "$LP_NAME" ] && [ $ok = 1 ]; then
  d=/sys/kernel/livepatch/$LP_NAME t=0
  while [ "$(cat $d/transition 2>/dev/null)" != 0 ] && [ $t -lt $((LP_TIMEOUT*10)) ]; do
    usleep 100000; t=$((t+1))
  done
  say "livepatch $LP_NAME: transition=$(cat $d/transition 2>/dev/null) after $((t*100)) ms"
  say "livepatch $LP_NAME: enabled=$(cat $d/enabled 2>/dev/null)"
  [ "$(cat $d/transition 2>/dev/null)" = 0 ] && [ "$(cat $d/enabled 2>/dev/null)" = 1 ] || ok=0
fi
for c in /cmds/*.sh; do
  [ -f "$c" ] || continue
  say "command: $(cat $c)"
  (cd /out && sh $c); rc=$?
  say "command exit status $rc"
  [ $rc = 0 ] || ok=0
done
[ -n "$LP_NAME" ] && for f in /sys/kernel/livepatch/$LP_NAME/*/patched; do
  [ -f "$f" ] && say "$f=$(cat $f)"; done
if [ -n "$(ls /out)" ]; then
  for m in $(cat /modules/out.list); do insmod /modules/out/$m; done
  t=0; while [ ! -b /dev/vda ] && [ $t -lt 100 ]; do usleep 100000; t=$((t+1)); done
  tar -cf /dev/vda -C /out . && sync || { say "copy-out FAILED"; ok=0; }
fi
if [ $ok = 1 ]; then say "RESULT: PASS"; else say "RESULT: FAIL"; fi
sync; poweroff -f
INIT
chmod +x "$IR/init"
(cd "$IR" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$WORK/initramfs.cpio.gz"
OUTIMG=$WORK/out.img
rm -f "$OUTIMG"; truncate -s 64M "$OUTIMG"

LOG=$WORK/console.log
# no_timer_check: on a busy host, TCG can miss the timer IRQ during the IO-APIC check,
# which then panics ("IO-APIC + timer doesn't work", seen once in ~90 boots); the check
# only guards broken hardware timers.
QEMU=(qemu-system-x86_64 -accel tcg -cpu max -m "$MEM" -smp 1 -nographic -nodefaults
      -no-reboot -serial stdio -monitor none -kernel "$VMLINUZ" -initrd "$WORK/initramfs.cpio.gz"
      -append "console=ttyS0,115200 panic=-1 oops=panic rdinit=/init nokaslr no_timer_check ${KBOOT_ARGS:-} ${APPEND:-}"
      -drive "file=$OUTIMG,format=raw,if=virtio")
log "booting $VMLINUZ (module: $MODULE), console: $LOG"
start=$SECONDS
: > "$LOG"
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" < /dev/null > "$LOG" 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null || true' EXIT
trap 'kill $qpid 2>/dev/null; exit 130' INT TERM
tail -n +1 --pid=$qpid -f "$LOG" &
set +e; wait $qpid; qrc=$?; wait; set -e
trap - EXIT INT TERM
log "qemu exited with status $qrc after $((SECONDS - start)) s"
((qrc == 124 || qrc == 137)) && die "qemu timed out after $TIMEOUT s (see $LOG)"
tar -tf "$OUTIMG" >/dev/null 2>&1 && tar -xf "$OUTIMG" -C "$OUTDIR"
rm -f "$OUTIMG"
if grep -nE 'WARNING: CPU:|BUG:|Oops|Call Trace:|Kernel panic' "$LOG" >&2; then
  die "kernel splat on the console (see $LOG)"
fi
grep -q 'TESTBED: RESULT: PASS' "$LOG" || die "boot test FAILED (see $LOG)"
log "boot test passed"
