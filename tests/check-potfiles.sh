#!/bin/sh
# Every source file that marks strings for translation must be listed in po/POTFILES.in,
# or its strings silently never reach translators.
set -eu
cd "$RH_TEST_SRCDIR"
status=0
for f in $(grep -lE '(^|[^A-Za-z0-9_])N?_ ?\("' app/*.c protocol/*.c rdp/*.c ui/*.c 2>/dev/null); do
  if ! grep -qx "$f" po/POTFILES.in; then
    echo "$f has translatable strings but is missing from po/POTFILES.in"
    status=1
  fi
done
for f in $(grep -v '^#' po/POTFILES.in | grep .); do
  [ -f "$f" ] || { echo "po/POTFILES.in lists $f, which does not exist"; status=1; }
done
exit $status
