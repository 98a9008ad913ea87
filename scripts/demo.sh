#!/usr/bin/env bash
# Sets up Remote Help with embedded defaults and runs a real helper/sharer session on this
# machine: a rendezvous server on 127.0.0.1, an Xvfb desktop with windows on it for the sharer,
# a helper who gets a security code, a sharer who types it and allows view-only access, and the
# helper's screenshot of the sharer's screen. Everything it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

rh_install_packages "${RH_BUILD_PACKAGES[@]}" iproute2 xvfb xauth x11-apps x11-xserver-utils
builddir=${RH_BUILDDIR:-_build}
rh_build "$builddir"

server="$builddir/app/remote-help-server"
client="$builddir/remote-help"
demo=${RH_DEMO_DIR:-$(mktemp -d /tmp/remote-help-demo.XXXXXX)}
mkdir -p "$demo"
chmod 700 "$demo"
data="$demo/server-data"
pids=()
cleanup () {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

step () { printf '\n== %s\n' "$*"; }

step "Setting up the organisation in $data"
# Random passwords for the two demo accounts, readable only by us.
umask 077
head -c 18 /dev/urandom | base64 > "$demo/helen.password"
head -c 18 /dev/urandom | base64 > "$demo/sam.password"
"$server" --data-dir "$data" admin settings set remote-help-enabled true
"$server" --data-dir "$data" admin user add helen --display-name "Helen Helper" \
  --job-title "IT Support Engineer" --company "Example Corp" --domain example.com \
  --password-file "$demo/helen.password" 2>/dev/null ||
  "$server" --data-dir "$data" admin user set-password helen --password-file "$demo/helen.password"
"$server" --data-dir "$data" admin user add sam --display-name "Sam Sharer" \
  --job-title "Accountant" --company "Example Corp" --domain example.com \
  --password-file "$demo/sam.password" 2>/dev/null ||
  "$server" --data-dir "$data" admin user set-password sam --password-file "$demo/sam.password"
"$server" --data-dir "$data" admin user list
# Nobody may help anyone until an assignment says so: Helen helps everyone, as an operator.
"$server" --data-dir "$data" admin group create "Help desk" --member helen 2>/dev/null || true
"$server" --data-dir "$data" admin assignment list | grep -q "Help desk" ||
  "$server" --data-dir "$data" admin assignment create --role "Help Desk Operator" \
    --helpers "Help desk" --scope-all

step "Starting the rendezvous service"
"$server" --data-dir "$data" --listen 127.0.0.1:0 > "$demo/server.out" 2> "$demo/server.log" &
pids+=($!)
for _ in $(seq 100); do
  [ "$(wc -l < "$demo/server.out")" -ge 3 ] && break
  sleep 0.1
done
cat "$demo/server.out"
url=$(sed -n 's/^listening: //p' "$demo/server.out")
tls=$(sed -n 's/^tls-fingerprint: //p' "$demo/server.out")
org=$(sed -n 's/^org-key: //p' "$demo/server.out")
[ -n "$url" ] || { echo "The server did not start; see $demo/server.log" >&2; exit 1; }

# What an administrator deploys to every computer: where the service is and how to trust it.
cat > "$demo/remote-help.conf" <<CONF
[remote-help]
server=$url
server-fingerprint=$tls
org-key=$org
acceptTerms=1
CONF
export RH_SYSTEM_CONFIG="$demo/remote-help.conf"
export XDG_CONFIG_HOME="$demo/config"

step "Starting the sharer's desktop (Xvfb) with a few windows on it"
exec 5> "$demo/xvfb.display"
Xvfb -displayfd 5 -screen 0 1280x800x24 -noreset -nolisten tcp 2> "$demo/xvfb.log" &
pids+=($!)
exec 5>&-
for _ in $(seq 100); do
  [ -s "$demo/xvfb.display" ] && break
  sleep 0.1
done
display=":$(head -n1 "$demo/xvfb.display")"
DISPLAY=$display xsetroot -solid '#2a6f97'
DISPLAY=$display xclock -geometry 300x300+120+120 -update 1 2>/dev/null &
pids+=($!)
DISPLAY=$display xlogo -geometry 360x360+700+200 2>/dev/null &
pids+=($!)
sleep 1
echo "Sharer's display: $display"
export XDG_RUNTIME_DIR="$demo/run"
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

step "Helper Helen asks for a security code"
"$client" give-help --headless --user helen --password-file "$demo/helen.password" \
  --mode control --path relay --snapshot "$demo/helper-view.png" \
  > "$demo/helper.out" 2> "$demo/helper.err" &
helper=$!
pids+=($helper)
code=
for _ in $(seq 100); do
  code=$(sed -n 's/^code: //p' "$demo/helper.out")
  [ -n "$code" ] && break
  sleep 0.1
done
[ -n "$code" ] || { cat "$demo/helper.err" >&2; exit 1; }
echo "Helen reads the code to Sam over the phone: $code"

step "Sharer Sam types the code and allows view-only access (Helen asked for control)"
status=0
"$client" get-help --headless "$code" --user sam --password-file "$demo/sam.password" \
  --allow view --display "$display" --direct loopback 2> "$demo/sharer.err" || status=$?
wait "$helper" || status=$?

step "What the helper saw"
cat "$demo/helper.out"

step "Result"
if [ $status -eq 0 ]; then
  echo "Paired: each side verified the other's identity card, signed by the organisation key."
  path=$(sed -n 's/^path: //p' "$demo/helper.out")
  echo "The helper saw the sharer's screen over RDP (path: ${path:-unknown}; the RDP TLS is"
  echo "pinned end to end either way), view-only: Sam allowed less than Helen asked for."
  echo "Helper's screenshot of the sharer's screen: $demo/helper-view.png"
  echo "Logs and configuration of this run: $demo"
else
  echo "The session failed (status $status); logs:" >&2
  tail -n 20 "$demo/helper.err" "$demo/sharer.err" "$demo/server.log" >&2
fi
exit $status
