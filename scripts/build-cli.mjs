#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports) into plain JavaScript in dist-cli/, so
// `iscsi-inspect` starts without a TypeScript compiler. Plain .mjs: it runs before anything is built.
//
// dist-cli/manifest.json lists every input file with its size and mtime: bin/iscsi-inspect.js runs
// the bundle only while all of them are unchanged, so an edit under src/ is never met by old code.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-cli');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: out,
  bundle: true,
  // Code only some commands need (the Parquet writer) sits in its own chunk, loaded when asked for.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

// package.json is an input too: a new dependency version changes what the bundle should hold.
const inputs = {};
for (const path of [...Object.keys(result.metafile.inputs), 'package.json']) {
  const st = statSync(join(root, path));
  inputs[path] = { size: st.size, mtimeMs: st.mtimeMs };
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify({ version: pkg.version, inputs }, null, 1)}\n`);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`dist-cli/: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB, from ${Object.keys(inputs).length} inputs (${relative(process.cwd(), out) || '.'})`);
