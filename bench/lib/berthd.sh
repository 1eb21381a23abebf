# Sourced by the bench scripts: a berthd from this build on a temp data root and socket, with
# its own bridge, nft table and subnet (so it never touches another berthd's), the busybox
# fixture image loaded, and everything removed on exit.
#   source bench/lib/berthd.sh; berthd_start "$work" [BUILD_DIR]   # sets BERTHD_SOCK, BERTHD_PID
# The caller's EXIT trap must call berthd_stop (berthd_start installs one if there is none).
berthd_stop() {
    # (no `a && b` here: under set -e a failing last command would end the EXIT trap early)
    if [ -n "${BERTHD_PID:-}" ]; then
        kill "$BERTHD_PID" 2>/dev/null || true
        wait "$BERTHD_PID" 2>/dev/null || true
    fi
    BERTHD_PID=
    ip link del "bbench$$" 2>/dev/null || true
    nft delete table ip "berth_bench$$" 2>/dev/null || true
    nft delete table bridge "berth_bench$$" 2>/dev/null || true
}
berthd_start() {
    local work=$1 build=${2:-${BERTH_BUILD_DIR:-build}} root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    [ -x "$build/src/bin/berthd/berthd" ] || { echo "build berthd first ($build)" >&2; return 1; }
    [ -n "$(trap -p EXIT)" ] || trap 'berthd_stop; rm -rf "'"$work"'"' EXIT
    printf '{"bridge": "bbench%d", "nft-table": "berth_bench%d", "bip": "10.254.%d.1/24"}' $$ $$ $(($$ % 250)) \
        >"$work/daemon.json"
    BERTHD_SOCK=$work/exec/berth.sock
    mkdir -p "$work/exec"
    "$build/src/bin/berthd/berthd" --config-file "$work/daemon.json" --data-root "$work/data" \
        --exec-root "$work/exec" -H "unix://$BERTHD_SOCK" --pidfile "$work/exec/berthd.pid" \
        >"$work/berthd.log" 2>&1 &
    BERTHD_PID=$!
    for _ in $(seq 100); do [ -S "$BERTHD_SOCK" ] && break; sleep 0.1; done
    [ -S "$BERTHD_SOCK" ] || { echo "berthd did not start: $(tail -3 "$work/berthd.log")" >&2; return 1; }
    "$root/tests/fixtures/make-busybox-image" "$work/busybox.tar" >/dev/null
    /usr/local/bin/docker -H "unix://$BERTHD_SOCK" load -i "$work/busybox.tar" >/dev/null
}
