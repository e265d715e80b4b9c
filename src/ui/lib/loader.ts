// Runs one analysis in a fresh Web Worker. Cancel terminates the worker (immediate, frees its
// memory); a worker that dies, or runs out of memory, rejects with a LoadError saying so, and the
// page stays usable.

import * as Comlink from 'comlink';
import type { WorkerApi, WorkerProgress, WorkerResult } from '../../../workers/analyze.worker.ts';

export type { WorkerProgress, WorkerResult };

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

export class Loader {
  private current: { worker: Worker; abort: (e: LoadError) => void } | undefined;

  /** Analyse `file`; a running analysis is cancelled first. */
  async load(file: Blob, options: LoadOptions = {}): Promise<WorkerResult> {
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
    try {
      const progress = Comlink.proxy((p: WorkerProgress) => { if (this.current === current) options.onProgress?.(p); });
      return await Promise.race([remote.analyze(file, options.ports ?? [], progress, options.chunkSize), stopped]);
    } catch (e) {
      if (e instanceof LoadError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      if (msg.startsWith('OUT_OF_MEMORY: ')) {
        throw new LoadError('out-of-memory', `The capture is too big for the memory this browser tab may use (${msg.slice(15)}). Try a smaller capture, or the iscsi-inspect command line.`);
      }
      throw new LoadError('failed', `The analysis failed: ${msg}`);
    } finally {
      if (this.current === current) this.current = undefined;
      remote[Comlink.releaseProxy]();
      worker.terminate();
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
