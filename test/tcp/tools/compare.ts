/** Dev tool: our TCP events against tshark's for captures with a CAP.tcpflags.tsv beside them.
 *  usage: node --import tsx test/tcp/tools/compare.ts CAP... */
import { readTsv, runTcpFile, ourEventRows, tsharkEventRows } from '../support.ts';

for (const cap of process.argv.slice(2)) {
  const run = runTcpFile(cap, { ports: (process.env.PORTS ?? '3260').split(',').map(Number) });
  const ours = ourEventRows(run.events);
  const theirs = tsharkEventRows(readTsv(`${cap}.tcpflags.tsv`));
  const byFrame = new Map(theirs.map((r) => [r.frame, r]));
  const ourBy = new Map(ours.map((r) => [r.frame, r]));
  let bad = 0;
  const frames = [...new Set([...byFrame.keys(), ...ourBy.keys()])].sort((a, b) => a - b);
  for (const f of frames) {
    const a = ourBy.get(f), t = byFrame.get(f);
    const same = a && t && a.events.join() === t.events.join() && a.seq === t.seq && a.ack === t.ack && a.len === t.len && a.win === t.win;
    if (!same) {
      if (bad++ < 30) console.log(f, 'ours', a ? JSON.stringify(a) : '-', 'tshark', t ? JSON.stringify(t) : '-');
    }
  }
  console.log(`${cap}: ${ours.length} events ours, ${theirs.length} tshark, ${bad} frames differ`);
}
