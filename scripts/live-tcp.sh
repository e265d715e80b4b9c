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
skip() { echo "live TCP test SKIPPED: $*"; echo "tcp live: 0 passed, 0 failed, 1 skipped"; exit 0; }
log() { printf '%s [live-tcp] %s\n' "$(date +%H:%M:%S)" "$*"; }

[ -n "$LAB" ] && [ -f "$LAB/tcp-faults/make-all.sh" ] || skip "../shared/lab/tcp-faults is not beside the repo"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces, tgtd and tcpdump (run as root, as CI does)"
export DEBIAN_FRONTEND=noninteractive
missing=()
for pair in tgtd:tgt tgtadm:tgt iscsi-ls:libiscsi-bin tcpdump:tcpdump tshark:tshark editcap:tshark nft:nftables ip:iproute2 ethtool:ethtool python3:python3; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null; } \
    || skip "apt-get could not install ${missing[*]}"
fi
for n in tfl_t tfl_i tfl_b; do
  ip netns list | grep -qw "$n" && skip "network namespace $n is in use (another lab run?)"
done

OUT=$(mktemp -d /tmp/iscsi-live-tcp-XXXXXX)
trap '[ -n "${LIVE_KEEP:-}" ] && log "kept $OUT" || rm -rf "$OUT"' EXIT
SC=${SCENARIOS:-loss-t2i refused acked-no-reply}
log "scenarios: $SC -> $OUT"
MB=${MB:-4} RUN_S=${RUN_S:-20} DOWN_S=${DOWN_S:-8} bash "$LAB/tcp-faults/make-all.sh" "$OUT" $SC > "$OUT/lab.log" 2>&1 \
  || { tail -20 "$OUT/lab.log"; echo "tcp live: 0 passed, 1 failed"; exit 1; }
for s in $SC; do [ -s "$OUT/$s.pcap" ] || { tail -20 "$OUT/lab.log"; echo "no capture for $s"; echo "tcp live: 0 passed, 1 failed"; exit 1; }; done
"$REPO/test/fixtures/tcp/tshark-ref.sh" "$OUT"/*.pcap 2>/dev/null
# tshark's iSCSI decode, reassembling out-of-order segments (the loss here falls before tcpdump).
mkdir -p "$OUT/ooo"
for c in "$OUT"/*.pcap; do
  "$LAB/reference.sh" "$c" "$OUT/ooo" -o tcp.reassemble_out_of_order:TRUE > "$OUT/ooo/$(basename "$c").log" 2>&1 \
    || { cat "$OUT/ooo/$(basename "$c").log"; echo "tshark reference failed for $c"; echo "tcp live: 0 passed, 1 failed"; exit 1; }
done
log "captures: $(cd "$OUT" && ls -s *.pcap | tr '\n' ' ')"

cd "$REPO"
report=$(mktemp)
LIVE_TCP_DIR="$OUT" npx vitest run test/live/tcp-faults.test.ts --reporter=default --reporter=json --outputFile="$report"
status=$?
read -r p f k < <(node -e '
  try {
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests, r.numFailedTests, r.numPendingTests + r.numTodoTests);
  } catch { console.log(0, 1, 0); }
' "$report")
rm -f "$report"
echo "tcp live: $p passed, $f failed, $k skipped"
exit $status
