/**
 * The exit contract under pressure: running out of memory, or of room for the output, is its own
 * one-line message and exit status (args.ts EXIT), never a stack trace, and what was analysed up to
 * then is still reported.
 */
import { constrainedMemory } from 'node:process';
import { totalmem } from 'node:os';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CaptureError, fmtInt } from '../capture/index.ts';
import { EXIT } from './args.ts';

/** The output (stdout, or the -o file) could not be written: disk full, I/O error, no permission. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EFBIG: 'file too large', EIO: 'I/O error',
  EROFS: 'read-only file system', EACCES: 'permission denied', EPERM: 'not permitted', ENOENT: 'no such directory',
  EISDIR: 'is a directory', EBADF: 'not open for writing',
};

/** An fs error from writing `what` as a one-line OutputError. */
export function outputError(what: string, e: unknown): OutputError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? `${REASONS[code] ?? 'cannot write'} (${code})` : e instanceof Error ? e.message : String(e);
  return new OutputError(`cannot write ${what}: ${reason}`);
}

/**
 * stdout failing (`> /dev/full`, a full disk) ends the run with EXIT.outputFailed and one line on
 * stderr; a reader that went away (`| head`) ends it quietly with EXIT.analysed, as before.
 */
export function guardStdout(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): void {
  stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.analysed);
    stderr.write(`iscsi-inspect: ${outputError('the output', e).message}\n`);
    process.exit(EXIT.outputFailed);
  });
}

/**
 * Raised from inside the analysis when memory runs short. It is a CaptureError so the engine treats
 * it as it treats a capture that stops: reading ends, everything before it is analysed and reported.
 */
export class OutOfMemoryError extends CaptureError {
  constructor(message: string, packetsRead: number) {
    super('truncated', message, packetsRead, 0);
  }
}

export interface MemoryStats {
  /** The JavaScript heap's old generation (what --max-old-space-size limits), in use. */
  heapUsed: number;
  heapLimit: number;
  rss: number;
  /** What this process may use at most: the cgroup's limit where there is one, else the machine's memory. */
  memoryLimit: number;
}

/**
 * V8 aborts when its old generation outgrows --max-old-space-size; heap_size_limit adds the young
 * generation on top (48 MiB or more), which at a small limit is most of it. So the old generation's
 * use is compared with the flag where it was given, else with heap_size_limit.
 */
export function memoryStats(): MemoryStats {
  const h = getHeapStatistics();
  let oldUsed = 0;
  for (const s of getHeapSpaceStatistics()) if (!s.space_name.startsWith('new_')) oldUsed += s.space_used_size;
  const flag = /--max-old-space-size[= ](\d+)/.exec(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
  const oldLimit = flag ? Math.min(Number(flag[1]) * 2 ** 20, h.heap_size_limit) : h.heap_size_limit;
  const limit = constrainedMemory?.() ?? 0;
  const total = totalmem();
  return { heapUsed: oldUsed, heapLimit: oldLimit, rss: process.memoryUsage.rss(), memoryLimit: limit > 0 && limit < total ? limit : total };
}

/**
 * Checks, between chunks, that the JavaScript heap stays below `heapFraction` of V8's limit (past
 * it V8 aborts the process with a trace) and the resident size below `rssFraction` of the memory the
 * process may have (past it the kernel kills it without a word). The margin leaves room to finish:
 * the sessions, the checks and the output of what was read. Half: finishing took up to ~1.8× the heap
 * that reading had built (30,000 short connections: ~105 MB read, more than 192 MB at the end).
 */
/** Of V8's limit, what reading and the estimated finish may take together. */
const FINISH_FRACTION = 0.85;

/**
 * A full garbage collection, where V8 lets us ask for one: the heap's "used" counts garbage not yet
 * collected, and V8 collects lazily while the limit is far, so a capture whose live data fits
 * could otherwise be stopped as out of memory.
 */
export function fullCollection(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryGuard {
  tripped: OutOfMemoryError | undefined;
  /** The heap in use after the last collection this guard asked for (-1: none yet). */
  private collectedAt = -1;

  constructor(
    private readonly stats: () => MemoryStats = memoryStats,
    private readonly heapFraction = 0.5,
    private readonly rssFraction = 0.85,
    private readonly collect: (() => void) | undefined = stats === memoryStats ? fullCollection() : undefined,
  ) {}

  /**
   * Throws OutOfMemoryError (once) when memory is short; `packets` says how far the analysis got,
   * `finishBytes` what finishing what was read will still allocate (the analyzer's estimate): the
   * guard trips while there is room for it.
   */
  check(packets: number, finishBytes = 0): void {
    if (this.tripped) return;
    let s = this.stats();
    let why = shortOfMemory(s, finishBytes, this.heapFraction, this.rssFraction);
    if (why && this.collect && (this.collectedAt < 0 || s.heapUsed - this.collectedAt > s.heapLimit * 0.1)) {
      // Only garbage may be over the line: collect, then judge what is live. Not again until the
      // heap has grown by a tenth of its limit since, so a heap near the line is not collected at
      // every look.
      this.collect();
      s = this.stats();
      this.collectedAt = s.heapUsed;
      why = shortOfMemory(s, finishBytes, this.heapFraction, this.rssFraction);
    }
    if (!why) return;
    this.tripped = new OutOfMemoryError(`Out of memory after ${fmtInt(packets)} packets: ${why}; the analysis stopped there, and what was read is reported`, packets);
    throw this.tripped;
  }
}

/** Why memory is short (undefined: it is not). */
function shortOfMemory(s: MemoryStats, finishBytes: number, heapFraction: number, rssFraction: number): string | undefined {
  const mb = (n: number): string => `${fmtInt(Math.round(n / 2 ** 20))} MB`;
  const finishing = finishBytes > 0 ? `, and finishing what was read needs about ${mb(finishBytes)} more` : '';
  if (s.heapUsed > s.heapLimit * heapFraction || s.heapUsed + finishBytes > s.heapLimit * FINISH_FRACTION) {
    return `the JavaScript heap holds ${mb(s.heapUsed)} of its ${mb(s.heapLimit)} limit${finishing} (node --max-old-space-size=… raises it)`;
  }
  if (s.rss > s.memoryLimit * rssFraction || s.rss + finishBytes > s.memoryLimit * rssFraction) {
    return `the process uses ${mb(s.rss)} of the ${mb(s.memoryLimit)} it may have${finishing}`;
  }
  return undefined;
}

/** A RangeError V8 raises when an allocation cannot be had (not a programming error to trace). */
export function isAllocationFailure(e: unknown): boolean {
  return e instanceof RangeError && /allocation failed|invalid (typed )?array length|invalid string length|out of memory/i.test(e.message);
}
