import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { formatHash, parseHash } from '../../src/ui/lib/hash.ts';
import { csvCell, findingsCsv, findingsCsvParts, findingsJson, findingsJsonParts, incidentsJson, parseCsv } from '../../src/ui/lib/export.ts';
import type { Finding, Incident } from '../../src/engine/index.ts';
import { wrap, clip } from '../../src/ui/lib/text.ts';
import { linuxView } from '../../src/ui/lib/explain-finding.ts';

describe('the selection in the URL hash', () => {
  test('round trip', () => {
    fc.assert(fc.property(
      fc.record({ view: fc.option(fc.constantFrom('pair:0', 'session:3', 'conns:1,4,9'), { nil: undefined }), conn: fc.option(fc.nat(100000), { nil: undefined }), frame: fc.option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: undefined }), n: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }), finding: fc.option(fc.nat(5000), { nil: undefined }) }),
      (s) => {
        const want = { ...s };
        if (want.frame === undefined) delete want.n;
        for (const k of Object.keys(want) as Array<keyof typeof want>) if (want[k] === undefined) delete want[k];
        expect(parseHash(formatHash(s))).toEqual(want);
      },
    ));
  });

  test('junk is ignored, never thrown', () => {
    expect(parseHash('#conn=abc&frame=-3&n=2&finding=1e9')).toEqual({});
    expect(parseHash('')).toEqual({});
    expect(parseHash('#conn=3&frame=0')).toEqual({ conn: 3 });
    expect(formatHash({})).toBe('');
    expect(formatHash({ conn: 2, frame: 10, n: 0 })).toBe('#conn=2&frame=10');
  });

  test('a link names its capture: name (any characters) and size survive the round trip', () => {
    const s = { capture: 'ring #3 & co.pcap', size: 1234567, conn: 2, frame: 10, n: 1 };
    expect(parseHash(formatHash(s))).toEqual(s);
    expect(parseHash('#capture=&size=x&conn=1')).toEqual({ conn: 1 });
  });
});

const FINDINGS: Finding[] = [
  { kind: 'nop-ping-unanswered', severity: 'error', conn: 0, time: 1795378186.5, frames: [21, 31], message: 'NOP-Out ping, "quoted", no answer, ISCSI_ERR_NOP_TIMEDOUT (1022)', itt: 0x191ae5b9, waitedMs: 5011, then: 'initiator-fin' },
  { kind: 'login-churn', severity: 'warning', conns: [1, 2, 3], time: 1795378190, frames: [1, 2], message: '=HYPERLINK("x")\nsecond line', logins: 30, initiator: '+iqn.evil' },
];

describe('findings export', () => {
  test('JSON is the CLI\'s array', () => {
    expect(JSON.parse(findingsJson(FINDINGS))).toEqual(FINDINGS);
  });

  test('CSV: fixed columns, then every detail key; quoting survives a round trip', () => {
    const rows = parseCsv(findingsCsv(FINDINGS));
    expect(rows[0]).toEqual(['kind', 'severity', 'conn', 'time', 'frames', 'message', 'initiator', 'itt', 'logins', 'then', 'waitedMs']);
    expect(rows[1].slice(0, 6)).toEqual(['nop-ping-unanswered', 'error', '0', '1795378186.5', '21 31', FINDINGS[0].message]);
    expect(rows[1][7]).toBe(String(0x191ae5b9));
    expect(rows[2][2]).toBe('1 2 3');
    // text a spreadsheet would run as a formula is defused
    expect(rows[2][5]).toBe(`'${FINDINGS[1].message}`);
    expect(rows[2][6]).toBe("'+iqn.evil");
    expect(rows).toHaveLength(3);
  });

  test('cells', () => {
    expect(csvCell(undefined)).toBe('');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell([1, 2])).toBe('"[1,2]"');
  });

  test('a cell a spreadsheet would run as a formula is defused, leading whitespace or not (OWASP "CSV Injection")', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell(' =1+2')).toBe("' =1+2");
    expect(csvCell('   +cmd')).toBe("'   +cmd");
    expect(csvCell('\u00a0-2+3')).toBe("'\u00a0-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=x')).toBe("'\t=x");
    // a line break first: defused and quoted (RFC 4180)
    expect(csvCell('\n=HYPERLINK("x")')).toBe('"\'\n=HYPERLINK(""x"")"');
    expect(csvCell('\r\n@x')).toBe('"\'\r\n@x"');
    expect(csvCell('\tplain')).toBe("'\tplain");
    expect(csvCell('\uff1d1+1')).toBe("'\uff1d1+1");
    // not a formula: left alone
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('iqn.2024-01.x:disk-1')).toBe('iqn.2024-01.x:disk-1');
    expect(csvCell(' spaced')).toBe(' spaced');
    // the round trip keeps the defused text
    expect(parseCsv(`${csvCell('\n=1')},${csvCell(' @2')}\r\n`)).toEqual([["'\n=1", "' @2"]]);
  });

  test('the JSON export is built in parts, each of a bounded number of findings; joined it is the array JSON.stringify prints', () => {
    const many: Finding[] = Array.from({ length: 4321 }, (_, i) => ({ ...FINDINGS[i % FINDINGS.length], time: 1795378186 + i * 0.001, frames: [i + 1] }));
    const parts = findingsJsonParts(many);
    expect(parts.join('')).toBe(`${JSON.stringify(many, null, 2)}\n`);
    expect(parts).toHaveLength(Math.ceil(many.length / 1000) + 2);
    const one = JSON.stringify(many[0], null, 2).length + 8;
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1000 * (one + 64));
    expect(findingsJsonParts([]).join('')).toBe(`${JSON.stringify([], null, 2)}\n`);
    expect(JSON.parse(findingsJson(many, 1e-6))).toHaveLength(many.length);
    const csv = findingsCsvParts(many);
    expect(csv).toHaveLength(Math.ceil(many.length / 1000) + 1);
    expect(parseCsv(csv.join(''))).toHaveLength(many.length + 1);
  });
});

describe('text helpers', () => {
  test('wrap and clip', () => {
    expect(wrap('one two three four five', 9, 2)).toEqual(['one two', 'three fo…']);
    expect(wrap('short', 20, 3)).toEqual(['short']);
    expect(clip('abcdef', 4)).toBe('abc…');
  });

  test('what Linux logs for a finding', () => {
    const v = linuxView(FINDINGS[0])!;
    expect(v.code).toBe(1022);
    expect(v.errorName).toBe('ISCSI_ERR_NOP_TIMEDOUT');
    expect(v.lines.some((l) => l.includes('detected conn error (1022)'))).toBe(true);
    expect(linuxView(FINDINGS[1])).toBeUndefined();
  });
});

describe('exports with ISO times', () => {
  test('findings JSON and CSV carry the UTC time beside the epoch seconds', () => {
    // 1795378186.5 s since the epoch is 2026-11-22T20:09:46.5Z (`date -u -d @1795378186`)
    const json = JSON.parse(findingsJson(FINDINGS, 1e-6)) as Array<Record<string, unknown>>;
    expect(json[0].timeIso).toBe('2026-11-22T20:09:46.500000Z');
    expect(json.map((f) => f.kind)).toEqual(FINDINGS.map((f) => f.kind));
    expect({ ...json[0], timeIso: undefined }).toEqual({ ...FINDINGS[0], timeIso: undefined });
    const rows = parseCsv(findingsCsv(FINDINGS, 1e-6));
    expect(rows[0].slice(0, 7)).toEqual(['kind', 'severity', 'conn', 'time', 'frames', 'message', 'timeIso']);
    expect(rows[1][6]).toBe('2026-11-22T20:09:46.500000Z');
  });

  test('incidents JSON: the CLI\'s keys, with ISO times at start, end and every step', () => {
    const inc: Incident = {
      kind: 'ping-timeout', severity: 'error', conns: [0, 1], start: 1795378186.505504, end: 1795378195.527132, headline: 'h',
      chain: [{ time: 1795378186.505504, frame: 21, conn: 0, what: 'w' }], findings: [3],
    };
    const [out] = JSON.parse(incidentsJson([inc], 1e-6)) as Array<Record<string, unknown> & { chain: Array<Record<string, unknown>> }>;
    expect(out.startIso).toBe('2026-11-22T20:09:46.505504Z');
    expect(out.endIso).toBe('2026-11-22T20:09:55.527132Z');
    expect(out.chain[0]).toEqual({ time: 1795378186.505504, timeIso: '2026-11-22T20:09:46.505504Z', frame: 21, conn: 0, what: 'w' });
    for (const k of ['kind', 'severity', 'conns', 'start', 'end', 'headline', 'findings'] as const) expect(out[k]).toEqual(inc[k]);
  });
});
