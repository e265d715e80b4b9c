#!/usr/bin/env node
/*
 * How src/capture/README.md measured the npm package pcap-ng-parser (not a dependency of this repo).
 *
 *   mkdir /tmp/pngp && cd /tmp/pngp && npm init -y && npm i pcap-ng-parser
 *   node test/capture/tools/measure-pcap-ng-parser.cjs /tmp/pngp
 *
 * Each file is read in a child process (the package can throw uncaught exceptions from inside its
 * stream), through fs.createReadStream → PCAPNGParser, and compared with the .tshark.tsv beside it:
 * packet count, and per packet frame.time_epoch, frame.cap_len and frame.interface_id. The package
 * gives only the raw 64-bit timestamp (timestampHigh / timestampLow) and cannot report the interface's
 * if_tsresol, so times are converted as microseconds, the pcapng default.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const [pkgDir, oneFile, hwm] = process.argv.slice(2);
if (oneFile) {
  // child: read one file, print JSON
  const PCAPNGParser = require(path.join(pkgDir, 'node_modules', 'pcap-ng-parser'));
  const p = new PCAPNGParser();
  const out = { packets: [], error: null };
  let done = false;
  const finish = () => { if (!done) { done = true; process.stdout.write(JSON.stringify(out)); process.exit(0); } };
  process.on('uncaughtException', (e) => { out.error = `uncaught ${e.name}: ${e.message}`; finish(); });
  p.on('data', (pk) => out.packets.push({ iface: pk.interfaceId, ts: ((BigInt(pk.timestampHigh) << 32n) | BigInt(pk.timestampLow)).toString(), capLen: pk.data.length }));
  p.on('error', (e) => { out.error = String(e.message || e); finish(); });
  p.on('close', finish);
  fs.createReadStream(oneFile, { highWaterMark: Number(hwm || 65536) }).pipe(p);
  return;
}

function glob(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const f = path.join(dir, e.name);
    return e.isDirectory() ? glob(f) : [f];
  }).sort();
}
function run(file, highWaterMark) {
  const r = spawnSync(process.execPath, [__filename, pkgDir, file, String(highWaterMark || '')], { timeout: 30000, encoding: 'utf8', maxBuffer: 1 << 28 });
  try { return JSON.parse(r.stdout); } catch { return { packets: [], error: `no result (exit ${r.status}${r.error ? ', ' + r.error.code : ''})` }; }
}
const usTime = (ts) => { const t = BigInt(ts); return `${t / 1000000n}.${(t % 1000000n).toString().padStart(6, '0')}000`; };

const root = '/work/shared/conformance/pcapng';
const files = glob(root).filter((f) => f.endsWith('.pcapng'));
let exact = 0, exactNonEmpty = 0, nonEmpty = 0;
for (const f of files) {
  const rows = fs.readFileSync(f.replace(/\.pcapng$/, '.tshark.tsv'), 'utf8').trim().split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
  const res = run(f);
  const why = [];
  if (res.error) why.push(`error: ${res.error}`);
  if (res.packets.length !== rows.length) why.push(`${res.packets.length} packets, tshark ${rows.length}`);
  let badTime = 0, badOther = 0;
  for (let i = 0; i < Math.min(rows.length, res.packets.length); i++) {
    const p = res.packets[i], e = rows[i];
    if (usTime(p.ts) !== e[1]) badTime++;
    if (String(p.capLen) !== e[2] || String(p.iface) !== e[4]) badOther++;
  }
  if (badTime) why.push(`${badTime} wrong timestamps`);
  if (badOther) why.push(`${badOther} wrong cap_len / interface`);
  if (rows.length) nonEmpty++;
  if (!why.length) { exact++; if (rows.length) exactNonEmpty++; }
  console.log(`${why.length ? 'FAIL' : 'ok  '} ${path.relative(root, f)}${rows.length ? '' : ' (no packets)'} ${why.join('; ')}`);
}
console.log(`\nconformance: ${exact} / ${files.length} files read as tshark does; of the ${nonEmpty} files holding packets: ${exactNonEmpty}`);
for (const f of ['/work/shared/captures/basic-io.pcap', '/work/shared/captures/pcapng-nano.pcapng']) {
  const r = run(f);
  console.log(`${path.basename(f)}: ${r.packets.length} packets${r.error ? `, error: ${r.error}` : ''}`);
}
const small = run(path.join(root, 'output_le/basic/test001.pcapng'), 7);
console.log(`test001.pcapng in 7-byte stream chunks: ${small.packets.length} packets${small.error ? `, error: ${small.error}` : ''}`);
