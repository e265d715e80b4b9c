// Real-browser test support: build the site, serve it from a sub-path with a tiny static server,
// drive Debian's Chromium through playwright-core, and read the CLI's view of a capture.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The shared captures, by a path relative to the repo. */
export const CAPTURES = resolve(REPO, '../shared/captures');
/** Debian's Chromium; CHROMIUM_PATH overrides (e.g. to check the skip message with a path that does not exist). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Chromium flags: headless-safe, and no background traffic to Google (refused here anyway). */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
  '--disable-domain-reliability', '--metrics-recording-only', '--no-default-browser-check',
];

/** vite build of the page and the component-test harness into outDir. */
export async function buildSite(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    root: REPO,
    configFile: join(REPO, 'vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: false,
      rolldownOptions: { input: { main: join(REPO, 'index.html'), harness: join(REPO, 'test/ui/harness.html') } },
    },
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.pcap': 'application/vnd.tcpdump.pcap', '.map': 'application/json',
};

export interface Served {
  origin: string;
  /** The page's URL, ending in the sub-path and '/'. */
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Serve `root` at http://127.0.0.1:<free port>/<subPath>/ (and nothing outside it). */
export async function serve(root: string, subPath: string): Promise<Served> {
  const prefix = `/${subPath.replace(/^\/|\/$/g, '')}/`;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end('not under the sub-path');
      return;
    }
    let rel = path.slice(prefix.length) || 'index.html';
    if (rel.endsWith('/')) rel += 'index.html';
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: `${origin}${prefix}`,
    requests,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const run = promisify(execFile);

/** `iscsi-inspect <command> <file> --json` parsed. */
export async function cli<T>(command: string, file: string, ...extra: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [join(REPO, 'bin/iscsi-inspect.js'), command, file, ...extra], { cwd: REPO, maxBuffer: 256 << 20 })
    .catch((e: { stdout?: string; code?: number }) => {
      // exit 1 (capture not completely readable) still prints what was read
      if (e.code === 1 && e.stdout) return { stdout: e.stdout };
      throw e;
    });
  return JSON.parse(stdout) as T;
}

/** `iscsi-inspect pdus <file>` (jsonl) parsed. */
export async function cliPdus(file: string): Promise<Array<Record<string, unknown> & { conn: number; frame: number; opcode: number }>> {
  const { stdout } = await run(process.execPath, [join(REPO, 'bin/iscsi-inspect.js'), 'pdus', file], { cwd: REPO, maxBuffer: 256 << 20 });
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
