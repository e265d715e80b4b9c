/**
 * Writes test/fixtures/hostile/findings-before/: for every shared capture and every capture under
 * test/fixtures, the findings as `findings --json` prints them (JSON.stringify(…, null, 2) and a
 * newline) and the incidents, as the engine given (default: this checkout's) makes them.
 *
 *   node --import tsx test/hostile/tools/findings-before.ts [ENGINE_MODULE]
 *
 * Run it on the commit before a change that must not change the output, with that commit's engine
 * (a bundle of its src/engine/index.ts), never on the change itself: the files are what it is
 * compared with (test/hostile/findings-compact.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeCaptures, OUT } from '../before.ts';

const engine = process.argv[2] ? pathToFileURL(resolve(process.argv[2])).href : '../../../src/engine/index.ts';
const { Analyzer } = await import(engine) as typeof import('../../../src/engine/index.ts');
mkdirSync(OUT, { recursive: true });
for (const c of beforeCaptures()) {
  const a = new Analyzer();
  a.push(new Uint8Array(readFileSync(c.path)));
  const r = a.finish();
  writeFileSync(join(OUT, `${c.name}.findings.json`), `${JSON.stringify(r.findings, null, 2)}\n`);
  writeFileSync(join(OUT, `${c.name}.incidents.json`), `${JSON.stringify(r.incidents, null, 2)}\n`);
  console.log(c.name, r.findings.length, 'findings', r.incidents.length, 'incidents');
}
