import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError, CaptureReader, type CaptureInfo, type CaptureReaderOptions, type NonPacketRecord, type PacketRecord } from '../../src/capture/index.ts';

export const SHARED = '/work/shared';
export const CONFORMANCE = `${SHARED}/conformance/pcapng`;
export const CAPTURES = `${SHARED}/captures`;

export function glob(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const f = join(dir, e);
    if (statSync(f).isDirectory()) out.push(...glob(f, re));
    else if (re.test(e)) out.push(f);
  }
  return out;
}

/** A packet as the sink saw it, copied (the reader reuses its record and buffers). */
export type Packet = Omit<PacketRecord, 'data' | 'dataOffset'> & { bytes: Uint8Array };

/** A non-packet record, copied (its bytes instead of the buffer view). */
export type NonPacket = Omit<NonPacketRecord, 'data' | 'dataOffset'> & { bytes: number[] };

export interface ReadResult {
  packets: Packet[];
  nonPackets: NonPacket[];
  info: CaptureInfo;
  error: CaptureError | null;
}

/** tshark's frame.time_epoch format: seconds, a dot, 9 digits. */
export function epoch(p: { hasTime: boolean; tsSec: number; tsNsec: number }): string {
  return p.hasTime ? `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}` : '';
}

/** Read `bytes` pushed in chunks of `chunkSize` (whole when omitted). CaptureErrors are returned, not thrown. */
export function readBytes(bytes: Uint8Array, chunkSize = bytes.length || 1, options: CaptureReaderOptions = {}): ReadResult {
  const packets: Packet[] = [];
  const nonPackets: NonPacket[] = [];
  const reader = new CaptureReader({
    packet(p) {
      packets.push({
        frame: p.frame, hasTime: p.hasTime, tsSec: p.tsSec, tsNsec: p.tsNsec, capLen: p.capLen,
        origLen: p.origLen, interfaceId: p.interfaceId, linkType: p.linkType, fileOffset: p.fileOffset,
        bytes: p.data.slice(p.dataOffset, p.dataOffset + p.capLen),
      });
    },
  }, {
    ...options,
    onNonPacketRecord(r) {
      const { data, dataOffset, ...rest } = r;
      nonPackets.push({ ...rest, bytes: Array.from(data.subarray(dataOffset, dataOffset + r.length)) });
      options.onNonPacketRecord?.(r);
    },
  });
  let error: CaptureError | null = null;
  try {
    for (let o = 0; o < bytes.length; o += chunkSize) reader.push(bytes.subarray(o, Math.min(bytes.length, o + chunkSize)));
    reader.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
  }
  return { packets, nonPackets, info: reader.info, error };
}

/** Read and expect no error. */
export function readOk(bytes: Uint8Array, chunkSize?: number, options?: CaptureReaderOptions): ReadResult {
  const r = readBytes(bytes, chunkSize, options);
  if (r.error !== null) throw r.error;
  return r;
}

/** Digest of every field of every packet and non-packet record, and of the packet bytes. */
export function digest(r: Pick<ReadResult, 'packets' | 'nonPackets'>): string {
  const h = createHash('sha256');
  for (const p of r.packets) {
    h.update(`${p.frame}|${p.hasTime}|${p.tsSec}|${p.tsNsec}|${p.capLen}|${p.origLen}|${p.interfaceId}|${p.linkType}|${p.fileOffset}|`);
    h.update(p.bytes);
  }
  for (const n of r.nonPackets) h.update(JSON.stringify(n));
  return h.digest('hex');
}

/** Rows of a tshark -T fields TSV (header dropped, checked). */
export function tsvRows(text: string, header: string[]): string[][] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const head = lines.shift()?.split('\t') ?? [];
  if (head.slice(0, header.length).join('\t') !== header.join('\t')) {
    throw new Error(`unexpected TSV header: ${head.join(' | ')}`);
  }
  return lines.map((l) => l.split('\t'));
}

export async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.subarray(o, Math.min(bytes.length, o + size));
}
