#!/usr/bin/env bash
# The second live target: Debian's istgt (FreeBSD's userspace target) and libiscsi initiators in two
# network namespaces of our own joined by a 1500-MTU veth (offloads off, so tcpdump sees the segments
# the wire carries), one capture per scenario: discovery (iscsi-ls, which hangs against istgt), I/O
# with header digest off and on, the data-digest case (a LUN with UseDigest "Header Data": istgt
# answers DataDigest=Reject and appends CRC32C data digests anyway), target keepalives, and an ABORT
# TASK while istgt is stopped. tshark decodes each capture; test/live/istgt.test.ts checks ours.
#
#   bash scripts/live-istgt.sh [OUTDIR]       this target alone; OUTDIR (or LIVE_KEEP=1) keeps the captures
#   bash scripts/live-istgt.sh --with-tgt     npm run test:live: scripts/live-test.sh (tgt) first, then
#                                             this, then scripts/live-tcp.sh (TCP faults), and one
#                                             "live: N passed, N failed, N skipped" line
#   SCENARIOS="…" also takes qemu (qemu-img / qemu-io, apt qemu-utils qemu-block-extra) and unexecuted (a command istgt
#   never answers; 12 s); ISTGT_WRITE_KB, ISTGT_READ_KB, ISTGT_XFER_KB, ISTGT_QD, ISTGT_ABORT_READ_KB
#   fix the sizes (test/fixtures/istgt/make.sh uses them).
#
# Every run differs (port, sizes, queue depth, transfer size, keepalive interval); the seed is printed
# first and LIVE_ISTGT_SEED=<seed> (or LIVE_SEED=<seed> for this script alone) replays the same choices
# (the wire's timing is the target's own).
# Needs root, istgt, libiscsi-bin, tcpdump, tshark, ethtool (installed with apt-get when missing);
# skips with a plain message where it cannot run. Only the processes and namespaces this script
# creates are ever signalled or removed.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "${1:-}" = --with-tgt ]; then
  # Both live targets, one summary line (CI reads the last "N passed, N failed" line).
  counts() {  # the last count line of a run's output -> "passed failed skipped"
    local line; line=$(grep -E '^(live: |istgt live: |tcp live: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
    [ -n "$line" ] || { echo "0 1 0"; return; }
    local p f k
    p=$(sed -E 's/^[a-z ]*: //; s/^([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    k=$(grep -oE '[0-9]+ (skipped|to do)' <<<"$line" | grep -oE '^[0-9]+' || echo 0)
    echo "$p $f ${k:-0}"
  }
  t1=$(mktemp); t2=$(mktemp); t3=$(mktemp)
  bash "$REPO/scripts/live-test.sh" 2>&1 | tee "$t1" | sed -E 's/^(live: )?([0-9]+ passed, [0-9]+ failed)/tgt: \2/'
  s1=${PIPESTATUS[0]}
  bash "$REPO/scripts/live-istgt.sh" 2>&1 | tee "$t2"
  s2=${PIPESTATUS[0]}
  # TCP faults between real peers: loss, a killed target's refused reconnects, a stopped target's ACKed pings.
  bash "$REPO/scripts/live-tcp.sh" 2>&1 | tee "$t3"
  s3=${PIPESTATUS[0]}
  read -r p1 f1 k1 < <(counts "$t1"); read -r p2 f2 k2 < <(counts "$t2"); read -r p3 f3 k3 < <(counts "$t3")
  rm -f "$t1" "$t2" "$t3"
  echo "live: $(( p1 + p2 + p3 )) passed, $(( f1 + f2 + f3 )) failed, $(( k1 + k2 + k3 )) skipped"
  [ "$s1" = 0 ] && [ "$s2" = 0 ] && [ "$s3" = 0 ]
  exit $?
fi
LAB="$(cd "$REPO/../shared/lab" 2>/dev/null && pwd || true)"
export DEBIAN_FRONTEND=noninteractive

skip() {
  echo "istgt live test SKIPPED: $*"
  echo "istgt live: 0 passed, 0 failed, 1 skipped"
  exit 0
}
fail() { echo "istgt live test FAILED: $*"; echo "istgt live: 0 passed, 1 failed"; exit 1; }
log() { printf '%s [live-istgt] %s\n' "$(date +%H:%M:%S)" "$*"; }

seed=${LIVE_ISTGT_SEED:-${LIVE_SEED:-$(( (RANDOM << 15) | RANDOM ))}}
echo "istgt live test seed $seed (replay with: LIVE_ISTGT_SEED=$seed npm run test:live, or LIVE_SEED=$seed bash scripts/live-istgt.sh)"
RANDOM=$seed

[ -n "$LAB" ] && [ -f "$LAB/istgt/mkconf.sh" ] && [ -f "$LAB/drive.py" ] || skip "../shared/lab (istgt/mkconf.sh, drive.py, reference.sh) is not beside the repo"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces, istgt and tcpdump (run as root, as CI does)"

missing=()
[ -x /usr/sbin/istgt ] || command -v istgt >/dev/null || missing+=(istgt)
command -v iscsi-ls >/dev/null && command -v iscsi-inq >/dev/null || missing+=(libiscsi-bin)
ldconfig -p 2>/dev/null | grep -q 'libiscsi.so.7' || missing+=(libiscsi7)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
command -v python3 >/dev/null || missing+=(python3)
command -v ip >/dev/null && command -v ss >/dev/null || missing+=(iproute2)
command -v ethtool >/dev/null || missing+=(ethtool)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || skip "apt-get could not install ${missing[*]}"
fi
ISTGT=$(command -v istgt || echo /usr/sbin/istgt)

# ------------------------------------------------------------------ this run's choices
tag=$(printf '%04x' $(( RANDOM % 65536 )))
NT=ilt${tag}t; NI=ilt${tag}i; VT=ilv${tag}t; VI=ilv${tag}i
while ip netns list | grep -qw "$NT\|$NI"; do tag=$(printf '%04x' $(( RANDOM % 65536 ))); NT=ilt${tag}t; NI=ilt${tag}i; VT=ilv${tag}t; VI=ilv${tag}i; done
port=$(( 20000 + RANDOM % 40000 ))
nop=$(( 1 + RANDOM % 2 ))                # NopInInterval: istgt's keepalive NOP-Ins on idle connections
idle=$(( 5 + nop * 2 + RANDOM % 2 ))     # seconds the keepalive session stays idle (the first NOP-In comes ~3 s in)
write_kb=$(( 512 * (1 + RANDOM % 4) ))
read_kb=$(( 512 * (1 + RANDOM % 4) ))
qd=$(( 1 + RANDOM % 8 ))
xfers=(16 64 128 256 512)                # over 256 KiB: several Data-In PDUs per READ (MaxRecvDataSegmentLength)
xfer_kb=${xfers[$(( RANDOM % 5 ))]}
abort_kb=$(( 64 << (RANDOM % 3) ))       # the READ the ABORT TASK names: 64, 128 or 256 KiB
write_kb=${ISTGT_WRITE_KB:-$write_kb}; read_kb=${ISTGT_READ_KB:-$read_kb}; xfer_kb=${ISTGT_XFER_KB:-$xfer_kb}
qd=${ISTGT_QD:-$qd}; abort_kb=${ISTGT_ABORT_READ_KB:-$abort_kb}
SCENARIOS=${SCENARIOS:-discovery io io-header-digest data-digest keepalive abort}
log "namespaces $NT/$NI, port $port, NopInInterval $nop (idle $idle s), write $write_kb KiB, read $read_kb KiB, qd $qd, xfer $xfer_kb KiB, aborted READ $abort_kb KiB; $SCENARIOS"

if [ $# -gt 0 ]; then OUT=$(realpath -m "$1"); mkdir -p "$OUT"; KEEP=1; else OUT=$(mktemp -d /tmp/iscsi-live-istgt-XXXXXX); KEEP=${LIVE_KEEP:-}; fi
WORK=$(mktemp -d /tmp/iscsi-live-istgt-work-XXXXXX)
ISTGT_PID=""; CAP_PID=""
NSX_T="ip netns exec $NT"; NSX_I="ip netns exec $NI"
cleanup() {
  if [ -n "$CAP_PID" ] && kill -0 "$CAP_PID" 2>/dev/null; then kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; fi
  if [ -n "$ISTGT_PID" ] && kill -0 "$ISTGT_PID" 2>/dev/null; then
    kill -CONT "$ISTGT_PID" 2>/dev/null; kill -TERM "$ISTGT_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$ISTGT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$ISTGT_PID" 2>/dev/null && kill -KILL "$ISTGT_PID"
    wait "$ISTGT_PID" 2>/dev/null
  fi
  ip netns del "$NT" 2>/dev/null; ip netns del "$NI" 2>/dev/null
  cp "$WORK/istgt.log" "$OUT/" 2>/dev/null
  rm -rf "$WORK"
  if [ -n "$KEEP" ]; then log "kept $OUT"; else rm -rf "$OUT"; fi
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ------------------------------------------------------------------ namespaces (as ../shared/lab/istgt/ns-up.sh, our names)
ip netns add "$NT" 2>/dev/null && ip netns add "$NI" 2>/dev/null || skip "cannot create network namespaces here"
ip link add "$VT" type veth peer name "$VI" && ip link set "$VT" netns "$NT" && ip link set "$VI" netns "$NI" || skip "cannot create a veth pair here"
ip -n "$NT" addr add 192.0.2.1/24 dev "$VT"; ip -n "$NI" addr add 192.0.2.2/24 dev "$VI"
for pair in "$NT:$VT" "$NI:$VI"; do n=${pair%%:*}; d=${pair##*:}
  ip -n "$n" link set "$d" up mtu 1500; ip -n "$n" link set lo up
  ip netns exec "$n" ethtool -K "$d" tso off gso off gro off tx off rx off >/dev/null 2>&1
done

# ------------------------------------------------------------------ target: the lab's config, our port; LU2 insists on digests
bash "$LAB/istgt/mkconf.sh" "$WORK/istgt" "$nop" Auto 30 >/dev/null || fail "mkconf.sh"
CONF="$WORK/istgt/istgt.conf"
sed -i "s/^\(  Portal DA1 192\.0\.2\.1\):3260$/\1:$port/" "$CONF"
awk '/^\[LogicalUnit2\]/ { lu2 = 1 } /^  UseDigest/ && lu2 { print "  UseDigest Header Data"; next } { print }' "$CONF" > "$CONF.new" && mv "$CONF.new" "$CONF"
grep -q ":$port\$" "$CONF" && grep -q 'UseDigest Header Data' "$CONF" || fail "could not adapt the istgt config"
cp "$CONF" "$OUT/istgt.conf"
$NSX_T "$ISTGT" -D -c "$CONF" -t iscsi >"$WORK/istgt.log" 2>&1 &
ISTGT_PID=$!
up=0
for _ in $(seq 100); do
  $NSX_T ss -Hltn "sport = :$port" | grep -q . && { up=1; break; }
  kill -0 "$ISTGT_PID" 2>/dev/null || break
  sleep 0.1
done
[ $up = 1 ] || { cat "$WORK/istgt.log"; fail "istgt did not listen on 192.0.2.1:$port"; }
log "istgt pid $ISTGT_PID on 192.0.2.1:$port"

PORTAL="iscsi://192.0.2.1:$port"
URL0="$PORTAL/iqn.2024-01.lab.istgt:disk1/0"
URL1="$PORTAL/iqn.2024-01.lab.istgt:disk1/1"
URL2="$PORTAL/iqn.2024-01.lab.istgt:disk2/0"
drive() { $NSX_I python3 "$LAB/drive.py" "$@"; }
mb() { awk "BEGIN { print $1 / 1024 }"; }

capture() {  # NAME COMMAND...: run COMMAND in the initiator namespace while tcpdump captures
  local name=$1; shift
  local cap="$OUT/$name.pcap"
  $NSX_I tcpdump -i "$VI" -n -B 131072 -s 0 -w "$cap" "tcp port $port" >"$WORK/$name.tcpdump.log" 2>&1 &
  CAP_PID=$!
  for _ in $(seq 100); do grep -q 'listening on' "$WORK/$name.tcpdump.log" 2>/dev/null && break; sleep 0.05; done
  sleep 0.3
  "$@" >>"$OUT/$name.driver.log" 2>&1
  local rc=$?
  sleep 1.5   # libpcap flushes its buffer on a timeout
  kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null; CAP_PID=""
  echo "$rc" >"$OUT/$name.rc"
  log "$name: rc $rc, $(stat -c %s "$cap") bytes; $(grep -E 'packets (captured|dropped)' "$WORK/$name.tcpdump.log" | tr '\n' ' ')"
}

data_digest() {
  $NSX_I timeout 30 iscsi-inq "$URL2"; echo "iscsi-inq rc=$?"
}
qemu() {
  head -c 256K /dev/urandom >"$WORK/src.raw"
  $NSX_I timeout 30 qemu-img info "$URL1"; echo "qemu-img info rc=$?"
  $NSX_I timeout 30 qemu-img convert -n -f raw -O raw -t none "$WORK/src.raw" "$URL1"; echo "qemu-img convert rc=$?"
  $NSX_I timeout 30 qemu-io -f raw -c 'write -P 0x5a 4M 64k' -c 'aio_write -P 0x33 5M 16k' -c 'aio_write -P 0x34 6M 16k' -c 'aio_flush' \
    -c 'read -P 0x5a 4M 64k' -c 'readv -P 0x33 5M 8k 8k' -c 'flush' "$URL1"; echo "qemu-io rc=$?"
}
for sc in $SCENARIOS; do
  case $sc in
    # iscsi-ls never finishes against istgt: istgt counts the immediate Text Request in ExpCmdSN, so
    # libiscsi holds back its Logout. timeout ends it.
    discovery) capture discovery $NSX_I timeout -s TERM 4 iscsi-ls -s "$PORTAL" ;;
    io) capture io drive io "$URL0" --write-mb "$(mb $write_kb)" --read-mb "$(mb $read_kb)" --xfer-kb "$xfer_kb" --qd "$qd" ;;
    io-header-digest) capture io-header-digest drive io "$URL0?header_digest=crc32c" --write-mb "$(mb $write_kb)" --read-mb "$(mb $read_kb)" --xfer-kb "$xfer_kb" --qd "$qd" ;;
    # libiscsi cannot read the digests it did not agree to: it resets and logs in again after a PDU or
    # two (a longer I/O run loops like that for minutes), so iscsi-inq's few commands are the test.
    data-digest) capture data-digest data_digest ;;
    keepalive) capture keepalive drive idle "$URL0" --seconds "$idle" ;;
    # The target is stopped with a READ outstanding; ABORT TASK, LUN RESET, then it runs again.
    abort) capture abort drive abort "$URL0" --target-pid "$ISTGT_PID" --read-kb "$abort_kb" --abort-after 1.5 --reset-after 1 --stall 4
      kill -CONT "$ISTGT_PID" 2>/dev/null ;;
    qemu) { command -v qemu-io >/dev/null && [ -n "$(find /usr/lib -path '*qemu*' -name 'block-iscsi.so' 2>/dev/null | head -1)" ]; } \
        || apt-get install -y -qq --no-install-recommends qemu-utils qemu-block-extra >/dev/null || { log "no qemu-utils / qemu-block-extra: qemu skipped"; continue; }
      capture qemu qemu ;;
    # WRITE(10) of zero blocks: istgt sends no status and no Reject; iscsi-test-cu waits until killed.
    unexecuted) capture unexecuted $NSX_I timeout 12 iscsi-test-cu -d -n --test=SCSI.Write10.ZeroBlocks "$URL0" ;;
    *) fail "unknown scenario $sc" ;;
  esac
done

# ------------------------------------------------------------------ decode and compare
for c in "$OUT"/*.pcap; do
  # Out-of-order reassembly on: a segment the veth dropped under load leaves a hole before its
  # retransmission, and tshark's default would skip the PDUs behind it.
  "$LAB/reference.sh" "$c" "$OUT" -d "tcp.port==$port,iscsi" -o tcp.reassemble_out_of_order:TRUE >"$WORK/$(basename "$c").reference.log" 2>&1 || { cat "$WORK/$(basename "$c").reference.log"; fail "tshark reference failed for $c"; }
  python3 "$LAB/pducount.py" "$c" "$port" >"$c.pducount.txt" 2>&1 || true
  log "$(basename "$c"): tshark $(cut -c1-160 "$c.summary.txt" | sed 's/^[^:]*: //')"
done
cat >"$OUT/run.env" <<EOF
LIVE_ISTGT_SEED=$seed
LIVE_ISTGT_PORT=$port
LIVE_ISTGT_NOPIN=$nop
LIVE_ISTGT_IDLE=$idle
LIVE_ISTGT_WRITE_KB=$write_kb
LIVE_ISTGT_READ_KB=$read_kb
LIVE_ISTGT_XFER_KB=$xfer_kb
LIVE_ISTGT_QD=$qd
LIVE_ISTGT_ABORT_READ_KB=$abort_kb
LIVE_ISTGT_SCENARIOS="$SCENARIOS"
EOF

cd "$REPO"
LIVE_ISTGT_DIR="$OUT" npx vitest run test/live/istgt.test.ts --reporter=default --reporter=json --outputFile="$WORK/vitest.json"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`istgt live: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numTodoTests + r.numPendingTests} to do`);
' "$WORK/vitest.json" 2>/dev/null || echo "istgt live: 0 passed, 1 failed"
[ $status = 0 ] || log "seed $seed failed; LIVE_ISTGT_SEED=$seed bash scripts/live-istgt.sh OUTDIR keeps the captures"
exit $status
