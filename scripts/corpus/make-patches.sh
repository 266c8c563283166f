#!/bin/bash
# scripts/corpus/make-patches.sh — the corpus's patches, one per changed .c file.
#
# Fetches linux-source-$KSERIES=$CORPUS_TO (apt-get download, dpkg-deb -x, untar; ~40 s),
# diffs it against the test bed's source ($CORPUS_FROM) and writes to $PATCHES/:
#   patches/<id>.patch   one `diff -u` per changed .c file that the kernel's config
#                        compiles (<id> = the path with / as _), a/ b/ paths
#   patches.tsv          id, path (sorted by path)
#   other-files.tsv      what is not a patch: kind (header, not-compiled, added, removed,
#                        other), path
# "Compiled by the config" = kbuild compiles it for vmlinux or a module: a dry run
# (`make -n -k vmlinux modules`) in a scratch build tree configured with the headers'
# .config lists every kernel compile command (`-D__KERNEL__ ... -c -o X.o SRC/X.c`).
# Under -n nothing is built, so a rule that needs a generated file (asn1 parsers,
# selinux's flask.h, the signing key) fails; those files are created empty and the dry
# run repeats (at most 3 passes, ~3 min each on 2 cores). Kept in compiled.txt.
# Whether a patched file still compiles is checked per patch by run-patch.sh (it needs
# the TU's compile command). Idempotent: every step is skipped when its output exists.
#
# --only LIST: patches for the paths of LIST only (one a line, # comments; CI's sample): no
# dry run (run-patch.sh finds a path the config does not compile: prepare-build.sh fails),
# no tree-wide diff, and only those files are unpacked from the newer source (~1 min fresh).
# Give it a $CORPUS_PATCHES of its own: its patches.tsv is not the whole corpus.
source "$(dirname "$0")/settings.sh"
only=
if [[ ${1:-} == --only ]]; then only=$2; [[ -f $only ]] || die "--only: no file $only"; fi
ensure_pkgs "${PKGS_SETUP[@]}" "${PKGS_BUILD[@]}"
"$TB_DIR/setup-kernel.sh" >&2

# --- the newer source ------------------------------------------------------------
[[ -z $only ]] || mapfile -t only_paths < <(sed 's/#.*//; s/[[:space:]]*$//' "$only" | grep .)
have_new_src() {  # the whole tree, or (--only) each listed file
  [[ -f $NEW_SRC/Makefile ]] && return 0
  [[ -n $only ]] || return 1
  local p; for p in "${only_paths[@]}"; do [[ -f $NEW_SRC/$p || -f $NEW_SRC/.absent/$p ]] || return 1; done
}
if ! have_new_src; then
  debs=$CORPUS_DIR/debs
  mkdir -p "$debs" && chmod a+rwx "$debs"
  deb=$(ls "$debs"/linux-source-"$KSERIES"_"$CORPUS_TO"_*.deb 2>/dev/null | head -1 || true)
  if [[ -z $deb ]]; then
    log "downloading linux-source-$KSERIES=$CORPUS_TO"
    (cd "$debs" && apt-get download -q "linux-source-$KSERIES=$CORPUS_TO") >&2 \
      || die "apt-get download linux-source-$KSERIES=$CORPUS_TO failed (apt-cache madison linux-source-$KSERIES)"
    deb=$(ls "$debs"/linux-source-"$KSERIES"_"$CORPUS_TO"_*.deb | head -1)
  fi
  root=$CORPUS_DIR/src-$CORPUS_TO
  log "unpacking $(basename "$deb") (~30 s)"
  rm -rf "$root" && mkdir -p "$root"
  dpkg-deb -x "$deb" "$root"
  tarball=$root/usr/src/linux-source-$KSERIES.tar.xz
  if [[ -n $only ]]; then
    # Only the listed files (a path the newer upload removed is marked under .absent/).
    members=(); for p in "${only_paths[@]}"; do members+=("linux-source-$KSERIES/$p"); done
    tar -C "$root/usr/src" -xf "$tarball" "${members[@]}" 2> "$CORPUS_DIR/untar.log" \
      || grep -q 'Not found in archive' "$CORPUS_DIR/untar.log" || die "cannot unpack $tarball: $(head -3 "$CORPUS_DIR/untar.log")"
    n=0; for p in "${only_paths[@]}"; do [[ -f $NEW_SRC/$p ]] && n=$((n + 1)); done
    ((n > 0)) || die "none of the files of $only is in $tarball"
    for p in "${only_paths[@]}"; do
      [[ -f $NEW_SRC/$p ]] || { mkdir -p "$(dirname "$NEW_SRC/.absent/$p")"; touch "$NEW_SRC/.absent/$p"; }
    done
  else
    tar -C "$root/usr/src" -xf "$tarball"
  fi
  rm "$tarball"
fi

if [[ -n $only ]]; then
  # --- --only: one patch per listed path that changed ----------------------------
  rm -rf "$PATCHES" && mkdir -p "$PATCHES/patches"
  : > "$PATCHES/patches.tsv.tmp"; : > "$PATCHES/other-files.tsv"
  for path in "${only_paths[@]}"; do
    [[ -f $SRC/$path ]] || die "--only: $path is not in $SRC"
    if [[ ! -f $NEW_SRC/$path ]]; then printf 'removed\t%s\n' "$path" >> "$PATCHES/other-files.tsv"; continue; fi
    cmp -s "$SRC/$path" "$NEW_SRC/$path" && { log "--only: $path did not change between $CORPUS_FROM and $CORPUS_TO"; continue; }
    id=${path//\//_}
    (cd / && diff -u --label "a/$path" --label "b/$path" "$SRC/$path" "$NEW_SRC/$path") > "$PATCHES/patches/$id.patch" || true
    printf '%s\t%s\n' "$id" "$path" >> "$PATCHES/patches.tsv.tmp"
  done
  LC_ALL=C sort -k2 "$PATCHES/patches.tsv.tmp" > "$PATCHES/patches.tsv" && rm "$PATCHES/patches.tsv.tmp"
  log "$(wc -l < "$PATCHES/patches.tsv") patches (of $only) in $PATCHES/patches"
  echo "$PATCHES"
  exit 0
fi

# --- what the config compiles ---------------------------------------------------
COMPILED=$CORPUS_DIR/compiled-$KREL.txt
if [[ ! -s $COMPILED ]]; then
  dry=$CORPUS_DIR/dryrun-$KREL
  rm -rf "$dry" && mkdir -p "$dry/tools/objtool" "$dry/tools/bpf/resolve_btfids"  # tools/ wants its O= dir
  cp "$HDRS/.config" "$dry/.config"
  make -s -C "$SRC" O="$dry" CC="$KCC" HOSTCC="$KCC" olddefconfig >&2
  for pass in 1 2 3; do
    log "dry-run make in $dry, pass $pass (~3 min)"
    make -n -k -C "$SRC" O="$dry" CC="$KCC" HOSTCC="$KCC" KERNELRELEASE="$KREL" vmlinux modules \
      > "$dry.log" 2>&1 || true
    mapfile -t gen < <(sed -n "s/.*No rule to make target '\([^']*\)', needed by.*/\1/p" "$dry.log" | sort -u)
    ((${#gen[@]})) || break
    for g in "${gen[@]}"; do [[ $g == /* ]] || { mkdir -p "$dry/$(dirname "$g")"; touch "$dry/$g"; }; done
  done
  grep -- '-D__KERNEL__' "$dry.log" | grep -o -- " -c -o [^ ]*\.o $SRC/[^ ;]*\.c" \
    | awk -v s="$SRC/" '{sub(s, "", $4); print $4}' | LC_ALL=C sort -u > "$COMPILED.tmp"
  mv "$COMPILED.tmp" "$COMPILED"
fi
log "$(wc -l < "$COMPILED") .c files compiled by the $KREL config"

# --- one patch per changed .c file -----------------------------------------------
if [[ ! -s $PATCHES/patches.tsv ]]; then
  rm -rf "$PATCHES" && mkdir -p "$PATCHES/patches"
  diff -rq "$SRC" "$NEW_SRC" > "$PATCHES/diff-rq.txt" || true
  {
    sed -n "s|^Files $SRC/\(.*\) and $NEW_SRC/.* differ\$|changed \1|p" "$PATCHES/diff-rq.txt"
    sed -n "s|^Only in $SRC/\{0,1\}\(.*\): \(.*\)\$|removed \1/\2|p" "$PATCHES/diff-rq.txt"
    sed -n "s|^Only in $NEW_SRC/\{0,1\}\(.*\): \(.*\)\$|added \1/\2|p" "$PATCHES/diff-rq.txt"
  } | sed 's|^\([a-z]*\) /|\1 |' | LC_ALL=C sort -k2 > "$PATCHES/changes.txt"
  : > "$PATCHES/patches.tsv.tmp"; : > "$PATCHES/other-files.tsv"
  while read -r kind path; do
    if [[ $kind == changed && $path == *.c ]] && grep -qxF "$path" "$COMPILED"; then
      id=${path//\//_}
      (cd / && diff -u --label "a/$path" --label "b/$path" "$SRC/$path" "$NEW_SRC/$path") \
        > "$PATCHES/patches/$id.patch" || true
      printf '%s\t%s\n' "$id" "$path" >> "$PATCHES/patches.tsv.tmp"
    else
      case $kind:$path in
        changed:*.h) kind=header ;;
        changed:*.c) kind=not-compiled ;;
        changed:*) kind=other ;;
      esac
      printf '%s\t%s\n' "$kind" "$path" >> "$PATCHES/other-files.tsv"
    fi
  done < "$PATCHES/changes.txt"
  mv "$PATCHES/patches.tsv.tmp" "$PATCHES/patches.tsv"
fi
log "$(wc -l < "$PATCHES/patches.tsv") patches in $PATCHES/patches, $(wc -l < "$PATCHES/other-files.tsv") other changed files (other-files.tsv)"
echo "$PATCHES"
