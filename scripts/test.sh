#!/usr/bin/env bash
# Builds Remote Help and runs every test suite; ends with "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

rh_install_packages "${RH_BUILD_PACKAGES[@]}" "${RH_TEST_PACKAGES[@]}"

builddir=${RH_BUILDDIR:-_build-test}
rh_build "$builddir"

# Every tool a test needs was installed above: a test that would skip for want of one fails.
export RH_TEST_STRICT=1

status=0
meson test -C "$builddir" --print-errorlogs --num-processes 2 "$@" || status=$?

py=0
python3 - "$builddir/meson-logs/testlog.json" <<'PY' || py=$?
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif r == "SKIP":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
print(f'{counts["passed"]} passed, {counts["failed"]} failed, {counts["skipped"]} skipped')
sys.exit(1 if counts["failed"] or counts["passed"] == 0 else 0)
PY
[ $status -eq 0 ] && [ $py -eq 0 ]
