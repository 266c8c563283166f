# scripts/corpus/settings.sh — the corpus's settings (sourced, never run).
#
# The corpus: the stable fixes between two Debian linux-source-6.1 uploads, tried
# on a test bed whose running kernel is the older upload. Every setting can be
# overridden from the environment:
#   CORPUS_FROM (default 6.1.176-1: the running kernel and the source the fixes apply to)
#   CORPUS_KABI (default 6.1.0-50: the ABI of CORPUS_FROM's linux-image)
#   CORPUS_TO   (default 6.1.187-1: the upload whose changes are the fixes)
#   KLP_TESTBED (default ~/.cache/klp-testbed-6.1.176, CORPUS_FROM without its Debian
#                revision: a folder of its own, never the default test bed's)
#   CORPUS_DIR  (default $KLP_TESTBED/corpus: the newer source, the patches, the runs)
#   CORPUS_PATCHES (default $CORPUS_DIR/$CORPUS_NAME: the patches and their lists)
CORPUS_FROM=${CORPUS_FROM:-6.1.176-1}
CORPUS_KABI=${CORPUS_KABI:-6.1.0-50}
CORPUS_TO=${CORPUS_TO:-6.1.187-1}
CORPUS_NAME=${CORPUS_NAME:-$CORPUS_FROM..$CORPUS_TO}
export KABI=$CORPUS_KABI DEB_VERSION=$CORPUS_FROM
export KLP_TESTBED=${KLP_TESTBED:-$HOME/.cache/klp-testbed-${CORPUS_FROM%-*}}
# Paths of another test bed (eval "$(scripts/testbed/env.sh)") must not leak in.
unset SRC BUILD HDRS HDRS_COMMON VMLINUZ MODDIR KALLSYMS SYMVERS KREL DEBS KROOT
export KLP_KERNEL=6.1   # the corpus's uploads are 6.1 ones, whatever env.sh exported
source "$(dirname "${BASH_SOURCE[0]}")/../testbed/common.sh"
CORPUS_DIR=${CORPUS_DIR:-$TESTBED/corpus}
NEW_SRC=$CORPUS_DIR/src-$CORPUS_TO/usr/src/linux-source-$KSERIES   # the newer upload's source
PATCHES=${CORPUS_PATCHES:-$CORPUS_DIR/$CORPUS_NAME}                 # patches/, lists (make-patches.sh)
CORPUS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
