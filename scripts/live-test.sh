#!/usr/bin/env bash
# npm run test:live — a real target (tgtd) and a real initiator (libiscsi) talk on loopback while
# tcpdump captures them; tshark decodes the fresh capture and test/live checks ours against it.
#
# Every run differs (port, sizes, queue depth, transfer size, header digest, target pings); the seed
# is printed first, and LIVE_SEED=<seed> npm run test:live replays the same choices.
# Needs root and Debian's tgt, libiscsi-bin, libiscsi7, tcpdump, tshark, python3 (installed with
# apt-get when missing). When the machine cannot run it, it says so and skips.
# Only the processes this script starts are ever signalled, by PID.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB="$(cd "$REPO/../shared/lab" 2>/dev/null && pwd || true)"
export DEBIAN_FRONTEND=noninteractive

skip() {
  echo "live test SKIPPED: $*"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}
log() { printf '%s [live] %s\n' "$(date +%H:%M:%S)" "$*"; }

seed=${LIVE_SEED:-$(( (RANDOM << 15) | RANDOM ))}
echo "live test seed $seed (replay with: LIVE_SEED=$seed npm run test:live)"
RANDOM=$seed

[ -n "$LAB" ] && [ -f "$LAB/drive.py" ] || skip "../shared/lab (drive.py, reference.sh) is not beside the repo"
[ "$(id -u)" = 0 ] || skip "needs root to run tgtd and tcpdump (run as root, as CI does)"

missing=()
command -v tgtd >/dev/null && command -v tgtadm >/dev/null || missing+=(tgt)
command -v iscsi-ls >/dev/null || missing+=(libiscsi-bin)
ldconfig -p 2>/dev/null | grep -q 'libiscsi.so.7' || missing+=(libiscsi7)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
command -v python3 >/dev/null || missing+=(python3)
command -v ss >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || skip "apt-get could not install ${missing[*]}"
fi

# ------------------------------------------------------------------ this run's choices
port_busy() { ss -Hltn "sport = :$1" | grep -q .; }
port=$(( 20000 + RANDOM % 40000 ))
while port_busy "$port"; do port=$(( 20000 + RANDOM % 40000 )); done
ctl=$(( 200 + RANDOM % 800 ))          # tgtd's management socket id
write_mb=$(( 1 + RANDOM % 8 ))         # in half MB
read_mb=$(( 1 + RANDOM % 8 ))
qd=$(( 1 + RANDOM % 8 ))
xfers=(16 32 64 128 256)
xfer_kb=${xfers[$(( RANDOM % 5 ))]}
header_digest=$(( RANDOM % 2 ))
target_pings=$(( RANDOM % 2 ))          # tgt nop_interval=1: target NOP-Ins the initiator echoes
pings=$(( 2 + RANDOM % 4 ))             # initiator NOP-Out pings, answered
IQN=iqn.2026-11.live.tgt:disk$(( RANDOM % 100 ))
log "port $port, write $(( write_mb * 512 )) KiB, read $(( read_mb * 512 )) KiB, qd $qd, xfer $xfer_kb KiB, header digest $header_digest, target pings $target_pings, initiator pings $pings"

WORK=$(mktemp -d /tmp/iscsi-live-XXXXXX)
CAP="$WORK/live.pcap"
TGTD_PID=""
CAP_PID=""
cleanup() {
  if [ -n "$CAP_PID" ] && kill -0 "$CAP_PID" 2>/dev/null; then kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; fi
  if [ -n "$TGTD_PID" ] && kill -0 "$TGTD_PID" 2>/dev/null; then
    kill -CONT "$TGTD_PID" 2>/dev/null
    tgtadm -C "$ctl" --op update --mode sys --name State -v offline >/dev/null 2>&1
    tgtadm -C "$ctl" --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1
    tgtadm -C "$ctl" --op delete --mode system >/dev/null 2>&1
    for _ in $(seq 50); do kill -0 "$TGTD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$TGTD_PID" 2>/dev/null && kill -KILL "$TGTD_PID"
    wait "$TGTD_PID" 2>/dev/null
  fi
  [ -n "${LIVE_KEEP:-}" ] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ------------------------------------------------------------------ target
tgtd -f -C "$ctl" --iscsi "portal=127.0.0.1:$port" >"$WORK/tgtd.log" 2>&1 &
TGTD_PID=$!
up=0
for _ in $(seq 100); do
  if tgtadm -C "$ctl" --op show --mode system >/dev/null 2>&1 && port_busy "$port"; then up=1; break; fi
  kill -0 "$TGTD_PID" 2>/dev/null || break
  sleep 0.1
done
[ $up = 1 ] || { cat "$WORK/tgtd.log"; echo "tgtd did not start"; echo "0 passed, 1 failed"; exit 1; }
tga() { tgtadm -C "$ctl" --lld iscsi "$@"; }
truncate -s 64M "$WORK/disk.img"
tga --op new --mode target --tid 1 -T "$IQN" &&
  tga --op new --mode logicalunit --tid 1 --lun 1 -b "$WORK/disk.img" &&
  tga --op bind --mode target --tid 1 -I ALL || { echo "tgtadm setup failed"; echo "0 passed, 1 failed"; exit 1; }
[ $header_digest = 1 ] && tga --op update --mode target --tid 1 --name HeaderDigest --value CRC32C,None
[ $target_pings = 1 ] && tga --op update --mode target --tid 1 --name nop_interval --value 1 && tga --op update --mode target --tid 1 --name nop_count --value 5
log "tgtd pid $TGTD_PID on 127.0.0.1:$port"

# ------------------------------------------------------------------ capture the scenario
tcpdump -i lo -n -B 131072 -w "$CAP" "tcp port $port" >"$WORK/tcpdump.log" 2>&1 &
CAP_PID=$!
for _ in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
URL="iscsi://127.0.0.1:$port/$IQN/1"
[ $header_digest = 1 ] && URL="$URL?header_digest=crc32c"
iscsi-ls -s "iscsi://127.0.0.1:$port" >"$WORK/driver.log" 2>&1
python3 "$LAB/drive.py" io "$URL" --write-mb "$(( write_mb / 2 )).$(( write_mb % 2 * 5 ))" --read-mb "$(( read_mb / 2 )).$(( read_mb % 2 * 5 ))" \
  --xfer-kb "$xfer_kb" --qd "$qd" >>"$WORK/driver.log" 2>&1 || true
# NOP-Out pings every 0.5 s, all answered (the target is never stopped: --stop-after is out of reach).
python3 "$LAB/drive.py" ping "$URL" --target-pid "$TGTD_PID" --interval 0.5 --stop-after 1000000 --max-seconds "$(( pings / 2 + 1 ))" >>"$WORK/driver.log" 2>&1 || true
[ $target_pings = 1 ] && python3 "$LAB/drive.py" idle "$URL" --seconds 2.5 >>"$WORK/driver.log" 2>&1
sleep 2   # libpcap flushes its ring buffer on a timeout
kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; CAP_PID=""
log "capture: $(stat -c %s "$CAP") bytes; $(grep -E 'packets (captured|dropped)' "$WORK/tcpdump.log" | tr '\n' ' ')"

# ------------------------------------------------------------------ decode and compare
# Out-of-order reassembly on: where the veth dropped a segment under load, the hole comes before
# its retransmission in the capture, and tshark's default would skip the PDUs behind it.
"$LAB/reference.sh" "$CAP" "$WORK" -d "tcp.port==$port,iscsi" -o tcp.reassemble_out_of_order:TRUE >"$WORK/reference.log" 2>&1 || { cat "$WORK/reference.log"; echo "tshark reference failed"; echo "0 passed, 1 failed"; exit 1; }
log "tshark: $(cat "$WORK/live.pcap.summary.txt" 2>/dev/null | cut -c1-200)"
python3 "$LAB/pducount.py" "$CAP" "$port" >"$WORK/live.pcap.pducount.txt" 2>&1 || true
log "independent walk: $(cut -c1-200 "$WORK/live.pcap.pducount.txt")"

cd "$REPO"
LIVE_CAPTURE="$CAP" LIVE_PORT="$port" LIVE_HEADER_DIGEST="$header_digest" LIVE_TARGET_PINGS="$target_pings" \
LIVE_PINGS="$pings" LIVE_WRITE_KB="$(( write_mb * 512 ))" LIVE_READ_KB="$(( read_mb * 512 ))" LIVE_SEED="$seed" \
  npx vitest run test/live --reporter=default --reporter=json --outputFile="$WORK/vitest.json"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`live: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$WORK/vitest.json" 2>/dev/null || echo "live: 0 passed, 1 failed"
[ $status = 0 ] || { log "seed $seed failed; LIVE_KEEP=1 LIVE_SEED=$seed npm run test:live keeps the capture"; }
exit $status
