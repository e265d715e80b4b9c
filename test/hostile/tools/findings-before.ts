/**
 * Writes test/fixtures/hostile/findings-before/: for every shared capture and every capture under
 * test/fixtures, the findings as `findings --json` prints them (JSON.stringify(…, null, 2) and a
 * newline) and the incidents, as the engine of a given commit makes them.
 *
 *   node --import tsx test/hostile/tools/findings-before.ts REF     (a commit, branch or tag)
 *
 * REF's src/ is taken with `git archive` and its src/engine/index.ts bundled with esbuild into a
 * temporary directory; this checkout's captures are read with it. Give the commit before a change
 * that must not change the output, never the change itself: these files are what
 * test/hostile/findings-compact.test.ts compares the change's output with.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { beforeCaptures, OUT } from '../before.ts';

const ref = process.argv[2];
if (!ref) throw new Error('usage: findings-before.ts REF (the commit before the change)');
const root = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'findings-before-'));
try {
  const commit = execFileSync('git', ['rev-parse', ref], { cwd: root, encoding: 'utf8' }).trim();
  const tar = execFileSync('git', ['archive', commit, 'src'], { cwd: root, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', tmp], { input: tar });
  const bundle = join(tmp, 'engine.mjs');
  await build({
    entryPoints: [join(tmp, 'src/engine/index.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle,
    nodePaths: [join(root, 'node_modules')], logLevel: 'warning',
  });
  const { Analyzer } = await import(pathToFileURL(bundle).href) as typeof import('../../../src/engine/index.ts');
  mkdirSync(OUT, { recursive: true });
  for (const c of beforeCaptures()) {
    const a = new Analyzer();
    a.push(new Uint8Array(readFileSync(c.path)));
    const r = a.finish();
    writeFileSync(join(OUT, `${c.name}.findings.json`), `${JSON.stringify(r.findings, null, 2)}\n`);
    writeFileSync(join(OUT, `${c.name}.incidents.json`), `${JSON.stringify(r.incidents, null, 2)}\n`);
  }
  console.log(`${beforeCaptures().length} captures' findings and incidents written from ${commit}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
