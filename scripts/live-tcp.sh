#!/usr/bin/env bash
# Live TCP-fault test: runs a few ../shared/lab/tcp-faults scenarios afresh (tgtd and libiscsi in
# network namespaces, random loss, a killed target, a stopped target), writes tshark's reading and
# tcpfacts.py's facts beside each capture, and checks ours against them (test/live/tcp-faults.test.ts).
#   SCENARIOS="loss-t2i refused acked-no-reply" (default) picks them; LIVE_KEEP=1 keeps the captures.
# Needs root and tgt, libiscsi, tcpdump, tshark, nftables; skips with a plain message otherwise.
# The lab scripts signal only the processes they start and remove the namespaces they made.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB="$(cd "$REPO/../shared/lab" 2>/dev/null && pwd || true)"
skip() { echo "live TCP test SKIPPED: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
log() { printf '%s [live-tcp] %s\n' "$(date +%H:%M:%S)" "$*"; }

[ -n "$LAB" ] && [ -x "$LAB/tcp-faults/make-all.sh" ] || skip "../shared/lab/tcp-faults is not beside the repo"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces, tgtd and tcpdump (run as root, as CI does)"
for c in tgtd tgtadm tcpdump tshark editcap nft ip ethtool python3; do
  command -v "$c" >/dev/null || skip "$c is not installed (apt-get install tgt libiscsi-bin tcpdump tshark nftables iproute2 ethtool)"
done
for n in tfl_t tfl_i tfl_b; do
  ip netns list | grep -qw "$n" && skip "network namespace $n is in use (another lab run?)"
done

OUT=$(mktemp -d /tmp/iscsi-live-tcp-XXXXXX)
trap '[ -n "${LIVE_KEEP:-}" ] && log "kept $OUT" || rm -rf "$OUT"' EXIT
SC=${SCENARIOS:-loss-t2i refused acked-no-reply}
log "scenarios: $SC -> $OUT"
MB=${MB:-4} RUN_S=${RUN_S:-20} DOWN_S=${DOWN_S:-8} "$LAB/tcp-faults/make-all.sh" "$OUT" $SC > "$OUT/lab.log" 2>&1 \
  || { tail -20 "$OUT/lab.log"; echo "0 passed, 1 failed"; exit 1; }
for s in $SC; do [ -s "$OUT/$s.pcap" ] || { tail -20 "$OUT/lab.log"; echo "no capture for $s"; echo "0 passed, 1 failed"; exit 1; }; done
"$REPO/test/fixtures/tcp/tshark-ref.sh" "$OUT"/*.pcap 2>/dev/null
log "captures: $(cd "$OUT" && ls -s *.pcap | tr '\n' ' ')"

cd "$REPO"
LIVE_TCP_DIR="$OUT" npx vitest run test/live/tcp-faults.test.ts
