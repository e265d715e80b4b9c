import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DigestCheck } from '../../src/iscsi/index.ts';
import { captureTests, findingsOf, loadCapture, pendingFindingTests } from './capture-checks.ts';
import { frameCapture } from './harness.ts';
import type { Capture } from './capture-checks.ts';
import * as wire from './wire-facts.ts';

/**
 * The istgt fixtures (test/fixtures/istgt, made by make.sh there; README.md says what each shows):
 * real istgt ↔ libiscsi / qemu traffic on a 1500-MTU veth. Every capture gets the checks of
 * capture-checks.ts; the numbers pinned below are read from tshark's decode beside each capture
 * (.tshark.tsv) and are the facts docs/istgt.md lists.
 */

const DIR = resolve(import.meta.dirname, '../fixtures/istgt');
/** `pending`: what keeps the engine from agreeing yet (its checks run with ISTGT_PENDING=1). */
const list = JSON.parse(readFileSync(join(DIR, 'captures.json'), 'utf8')) as Array<{ file: string; port: number; scenario: string; pending?: string }>;
const get = (file: string) => (): Capture => {
  const e = list.find((x) => x.file === file);
  if (!e) throw new Error(`${file} is not in captures.json`);
  return loadCapture(file, join(DIR, file), e.port);
};

describe('istgt fixtures', () => {
  for (const e of list) {
    describe.skipIf(e.pending !== undefined && !process.env.ISTGT_PENDING)(e.pending ? `${e.file} (skipped: ${e.pending}; ISTGT_PENDING=1 runs it)` : e.file, () => {
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

describe('abort.pcap: ABORT TASK while istgt was stopped, and the StatSN transposition (issue 14)', () => {
  const cap = get('abort.pcap');

  test('the READ\'s status (StatSN 17) comes before the ABORT TASK\'s answer (StatSN 16), both in frame 468', () => {
    const c = cap();
    expect(wire.statSnSwaps(c.rows, c.port)).toEqual([{ stream: 0, frames: [468, 468], statSNs: [17, 16] }]);
    const inFrame = c.pdus.filter((p) => p.frame === 468).map((p) => [p.opcode, p.itt, p.statSN]);
    expect(inFrame).toEqual([[0x25, 0x7f244dc0, 17], [0x22, 0x7f244dc1, 16]]);
  });

  test('ABORT TASK (frame 280) names the READ of frame 278 and is answered "Function complete" though the READ had its status', () => {
    const c = cap();
    expect(wire.tmfs(c.rows, c.port)).toEqual([
      { stream: 0, frame: 280, fn: 0x01, referencedTaskTag: 0x7f244dc0, commandFrame: 278, statusFrame: 468, responseFrame: 468, response: 0 },
      { stream: 0, frame: 282, fn: 0x05, referencedTaskTag: 0xffffffff, commandFrame: undefined, statusFrame: undefined, responseFrame: 470, response: 0 },
    ]);
    expect(findingsOf(c, 0, 'tmf').map((f) => [f.tmfFunction, f.referencedFrame, f.response])).toEqual([[0x01, 278, 0], [0x05, 278, 0]]);
  });

  test('istgt does not count immediate TMF requests in ExpCmdSN (frames 280, 282: CmdSN 1157784223; answers ExpCmdSN 1157784223)', () => {
    const c = cap();
    expect(wire.immediateCounted(c.rows, c.port).filter((x) => x.requestOpcode === 0x02)).toEqual([]);
    expect(c.pdus.filter((p) => p.opcode === 0x22).map((p) => p.expCmdSN)).toEqual([1157784223, 1157784223]);
  });
});

describe('the other fixtures: what istgt does that tgt does not', () => {
  test('discovery.pcap: iscsi-ls hangs after istgt counts its immediate Text Request (frame 8 → 9); a keepalive at 39; no Logout', () => {
    const c = get('discovery.pcap')();
    expect(wire.discoveryStreams(c.rows)).toEqual(new Set([0]));
    expect(wire.immediateCounted(c.rows, c.port)).toEqual([
      { stream: 0, requestFrame: 8, requestOpcode: 0x04, cmdSN: 2076096595, frame: 9, expCmdSN: 2076096596, highestCmdSN: undefined },
    ]);
    expect(wire.keepalives(c.rows, c.port)).toEqual([{ stream: 0, frame: 39, statSN: 3, nextStatSN: undefined, answered: false }]);
    expect(c.rows.some((r) => wire.opcodeOf(r) === 0x06)).toBe(false);
    // iscsi-ls also logged in to each target to list its LUNs: disk2 sends data digests there.
    expect(c.framed.flatMap((k) => k.framing.unnegotiatedDigests.map((u) => [k.stream, u.which, u.by, u.fromFrame]))).toEqual([[1, 'data', 'target', 20], [2, 'data', 'target', 35]]);
  });

  test('keepalive.pcap: NOP-Ins at frames 12 and 14 (ITT = TTT = 0xffffffff, StatSN 3), nobody answers, the Logout Response still carries 3', () => {
    const c = get('keepalive.pcap')();
    expect(wire.keepalives(c.rows, c.port)).toEqual([
      { stream: 0, frame: 12, statSN: 3, nextStatSN: 3, answered: false },
      { stream: 0, frame: 14, statSN: 3, nextStatSN: 3, answered: false },
    ]);
    // istgt also counts the immediate Logout (frame 16, CmdSN 211449937) in the Logout Response's
    // ExpCmdSN 211449938 (frame 17, tsv): the one defect here.
    expect(c.analysis.findings.map((f) => f.kind)).toEqual(['logout', 'expcmdsn-ahead']);
  });

  test('io.pcap: a 512 KiB READ as two Data-In PDUs (frame 616 F=0, no status; 826 with status), a write through R2T (frame 221)', () => {
    const c = get('io.pcap')();
    const read = c.pdus.filter((p) => p.opcode === 0x25 && p.itt === 0x37bdbc4a);
    expect(read.map((p) => [p.frame, p.final, p.dataSegmentLength, p.statSN])).toEqual([[616, false, 262144, undefined], [826, true, 262144, 13]]);
    expect(c.pdus.filter((p) => p.opcode === 0x31).map((p) => [p.frame, p.itt])).toEqual([[221, 0x37bdbc49]]);
  });

  test('unexecuted.pcap: istgt takes a zero-block WRITE(10) (frame 44) and never answers it — no status, no Reject; keepalives meanwhile', () => {
    const c = get('unexecuted.pcap')();
    expect(wire.unansweredCommands(c.rows, c.port)).toEqual([{ stream: 1, frame: 44, itt: 0x53ef2110 }]);
    expect(c.rows.some((r) => wire.opcodeOf(r) === 0x3f)).toBe(false);
    // It counted the WRITE (CmdSN 1485950427): its keepalives carry ExpCmdSN 1485950428.
    expect(wire.keepalives(c.rows, c.port).map((k) => k.frame)).toEqual([46, 48, 50]);
    expect(c.pdus.filter((p) => p.opcode === 0x20).map((p) => p.expCmdSN)).toEqual([1485950428, 1485950428, 1485950428]);
    expect(findingsOf(c, 1, 'command-unanswered').map((f) => f.frames[0])).toEqual([44]);
  });
});

describe('rst-in-flight.pcap: istgt resets while the initiator\'s 64 KiB WRITE is still on the wire', () => {
  // tshark: the second SCSI Command (ITT 0x68733041) completes in frame 152, after the target's RST
  // in frame 149; the engine ends both directions' framing at an RST.
  test('framing that ends only the RST sender\'s direction frames the WRITE whole, in the frame tshark shows', () => {
    const bytes = readFileSync(join(DIR, 'rst-in-flight.pcap'));
    const [k] = frameCapture(bytes, { ports: [43501] });
    expect(k.pdus.map((p) => [p.frame, p.opcode, p.itt, p.truncated])).toEqual([
      [4, 0x03, 0x6873303f, false], [6, 0x23, 0x6873303f, false], [74, 0x01, 0x68733040, false], [152, 0x01, 0x68733041, false],
    ]);
    expect(k.unframed).toEqual([]);
  });

  test('ended in both directions at the RST, as the engine does, the WRITE is cut short and the rest goes unframed', () => {
    const [k] = frameCapture(readFileSync(join(DIR, 'rst-in-flight.pcap')), { ports: [43501], rst: 'both' });
    expect(k.pdus.map((p) => [p.itt, p.truncated])).toEqual([[0x6873303f, false], [0x6873303f, false], [0x68733040, false], [0x68733041, true]]);
    expect(k.unframed.map((u) => u.cause)).toEqual(['lost-sync']);
  });
});
