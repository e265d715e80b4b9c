import { explainErrorCode, scsiCommandName } from '../codec/index.ts';
import type { Finding, Severity } from '../engine/types.ts';
import { round3 } from '../sessions/index.ts';
import type { EndEvent } from '../sessions/index.ts';

/** Text for messages: tags as 0x%08x, durations in the unit a person reads at a glance. */

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

export function hex8(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** 8000.7 → "8.0 s", 85 → "85 ms", 0.085 → "0.085 ms". */
export function duration(ms: number): string {
  const a = Math.abs(ms);
  if (a >= 999.5) return `${(ms / 1000).toFixed(1)} s`;
  if (a >= 9.95) return `${ms.toFixed(0)} ms`;
  if (a >= 0.9995) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** Milliseconds between two capture times (seconds), to the microsecond. */
export function msBetween(from: number, to: number): number {
  return round3((to - from) * 1000);
}

/** "READ(16)" from CDB bytes 0 and 1 (bytes 1 name the service action of 0x9e, 0xa3 …). */
export function commandName(op: number, cdb1: number): string {
  return scsiCommandName(Uint8Array.of(op, cdb1));
}

/** How the wait ended, in words: "the initiator closed the connection (FIN)". */
export function endWords(e: EndEvent): string {
  switch (e) {
    case 'initiator-fin': return 'the initiator closed the connection (FIN)';
    case 'initiator-reset': return 'the initiator reset the connection (RST)';
    case 'target-fin': return 'the target closed the connection (FIN)';
    case 'target-reset': return 'the target reset the connection (RST)';
    case 'capture-end': return 'the capture ended';
  }
}

/** "ISCSI_ERR_NOP_TIMEDOUT (1022)" from the codec's table of kernel errors. */
export function linuxError(code: number): string {
  const e = explainErrorCode(code);
  return e === undefined ? `error ${code}` : `${e.errorName} (${code})`;
}

/**
 * A name from the wire made safe for a one-line message: control characters (newlines included)
 * shown as \xNN, and very long values cut. HTML is the page's business, not ours.
 */
export function printable(text: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Frames sorted, without repeats or zeros. */
export function frameList(...frames: Array<number | undefined>): number[] {
  const set = new Set<number>();
  for (const f of frames) if (f !== undefined && f > 0) set.add(f);
  return [...set].sort((a, b) => a - b);
}

/** A finding with the common keys first, then the kind's details (undefined ones left out). */
export function finding(
  kind: string, severity: Severity, where: { conn?: number; conns?: number[] }, time: number, frames: number[],
  message: string, details: Record<string, unknown>,
): Finding {
  const f = { kind, severity } as Finding;
  if (where.conn !== undefined) f.conn = where.conn;
  if (where.conns !== undefined) f.conns = where.conns;
  f.time = time;
  f.frames = frames;
  f.message = message;
  for (const [k, v] of Object.entries(details)) if (v !== undefined) f[k] = v;
  return f;
}
