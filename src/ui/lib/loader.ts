// Runs one analysis in a fresh Web Worker, which then stays with the capture to re-read PDUs for the
// detail view. Cancel terminates a running analysis (immediate, frees its memory); a worker that
// dies, or runs out of memory, rejects with a LoadError saying so, and the page stays usable.

import * as Comlink from 'comlink';
import type { PageLogs, PduDetailData, PduDetailRequest, WorkerApi, WorkerProgress, WorkerResult } from '../../../workers/analyze.worker.ts';

export type { PageLogs, PduDetailData, PduDetailRequest, WorkerProgress, WorkerResult };
export type { DigestState, HeaderSource } from '../../../workers/analyze.worker.ts';

export type LoadErrorKind = 'cancelled' | 'worker-died' | 'out-of-memory' | 'failed';

export class LoadError extends Error {
  constructor(readonly kind: LoadErrorKind, message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

export interface LoadOptions {
  ports?: number[];
  chunkSize?: number;
  onProgress?: (p: WorkerProgress) => void;
}

/** The worker of an analysed capture: it holds the File and answers detail requests. */
export class CaptureWorker {
  private closed = false;

  constructor(private readonly worker: Worker, private readonly remote: Comlink.Remote<WorkerApi>) {}

  async pduDetail(request: PduDetailRequest): Promise<PduDetailData> {
    if (this.closed) throw new Error('the capture was closed');
    return this.remote.pduDetail(request);
  }

  /** Which files start like a capture, which are logs (by their first bytes). */
  async kinds(files: Blob[]): Promise<Array<'capture' | 'log'>> {
    if (this.closed) throw new Error('the capture was closed');
    return this.remote.kinds(files);
  }

  /** Host logs placed beside the capture (with any placed before). */
  async addLogs(files: Blob[], names: string[]): Promise<PageLogs | undefined> {
    if (this.closed) throw new Error('the capture was closed');
    return this.remote.addLogs(files, names);
  }

  /** Re-place the logs with log `file`'s offset set by the user (undefined: found from the events again). */
  async setLogOffset(file: number, seconds: number | undefined): Promise<PageLogs | undefined> {
    if (this.closed) throw new Error('the capture was closed');
    return this.remote.setLogOffset(file, seconds);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.remote[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}

export class Loader {
  private current: { worker: Worker; abort: (e: LoadError) => void } | undefined;

  /**
   * Analyse `files` (one capture; or several read as one, with any host logs among them); a running
   * analysis is cancelled first. The caller owns the returned worker.
   */
  async load(files: Blob[], names: string[], options: LoadOptions = {}): Promise<{ result: WorkerResult; worker: CaptureWorker }> {
    this.cancel();
    const worker = new Worker(new URL('../../../workers/analyze.worker.ts', import.meta.url), { type: 'module', name: 'iscsi-analysis' });
    let abort!: (e: LoadError) => void;
    const stopped = new Promise<never>((_, reject) => { abort = reject; });
    const current = { worker, abort };
    this.current = current;
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      const why = ev.message ? `: ${ev.message}` : '';
      abort(/memory/i.test(ev.message ?? '')
        ? new LoadError('out-of-memory', `The analysis ran out of memory${why}.`)
        : new LoadError('worker-died', `The analysis worker stopped unexpectedly${why}.`));
    });
    worker.addEventListener('messageerror', () => abort(new LoadError('worker-died', 'The analysis worker sent a message the page could not read.')));
    const remote = Comlink.wrap<WorkerApi>(worker);
    const progress = Comlink.proxy((p: WorkerProgress) => { if (this.current === current) options.onProgress?.(p); });
    try {
      const result = await Promise.race([remote.analyze(files, names, options.ports ?? [], progress, options.chunkSize), stopped]);
      return { result, worker: new CaptureWorker(worker, remote) };
    } catch (e) {
      remote[Comlink.releaseProxy]();
      worker.terminate();
      if (e instanceof LoadError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      if (msg.startsWith('OUT_OF_MEMORY: ')) {
        throw new LoadError('out-of-memory', `The capture is too big for the memory this browser tab may use (${msg.slice(15)}). Try a smaller capture, or the iscsi-inspect command line.`);
      }
      throw new LoadError('failed', `The analysis failed: ${msg}`);
    } finally {
      if (this.current === current) this.current = undefined;
    }
  }

  /** Stop the running analysis, if any. */
  cancel(): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    c.worker.terminate();
    c.abort(new LoadError('cancelled', 'Cancelled.'));
  }

  get busy(): boolean {
    return this.current !== undefined;
  }
}
