#!/usr/bin/env bash
# Installs the Debian 12 packages Remote Help needs to build and test, if any are missing.
# Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail

RH_BUILD_PACKAGES=(
  gcc meson ninja-build pkg-config gettext
  libglib2.0-dev libjson-glib-dev libsqlite3-dev libssl-dev
  libwebsockets-dev libwebsockets-evlib-uv libwebsockets-evlib-glib
  freerdp2-dev libx11-dev libcairo2-dev
  libgtk-4-dev libadwaita-1-dev libnotify-dev
  libxdamage-dev libxext-dev libxfixes-dev libxtst-dev libxrandr-dev libxi-dev
  libxinerama-dev
)
RH_TEST_PACKAGES=(
  iproute2 sqlite3 openssl python3
  xvfb xauth xdotool x11-utils x11-xserver-utils x11-apps
  freerdp2-x11 freerdp2-shadow-x11 winpr-utils
  desktop-file-utils appstream dbus-daemon python3-dbusmock imagemagick
  fonts-wqy-microhei xclip
  chromium chromium-driver
  libxml2-utils polkitd pkexec
)

rh_install_packages () {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Run this command as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

rh_build () {
  local builddir=$1 log
  log=$(mktemp)
  if { [ -f "$builddir/build.ninja" ] || meson setup "$builddir" >"$log" 2>&1; } &&
     ninja -C "$builddir" >>"$log" 2>&1; then
    rm -f "$log"
    return 0
  fi
  cat "$log" >&2
  rm -f "$log"
  echo "The build failed; see the messages above." >&2
  return 1
}

# Benchmarks (bench/, issue #7): the VNC client library for the measuring client, and the
# peers it measures against.
RH_BUILD_PACKAGES+=(libvncserver-dev)
RH_TEST_PACKAGES+=(x11vnc openssl)
