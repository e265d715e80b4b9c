import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DigestCheck } from '../../src/iscsi/index.ts';
import { captureTests, findingsOf, loadCapture, pendingFindingTests } from './capture-checks.ts';
import type { Capture } from './capture-checks.ts';
import * as wire from './wire-facts.ts';

/**
 * The istgt fixtures (test/fixtures/istgt, made by make.sh there; README.md says what each shows):
 * real istgt ↔ libiscsi / qemu traffic on a 1500-MTU veth. Every capture gets the checks of
 * capture-checks.ts; the numbers pinned below are read from tshark's decode beside each capture
 * (.tshark.tsv) and are the facts docs/istgt.md lists.
 */

const DIR = resolve(import.meta.dirname, '../fixtures/istgt');
const list = JSON.parse(readFileSync(join(DIR, 'captures.json'), 'utf8')) as Array<{ file: string; port: number; scenario: string }>;
const get = (file: string) => (): Capture => {
  const e = list.find((x) => x.file === file);
  if (!e) throw new Error(`${file} is not in captures.json`);
  return loadCapture(file, join(DIR, file), e.port);
};

describe('istgt fixtures', () => {
  for (const e of list) {
    describe(e.file, () => {
      captureTests(e.file, get(e.file));
      pendingFindingTests(e.file, get(e.file));
    });
  }
});

describe('digest-reject.pcap: DataDigest=Reject, then a CRC32C after every data segment istgt sends (issue 14)', () => {
  const cap = get('digest-reject.pcap');

  test('the Logout Response after the Data-In and its digest is a Logout Response, not a Reject (frame 41)', () => {
    const c = cap();
    const rsp = c.pdus.find((p) => p.frame === 41);
    expect(rsp).toMatchObject({ opcode: 0x26, itt: 0x2434248c, statSN: 3, expCmdSN: 1833233514 });
    expect(c.pdus.some((p) => p.opcode === 0x3f)).toBe(false);
  });

  test('the data digests of the three connections that carry data, from the first target PDU with data', () => {
    const c = cap();
    // tshark: iscsi.datadigest32 first on frames 10 (SCSI Response with sense), 25 and 39 (Data-In).
    const got = c.framed.flatMap((k) => k.framing.unnegotiatedDigests.map((u) => [k.stream, u.fromFrame, u.pdus]));
    expect(got).toEqual([[0, 10, 1], [1, 25, 2], [2, 39, 1]]);
    const dataPdus = c.framed.flatMap((k) => k.pdus.filter((p) => p.fromTarget && p.dataSegmentLength > 0 && p.opcode !== 0x23));
    expect(dataPdus.map((p) => [p.frame, p.dataDigest])).toEqual([[10, DigestCheck.Ok], [25, DigestCheck.Ok], [27, DigestCheck.Ok], [39, DigestCheck.Ok]]);
    for (const k of c.framed) expect(k.framing.dataDigest).toBe(0); // the login's answer: Reject
  });

  test('no false reject, statsn-gap or data-segment-over-limit; the Logout is answered', () => {
    const c = cap();
    const kinds = c.analysis.findings.map((f) => f.kind);
    for (const k of ['reject', 'statsn-gap', 'data-segment-over-limit', 'digest-error']) expect(kinds).not.toContain(k);
    expect(findingsOf(c, 2, 'logout').length).toBe(1);
  });

  test('istgt counted the immediate Logout in ExpCmdSN (frame 40 CmdSN 1833233513 → frame 41 ExpCmdSN 1833233514)', () => {
    expect(wire.immediateCounted(cap().rows, 3260)).toEqual([
      { stream: 2, requestFrame: 40, requestOpcode: 0x06, cmdSN: 1833233513, frame: 41, expCmdSN: 1833233514, highestCmdSN: 1833233512 },
    ]);
  });
});
