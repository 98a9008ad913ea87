#!/usr/bin/env bash
# The benchmark suite (issue #7): our session against stock freerdp-shadow-cli and x11vnc on
# Xvfb, and the rendezvous service's capacity. Installs what it needs, builds, runs, prints a
# markdown table and writes bench/results/<date>.md and .json (raw data).
#   ./bench/run.sh            full run: 1280x800 and 1920x1080, all workloads, 20 first frames
#   ./bench/run.sh --quick    1280x800, three workloads, 5 first frames (a few minutes)
#   ./bench/run.sh --smoke    ~30 s, checks that the harness works (what the meson test runs)
# Further options go to bench/bench.py (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

rh_install_packages "${RH_BUILD_PACKAGES[@]}" "${RH_TEST_PACKAGES[@]}"
builddir=${RH_BUILDDIR:-_build-bench}
rh_build "$builddir"

results=bench/results
for a in "$@"; do
  # Smoke runs check the harness; they do not add to the results.
  [ "$a" = --smoke ] && results=$(mktemp -d /tmp/rh-bench-smoke.XXXXXX)
done
exec python3 bench/bench.py --builddir "$builddir" --results "$results" "$@"
