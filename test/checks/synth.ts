import { SynthCapture, loginKeys } from '../../src/synth/index.ts';
import type { SynthConnection } from '../../src/synth/index.ts';
import type { PduInput } from '../../src/codec/index.ts';
import type { CheckOptions } from '../../src/checks/index.ts';
import type { Finding } from '../../src/engine/types.ts';
import { analyzeBytes } from '../support/analyze.ts';

/**
 * A scripted iSCSI conversation for synthetic captures. It keeps the sequence numbers a correct peer
 * would (CmdSN, StatSN, the command window), so a test only writes what it is about; any field can
 * be overridden per PDU to make a peer misbehave.
 */
export interface ConvOptions {
  initiator?: string;
  target?: string;
  initiatorName?: string;
  targetName?: string;
  isid?: string;
  tsih?: number;
  cid?: number;
  discovery?: boolean;
  statSN?: number;
  cmdSN?: number;
  /** Commands the target allows beyond ExpCmdSN (MaxCmdSN = ExpCmdSN + window − 1). */
  window?: number;
  /** Negotiate CRC32C digests in the login and put them on every later PDU. */
  headerDigest?: boolean;
  dataDigest?: boolean;
  /** More keys for the final Login Response (e.g. ErrorRecoveryLevel). */
  responseKeys?: Array<[string, string]>;
}

export const RESERVED = 0xffffffff;

export class Conv {
  readonly c: SynthConnection;
  readonly o: Required<ConvOptions>;
  /** The StatSN the target will put in its next status. */
  statSN: number;
  /** The CmdSN of the next non-immediate command. */
  cmdSN: number;
  window: number;
  nextItt = 0x10;

  constructor(readonly cap: SynthCapture, opts: ConvOptions = {}) {
    this.o = {
      initiator: '10.0.0.1:40000', target: '10.0.0.2:3260', initiatorName: 'iqn.2024-01.test:host1',
      targetName: 'iqn.2024-01.test:disk1', isid: '80:12:34:56:00:00', tsih: 0x100, cid: 0, discovery: false,
      statSN: 100, cmdSN: 1000, window: 64, headerDigest: false, dataDigest: false, responseKeys: [], ...opts,
    };
    this.statSN = this.o.statSN;
    this.cmdSN = this.o.cmdSN;
    this.window = this.o.window;
    this.c = cap.connection(this.o.initiator, this.o.target);
  }

  /** ExpCmdSN / MaxCmdSN the target advertises: it has seen every command so far. */
  win(): { expCmdSN: number; maxCmdSN: number } {
    return { expCmdSN: this.cmdSN >>> 0, maxCmdSN: (this.cmdSN + this.window - 1) >>> 0 };
  }

  /** An initiator PDU; CmdSN / ExpStatSN default to the correct values. Returns its frame. */
  i(pdu: PduInput): number {
    const p = { cmdSN: this.cmdSN, expStatSN: this.statSN, ...pdu } as PduInput;
    return last(this.c.send('initiator', p, { digests: this.digests(p) }));
  }

  /** Digests go on every PDU after the login (RFC 7143 §13.1), never on Login PDUs. */
  digests(p: PduInput): { headerDigest: boolean; dataDigest: boolean } {
    const login = p.opcode === 0x03 || p.opcode === 0x23;
    return { headerDigest: !login && this.o.headerDigest, dataDigest: !login && this.o.dataDigest };
  }

  /** A target PDU; StatSN / ExpCmdSN / MaxCmdSN default to the correct values. Returns its frame. */
  t(pdu: PduInput): number {
    const p = { statSN: this.statSN, ...this.win(), ...pdu } as PduInput;
    return last(this.c.send('target', p, { digests: this.digests(p) }));
  }

  /** Handshake, one-step Login Request / final Login Response. Returns [request, response] frames. */
  login(opts: { statusClass?: number; statusDetail?: number; responseAfter?: number; noResponse?: boolean } = {}): number[] {
    this.c.handshake();
    const keys = loginKeys(this.o.initiatorName, this.o.targetName, {
      discovery: this.o.discovery, headerDigest: this.o.headerDigest, dataDigest: this.o.dataDigest,
    });
    const itt = this.itt();
    const req = this.i({
      opcode: 0x03, immediate: true, itt, isid: this.o.isid, tsih: 0, cid: this.o.cid, transit: true, csg: 1, nsg: 3,
      keys: keys.request, expStatSN: 0,
    });
    if (opts.noResponse) return [req];
    if (opts.responseAfter) this.cap.wait(opts.responseAfter);
    const failed = (opts.statusClass ?? 0) !== 0;
    const rsp = this.t({
      opcode: 0x23, itt, isid: this.o.isid, tsih: failed ? 0 : this.o.tsih, transit: !failed, csg: 1, nsg: failed ? 0 : 3,
      keys: failed ? [] : [...keys.response, ...this.o.responseKeys], loginStatusClass: opts.statusClass ?? 0, loginStatusDetail: opts.statusDetail ?? 0,
    });
    this.statSN++;
    return [req, rsp];
  }

  itt(): number {
    return this.nextItt++;
  }

  /** A non-immediate SCSI command (CmdSN advances). */
  command(scsiOpcode = 0x28, extra: Partial<PduInput> = {}): { itt: number; frame: number } {
    const itt = this.itt();
    const frame = this.i({ opcode: 0x01, itt, scsiOpcode, read: scsiOpcode === 0x28 || scsiOpcode === 0x88, lun: 1,
      expectedDataTransferLength: 4096, ...extra } as PduInput);
    this.cmdSN++;
    return { itt, frame };
  }

  /** SCSI Response (advances StatSN). */
  response(itt: number, status = 0, extra: Partial<PduInput> = {}): number {
    const f = this.t({ opcode: 0x21, itt, status, ...extra } as PduInput);
    this.statSN++;
    return f;
  }

  /** Data-In; with status (S = 1) it advances StatSN, without it carries none. */
  dataIn(itt: number, withStatus: boolean, extra: Partial<PduInput> = {}): number {
    const f = this.t({ opcode: 0x25, itt, statusPresent: withStatus, final: withStatus, status: 0, lun: 1,
      statSN: withStatus ? this.statSN : 0, data: new Uint8Array(512), ...extra } as PduInput);
    if (withStatus) this.statSN++;
    return f;
  }

  /** R2T: carries the next StatSN without advancing it. */
  r2t(itt: number, ttt = 0x5000, extra: Partial<PduInput> = {}): number {
    return this.t({ opcode: 0x31, itt, ttt, lun: 1, desiredDataTransferLength: 4096, ...extra } as PduInput);
  }

  dataOut(itt: number, ttt = 0x5000, extra: Partial<PduInput> = {}): number {
    return this.i({ opcode: 0x05, itt, ttt, lun: 1, data: new Uint8Array(512), ...extra } as PduInput);
  }

  /** A NOP-Out ping. open-iscsi sends it immediate; libiscsi non-immediate (consuming CmdSN). */
  ping(opts: { immediate?: boolean; itt?: number } = {}): { itt: number; frame: number } {
    const itt = opts.itt ?? this.itt();
    const immediate = opts.immediate ?? true;
    const frame = this.i({ opcode: 0x00, immediate, itt, ttt: RESERVED, lun: 0 });
    if (!immediate) this.cmdSN++;
    return { itt, frame };
  }

  /** The target's NOP-In answering a ping (advances StatSN). */
  pong(itt: number): number {
    const f = this.t({ opcode: 0x20, itt, ttt: RESERVED, lun: 0 });
    this.statSN++;
    return f;
  }

  /** A keepalive NOP-Out: ITT = TTT = 0xffffffff, immediate, no answer expected. */
  keepalive(): number {
    return this.i({ opcode: 0x00, immediate: true, itt: RESERVED, ttt: RESERVED, lun: 0 });
  }

  /** A target ping: NOP-In with ITT 0xffffffff and a TTT; carries the next StatSN, does not advance it. */
  targetPing(ttt: number, lun = 0): number {
    return this.t({ opcode: 0x20, itt: RESERVED, ttt, lun });
  }

  /** The initiator's echo of a target ping. */
  echo(ttt: number, extra: Partial<PduInput> = {}): number {
    return this.i({ opcode: 0x00, immediate: true, itt: RESERVED, ttt, lun: 0, ...extra } as PduInput);
  }

  tmf(fn: number, ref: number, extra: Partial<PduInput> = {}): { itt: number; frame: number } {
    const itt = this.itt();
    const frame = this.i({ opcode: 0x02, immediate: true, itt, tmfFunction: fn, referencedTaskTag: ref, lun: 1, ...extra } as PduInput);
    return { itt, frame };
  }

  tmfResponse(itt: number, response = 0): number {
    const f = this.t({ opcode: 0x22, itt, response });
    this.statSN++;
    return f;
  }

  /** Logout Request (immediate) and its Response. Returns [request, response]. */
  logout(reason = 0, response = 0): number[] {
    const itt = this.itt();
    const req = this.i({ opcode: 0x06, immediate: true, itt, logoutReason: reason, cid: this.o.cid });
    const rsp = this.t({ opcode: 0x26, itt, response });
    this.statSN++;
    return [req, rsp];
  }

  /** Discovery: SendTargets=All and the answer. */
  sendTargets(): number[] {
    const itt = this.itt();
    const req = this.i({ opcode: 0x04, immediate: true, itt, ttt: RESERVED, keys: [['SendTargets', 'All']] });
    const rsp = this.t({ opcode: 0x24, itt, ttt: RESERVED, keys: [['TargetName', this.o.targetName], ['TargetAddress', '10.0.0.2:3260,1']] });
    this.statSN++;
    return [req, rsp];
  }

  fin(side: 'initiator' | 'target'): number {
    return this.c.fin(side);
  }

  rst(side: 'initiator' | 'target'): number {
    return this.c.rst(side);
  }

  /** Both FINs, initiator first: the usual close after a Logout. */
  close(): number[] {
    return [this.c.fin('initiator'), this.c.fin('target')];
  }
}

function last(frames: number[]): number {
  return frames[frames.length - 1];
}

/** The writer hands its bytes out once; keep them so a capture can be checked again. */
const written = new WeakMap<SynthCapture, Uint8Array>();

export function bytesOf(cap: SynthCapture): Uint8Array {
  let b = written.get(cap);
  if (b === undefined) {
    b = cap.bytes();
    written.set(cap, b);
  }
  return b;
}

/** Analyse a synthetic capture: the Analysis, the model and the findings. */
export function check(cap: SynthCapture, options: Partial<CheckOptions> = {}) {
  const { analysis, pdus } = analyzeBytes(bytesOf(cap), 1 << 20, { checks: options });
  return { analysis, pdus, model: analysis.model, findings: analysis.findings };
}

export function kinds(findings: readonly Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.kind] = (out[f.kind] ?? 0) + 1;
  return out;
}

export function only(findings: readonly Finding[], kind: string): Finding[] {
  return findings.filter((f) => f.kind === kind);
}

export { SynthCapture };
