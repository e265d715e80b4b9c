import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { maybeGunzip } from '../../src/capture/index.ts';
import { alignLogs, collectLog, logsJson, parseLogText, timeline } from '../../src/logs/index.ts';
import { FIXTURES, wireOf } from './wire.ts';

// The keys docs/findings.md "logs --json" names, and the additions this layer makes.
const OFFSET_KEYS = new Set(['file', 'seconds', 'source', 'matches', 'spreadMs', 'clock', 'zone', 'skewSeconds', 'ambiguous']);
const LINE_KEYS = new Set(['file', 'line', 'text', 'time', 'kind', 'conn', 'finding', 'incident']);

describe('logs --json', () => {
  test('offsets per file, every line in capture-time order, keys as the contract names them', () => {
    const w = wireOf('initiator-ping-timeout');
    const names = ['host/messages', 'host/journal.txt', 'host/dmesg.txt'];
    const files = ['initiator-ping-timeout.syslog', 'initiator-ping-timeout.journal', 'initiator-ping-timeout.dmesg'];
    const lines = files.flatMap((f, i) => parseLogText(readFileSync(join(FIXTURES, f), 'utf8'), i).lines);
    const a = alignLogs(lines, w.events, { captureStart: w.start });
    const placed = timeline(lines, a, w.events, { captureStart: w.start, conns: w.conns });
    // The engine says which finding a matched line's wire event belongs to; here: the ping timeout is finding 7.
    const json = JSON.parse(JSON.stringify(logsJson(names, a, placed, (p) =>
      p.event !== undefined && w.events[p.event].kind === 'ping-timeout' ? { finding: 7, incident: 0 } : undefined))) as {
      offsets: Record<string, unknown>[]; lines: Record<string, unknown>[];
    };
    expect(json.offsets.map((o) => [o.file, o.source, o.matches])).toEqual([
      ['host/messages', 'events', 6], ['host/journal.txt', 'events', 6], ['host/dmesg.txt', 'events', 2],
    ]);
    for (const o of json.offsets) for (const k of Object.keys(o)) expect(OFFSET_KEYS.has(k), k).toBe(true);
    expect(json.lines.length).toBe(lines.length);
    for (const l of json.lines) for (const k of Object.keys(l)) expect(LINE_KEYS.has(k), k).toBe(true);
    const times = json.lines.map((l) => l.time as number);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // Times are microseconds, like the capture's.
    for (const t of times) expect(Math.abs(t * 1e6 - Math.round(t * 1e6))).toBeLessThan(1e-3);
    const ping = json.lines.filter((l) => l.kind === 'ping-timeout');
    expect(ping.map((l) => [l.file, l.conn, l.finding, l.incident]).sort()).toEqual([
      ['host/dmesg.txt', 0, 7, 0], ['host/journal.txt', 0, 7, 0], ['host/messages', 0, 7, 0],
    ]);
    const cron = json.lines.find((l) => String(l.text).includes('CRON'));
    expect(cron).toBeDefined();
    expect('kind' in (cron as object)).toBe(false);
  });

  test('a log that cannot be placed: its lines have no time', () => {
    const lines = parseLogText('[ 12.000000] sd 2:0:0:0: [sdb] Attached SCSI disk\n', 0).lines;
    const w = wireOf('initiator-ping-timeout');
    const a = alignLogs(lines, w.events, { captureStart: w.start });
    const j = logsJson(['dmesg'], a, timeline(lines, a, w.events, { captureStart: w.start }));
    expect(j.offsets).toEqual([{ file: 'dmesg', source: 'none', matches: 0, clock: 'boot' }]);
    expect(j.lines).toEqual([{ file: 'dmesg', line: 1, text: '[ 12.000000] sd 2:0:0:0: [sdb] Attached SCSI disk' }]);
  });

  test('a rotated, gzipped log reads through the capture layer\'s gunzip like a plain one', async () => {
    const text = readFileSync(join(FIXTURES, 'initiator-ping-timeout.syslog'));
    const gz = gzipSync(text);
    async function* chunks(b: Uint8Array): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < b.length; i += 97) yield b.subarray(i, i + 97);
    }
    const plain = await collectLog(0, chunks(new Uint8Array(text)));
    const unzipped = await collectLog(0, maybeGunzip(chunks(new Uint8Array(gz))));
    expect(unzipped.lines).toEqual(plain.lines);
    expect(unzipped.summary).toEqual(plain.summary);
  });
});
