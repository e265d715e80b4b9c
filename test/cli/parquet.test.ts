/**
 * Parquet output read back by an independent reader: DuckDB (@duckdb/node-api, its own C++ Parquet
 * reader), never hyparquet, the writer's sibling. Expected values come from tshark's decode beside
 * each capture and from the captures' README.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ParquetFileWriter, secondsToNs } from '../../src/cli/parquet.ts';
import { PDU_COLUMNS } from '../../src/cli/tables.ts';
import { CAPTURES, readTsv, sharedCaptures } from '../support/shared.ts';
import { jsonLines, runCli } from './run.ts';
import { tcpCommandBoth } from './tcp-checks.ts';

let db: DuckDBConnection;
let dir = '';

beforeAll(async () => {
  db = await (await DuckDBInstance.create(':memory:')).connect();
  dir = mkdtempSync(join(tmpdir(), 'iscsi-parquet-'));
});
afterAll(() => {
  db?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, unknown>;
async function query(sql: string): Promise<Row[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJS() as Row[];
}

/** tshark's "0x56eed26f" or "12" as a number; "" as undefined. */
function num(s: string | undefined): number | undefined {
  return s === undefined || s === '' ? undefined : Number(s);
}

/** tshark's frame.time_epoch "1795378228.691729834" as integer nanoseconds. */
function epochNs(s: string): bigint {
  const [sec, frac] = s.split('.');
  return BigInt(sec) * 1_000_000_000n + BigInt((frac ?? '').padEnd(9, '0'));
}

describe('pdus --format parquet', () => {
  const capture = join(CAPTURES, 'basic-io.pcap');
  let file = '';
  beforeAll(async () => {
    file = join(dir, 'basic-io.pdus.parquet');
    const r = await runCli(['pdus', capture, '--format', 'parquet', '-o', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  test('typed columns as DuckDB reads them', async () => {
    const types = Object.fromEntries((await query(`describe select * from '${file}'`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({
      capture: 'VARCHAR', conn: 'INTEGER', frame: 'BIGINT', firstFrame: 'BIGINT', time: 'TIMESTAMP_NS', opcode: 'UTINYINT',
      itt: 'UINTEGER', ttt: 'UINTEGER', cmdSN: 'UINTEGER', statSN: 'UINTEGER', dataSegmentLength: 'UINTEGER', truncated: 'BOOLEAN',
      lun: 'USMALLINT', name: 'VARCHAR', keys: 'JSON',
    });
  });

  test('every PDU tshark decoded, field for field, with the capture name on each row', async () => {
    const theirs = readTsv(`${capture}.tshark.tsv`);
    const ours = await query(`select capture, frame, opcode, itt, ttt, cmdSN, expStatSN, statSN, expCmdSN, maxCmdSN, dataSN, r2tSN,
      dataSegmentLength, epoch_ns(time) as ns from '${file}' order by frame, firstFrame`);
    expect(ours.length).toBe(theirs.length);
    theirs.forEach((t, i) => {
      const o = ours[i];
      expect(o.capture).toBe(capture);
      expect(Number(o.frame)).toBe(Number(t['frame.number']));
      expect(o.opcode).toBe(num(t['iscsi.opcode']));
      expect(o.itt).toBe(num(t['iscsi.initiatortasktag']));
      for (const [ours_, theirs_] of [['cmdSN', 'iscsi.cmdsn'], ['expStatSN', 'iscsi.expstatsn'], ['statSN', 'iscsi.statsn'],
        ['expCmdSN', 'iscsi.expcmdsn'], ['maxCmdSN', 'iscsi.maxcmdsn'], ['dataSN', 'iscsi.datasn'], ['r2tSN', 'iscsi.r2tsn']] as const) {
        if (t[theirs_] !== '') expect(o[ours_]).toBe(num(t[theirs_]));
      }
      if (t['iscsi.targettransfertag'] !== '') expect(o.ttt).toBe(num(t['iscsi.targettransfertag']));
      expect(o.dataSegmentLength).toBe(num(t['iscsi.datasegmentlength']));
      // The analysis carries times as doubles (±0.12 µs at today's epoch); the column holds ns.
      const diff = (o.ns as bigint) - epochNs(t['frame.time_epoch']);
      expect(diff < 0n ? -diff : diff).toBeLessThanOrEqual(500n);
    });
    // Tags above 2^31 survive as UINT_32: the reserved 0xffffffff was among the values compared.
    expect(theirs.some((t) => t['iscsi.targettransfertag'] === '0xffffffff')).toBe(true);
  });

  test('no key of the JSONL listing is left out of the schema (every shared capture)', async () => {
    const columns = new Set(PDU_COLUMNS.map((c) => c.name));
    const missing = new Set<string>();
    for (const f of sharedCaptures()) {
      for (const rec of jsonLines((await runCli(['pdus', join(CAPTURES, f)])).stdout)) {
        for (const k of Object.keys(rec)) if (!columns.has(k)) missing.add(k);
      }
    }
    expect([...missing]).toEqual([]);
  });
});

describe('findings --format parquet', () => {
  test('the ping-timeout capture: its 5 unanswered pings, details as JSON', async () => {
    const file = join(dir, 'ping.findings.parquet');
    const capture = join(CAPTURES, 'initiator-ping-timeout.pcap');
    expect((await runCli(['findings', capture, '--format', 'parquet', '-o', file])).code).toBe(0);
    const json = JSON.parse((await runCli(['findings', capture, '--json'])).stdout) as Row[];
    const rows = await query(`select kind, severity, conn, message, details->>'then' as then, epoch_ns(time) as ns, frames from '${file}'`);
    expect(rows.length).toBe(json.length);
    // The capture's README: 5 pings unanswered, then the initiator's FIN.
    const unanswered = rows.filter((r) => r.kind === 'nop-ping-unanswered');
    expect(unanswered.length).toBe(5);
    expect(unanswered.every((r) => r.then === 'initiator-fin' && r.severity === 'error')).toBe(true);
    rows.forEach((r, i) => {
      expect(r.message).toBe(json[i].message);
      expect(JSON.parse(r.frames as string)).toEqual(json[i].frames);
    });
  });

  test('--min-severity applies; usage errors are exit 2', async () => {
    const file = join(dir, 'errors.parquet');
    const capture = join(CAPTURES, 'initiator-ping-timeout.pcap');
    expect((await runCli(['findings', capture, '--format', 'parquet', '-o', file, '--min-severity', 'error'])).code).toBe(0);
    expect((await query(`select distinct severity from '${file}'`)).map((r) => r.severity)).toEqual(['error']);
    expect((await runCli(['findings', capture, '--format', 'parquet'])).code).toBe(2);
    expect((await runCli(['summary', capture, '--format', 'parquet', '-o', file])).code).toBe(2);
    expect((await runCli(['pdus', capture, '-o', file])).code).toBe(2);
  });
});

describe('tcp --format parquet', () => {
  test('a lossy capture: every TCP event tshark flags, typed, with its names as JSON', async () => {
    const capture = join(import.meta.dirname, '../fixtures/tcp/loss-heavy-rto.pcap');
    const file = join(dir, 'loss.tcp.parquet');
    expect((await runCli(['tcp', capture, '--format', 'parquet', '-o', file])).code).toBe(0);
    const types = Object.fromEntries((await query(`describe select * from '${file}'`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({ capture: 'VARCHAR', frame: 'BIGINT', time: 'TIMESTAMP_NS', tcpConn: 'INTEGER', dir: 'VARCHAR', events: 'JSON', seq: 'UINTEGER', win: 'UINTEGER' });
    const { tshark } = await tcpCommandBoth(capture);
    const rows = await query(`select frame, tcpConn, dir, events, seq, ack, len, win from '${file}' order by frame`);
    expect(rows.map((r) => ({ ...r, frame: Number(r.frame), events: JSON.parse(r.events as string) as string[] }))).toEqual(tshark);
  });
});

describe('ParquetFileWriter', () => {
  test('row groups bound memory: 200,001 rows in groups of 65,536, read back exactly', async () => {
    const file = join(dir, 'groups.parquet');
    const w = await ParquetFileWriter.create(file, [
      { name: 'i', type: 'int64', required: true }, { name: 'tag', type: 'uint32' }, { name: 'name', type: 'string' },
      { name: 't', type: 'timestampNs' }, { name: 'flag', type: 'bool' },
    ], { rowGroupRows: 65_536 });
    const n = 200_001;
    let tagSum = 0n;
    for (let i = 0; i < n; i++) {
      const tag = (i * 2654435761) >>> 0;
      tagSum += BigInt(tag);
      await w.add({ i, tag, name: i % 3 ? `n${i % 7}` : undefined, t: 1_700_000_000_123_456_789n + BigInt(i), flag: i % 2 === 0 });
    }
    await w.close();
    const groups = await query(`select count(distinct row_group_id)::int as g from parquet_metadata('${file}')`);
    expect(groups[0].g).toBe(4);
    const [r] = await query(`select count(*)::int as n, sum(tag)::hugeint as tags, count(name)::int as names, sum(i)::hugeint as isum,
      min(epoch_ns(t)) as t0, max(epoch_ns(t)) as t1, count(*) filter (where flag)::int as flags from '${file}'`);
    expect(r.n).toBe(n);
    expect(r.tags).toBe(tagSum);
    expect(r.names).toBe(n - Math.ceil(n / 3));
    expect(r.isum).toBe(BigInt((n - 1) * n / 2));
    expect(r.t0).toBe(1_700_000_000_123_456_789n);
    expect(r.t1).toBe(1_700_000_000_123_456_789n + BigInt(n - 1));
    expect(r.flags).toBe(Math.ceil(n / 2));
  });

  test('seconds to nanoseconds keeps the fraction a double holds', () => {
    expect(secondsToNs(1795378228.691729834)).toBeGreaterThanOrEqual(1795378228691729834n - 200n);
    expect(secondsToNs(1795378228.691729834)).toBeLessThanOrEqual(1795378228691729834n + 200n);
    expect(secondsToNs(1.5)).toBe(1_500_000_000n);
    expect(secondsToNs(-0.25)).toBe(-250_000_000n);
  });
});

describe('a fleet: one query over a directory of Parquet files', () => {
  test('slowest commands per target (the README example)', async () => {
    const fleet = join(dir, 'fleet');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(fleet);
    for (const f of ['slow-target-abort.pcap', 'basic-io.pcap', 'header-digest.pcap']) {
      expect((await runCli(['pdus', join(CAPTURES, f), '--format', 'parquet', '-o', join(fleet, `${f}.parquet`)])).code).toBe(0);
    }
    const sql = readFileSync(join(import.meta.dirname, 'fixtures/slowest-commands.sql'), 'utf8').replaceAll('DIR', fleet);
    const rows = await query(sql);
    expect(rows.length).toBeGreaterThan(0);
    // The capture's README: the target froze with a READ(16) outstanding and answered it at ~8 s.
    const top = rows[0];
    expect(String(top.capture)).toMatch(/slow-target-abort\.pcap$/);
    expect(top.scsiOpcodeName).toBe('READ(16)');
    expect(Number(top.latency_ms)).toBeGreaterThan(7000);
    expect(Number(top.latency_ms)).toBeLessThan(9000);
    expect(String(top.target)).toMatch(/^iqn\./);
  });
});
