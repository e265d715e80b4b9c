// Several capture files read as one (a tcpdump ring, rotated files, captures of both hosts): one
// packet stream with frames numbered across the files. Files that follow each other in time come out
// one after the other, as `mergecap -a` concatenates them; files whose times overlap are merged by
// time, as `mergecap` does by default — the caller is told which.

import { CaptureError } from './errors.ts';
import { maybeGunzip } from './gzip.ts';
import { CaptureReader } from './reader.ts';
import type { CaptureInfo, InterfaceInfo, NonPacketRecord } from './reader.ts';
import type { PacketRecord, PacketSink } from './types.ts';

/** Files are told apart in a packet's fileOffset: file k's bytes sit at k × FILE_OFFSET_SPAN + offset. */
export const FILE_OFFSET_SPAN = 2 ** 40;

/** The file (index among the sources) and the offset within it of a packed fileOffset. */
export function unpackFileOffset(v: number): { file: number; offset: number } {
  const file = Math.floor(v / FILE_OFFSET_SPAN);
  return { file, offset: v - file * FILE_OFFSET_SPAN };
}

export interface CaptureSource {
  name: string;
  chunks: AsyncIterable<Uint8Array>;
}

export interface MergeOptions {
  /** Said once, when the files are found to overlap in time (or come out of time order). */
  onMerged?: (message: string) => void;
  /** Called after each chunk read from any file, with the bytes read so far over all files. */
  onChunk?: (bytesRead: number) => void | Promise<void>;
  /** Also delivers the pcapng blocks that take a frame number but hold no packet. */
  onNonPacketRecord?: (r: NonPacketRecord) => void;
  signal?: AbortSignal;
}

export interface MergeResult {
  /** What the files hold together (format of the first, bytes and packets summed, every interface). */
  info: CaptureInfo;
  /** The files' problems, each prefixed with its name; reading went on with the others. */
  errors: CaptureError[];
  /** Whether the files' times overlapped, so the packets were merged by time. */
  merged: boolean;
}

interface Queued {
  packet: PacketRecord | undefined;
  other: NonPacketRecord | undefined;
  /** Capture time, for the merge (a record without one keeps the file's last). */
  time: number;
}

/** One file: its reader, the records it has decoded but not yet delivered. */
class FileQueue implements PacketSink {
  readonly reader: CaptureReader;
  private readonly input: AsyncIterator<Uint8Array>;
  readonly queue: Queued[] = [];
  private head = 0;
  done = false;
  error: CaptureError | undefined;
  private lastTime = -Infinity;
  bytesIn = 0;

  constructor(readonly index: number, readonly name: string, chunks: AsyncIterable<Uint8Array>, nonPacket: boolean) {
    this.reader = new CaptureReader(this, nonPacket ? { onNonPacketRecord: (r) => this.other(r) } : {});
    const counted = (async function* (q: FileQueue): AsyncIterable<Uint8Array> {
      for await (const c of chunks) {
        q.bytesIn += c.length;
        yield c;
      }
    })(this);
    this.input = maybeGunzip(counted, { onGzip: () => { this.reader.compression = 'gzip'; } })[Symbol.asyncIterator]();
  }

  packet(p: PacketRecord): void {
    // The reader reuses its record and its buffer: keep a copy until the merge delivers it.
    const data = p.data.slice(p.dataOffset, p.dataOffset + p.capLen);
    if (p.hasTime) this.lastTime = p.tsSec + p.tsNsec * 1e-9;
    this.queue.push({ packet: { ...p, data, dataOffset: 0 }, other: undefined, time: this.lastTime });
  }

  private other(r: NonPacketRecord): void {
    this.queue.push({ packet: undefined, other: { ...r }, time: this.lastTime });
  }

  get peek(): Queued | undefined {
    return this.head < this.queue.length ? this.queue[this.head] : undefined;
  }

  take(): Queued {
    const q = this.queue[this.head++];
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return q;
  }

  /** Read until a record is queued or the file ends. */
  async fill(): Promise<boolean> {
    while (this.peek === undefined && !this.done) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.input.next();
      } catch (e) {
        this.fail(e);
        break;
      }
      if (r.done) {
        try {
          this.reader.end();
        } catch (e) {
          this.fail(e);
        }
        this.done = true;
        break;
      }
      try {
        this.reader.push(r.value);
      } catch (e) {
        this.fail(e);
      }
    }
    return this.peek !== undefined;
  }

  private fail(e: unknown): void {
    if (!(e instanceof CaptureError)) throw e;
    this.error = new CaptureError(e.kind, `${this.name}: ${e.message}`, e.packetsRead, e.offset);
    this.done = true;
  }
}

/**
 * Deliver the packets of several capture files to `sink` as one capture: frame numbers run on
 * across the files; each record's fileOffset says its file (k × FILE_OFFSET_SPAN + offset). While
 * every file's packets come after the previous file's the output is their concatenation; once a
 * file holds a packet earlier than one of a file before it still being read, the rest is merged by
 * time (and `onMerged` is told).
 */
export async function mergeCaptures(sources: readonly CaptureSource[], sink: PacketSink, options: MergeOptions = {}): Promise<MergeResult> {
  const files = sources.map((s, k) => new FileQueue(k, s.name, s.chunks, options.onNonPacketRecord !== undefined));
  let frame = 0;
  let merged = false;
  let current = 0;
  let bytes = 0;
  const readBytes = (): number => files.reduce((n, f) => n + f.bytesIn, 0);
  for (;;) {
    if (options.signal?.aborted) break;
    // The file being read, and the earliest head of any later one: concatenation while the current
    // file's head is not later than them, a merge by time from the first time it is.
    while (current < files.length && !(await files[current].fill())) current++;
    if (current >= files.length) break;
    let pick = current;
    if (!merged) {
      // Concatenating: the next file's first record is enough to tell an overlap (reading it opens
      // just one more file).
      const next = current + 1 < files.length ? files[current + 1] : undefined;
      if (next !== undefined && (await next.fill()) && (next.peek as Queued).time < (files[current].peek as Queued).time) {
        merged = true;
        options.onMerged?.(`${sources[current + 1].name} holds packets from before the end of ${sources[current].name}: the files overlap in time, so their packets are merged by time (as mergecap does)`);
      }
    }
    if (merged) {
      for (let k = 0; k < files.length; k++) {
        if (k === current || !(await files[k].fill())) continue;
        if ((files[k].peek as Queued).time < (files[pick].peek as Queued).time) pick = k;
      }
    }
    const q = files[pick].take();
    frame++;
    if (q.packet) {
      q.packet.frame = frame;
      q.packet.fileOffset += pick * FILE_OFFSET_SPAN;
      sink.packet(q.packet);
    } else if (q.other) {
      options.onNonPacketRecord?.({ ...q.other, frame, fileOffset: q.other.fileOffset + pick * FILE_OFFSET_SPAN });
    }
    const now = readBytes();
    if (now !== bytes) {
      bytes = now;
      await options.onChunk?.(bytes);
    }
  }
  return { info: combinedInfo(files, frame), errors: files.flatMap((f) => (f.error ? [f.error] : [])), merged };
}

function combinedInfo(files: FileQueue[], frames: number): CaptureInfo {
  const infos = files.map((f) => f.reader.info);
  const first = infos.find((i) => i.format !== null) ?? infos[0];
  const interfaces: InterfaceInfo[] = [];
  for (const i of infos) for (const iface of i.interfaces) interfaces.push(iface);
  return {
    ...first,
    compression: infos.some((i) => i.compression === 'gzip') ? 'gzip' : null,
    packets: infos.reduce((n, i) => n + i.packets, 0),
    frames,
    bytesConsumed: infos.reduce((n, i) => n + i.bytesConsumed, 0),
    bytesPushed: infos.reduce((n, i) => n + i.bytesPushed, 0),
    sections: infos.flatMap((i) => i.sections),
    interfaces,
  };
}
