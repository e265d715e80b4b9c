import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';
import { beforeCaptures, OUT } from './before.ts';

// Findings whose message is made when read (checks/format.ts lazyMessage) must print exactly what
// the eager strings printed: the reference is the output of the commit before the change (see
// test/fixtures/hostile/README.md), for every shared capture and every test fixture.
describe('findings made compact print what they printed before', () => {
  for (const c of beforeCaptures()) {
    test(c.name, () => {
      const { analysis } = analyzeFile(c.path);
      const findings = `${JSON.stringify(analysis.findings, null, 2)}\n`;
      expect(findings).toBe(readFileSync(join(OUT, `${c.name}.findings.json`), 'utf8'));
      expect(`${JSON.stringify(analysis.incidents, null, 2)}\n`).toBe(readFileSync(join(OUT, `${c.name}.incidents.json`), 'utf8'));
      // The page receives them by structured clone, the CLI's --log and Parquet paths by spread.
      expect(`${JSON.stringify(structuredClone(analysis.findings), null, 2)}\n`).toBe(findings);
      expect(`${JSON.stringify(analysis.findings.map((f) => ({ ...f })), null, 2)}\n`).toBe(findings);
    });
  }
});

test('a message assigned replaces the one made when read', () => {
  const { analysis } = analyzeFile(join(beforeCaptures()[0].path));
  const f = analysis.findings.find((x) => x.kind === 'closed-without-logout' || x.kind === 'logout' || x.kind === 'nop-ping');
  expect(f).toBeDefined();
  if (!f) return;
  const keys = Object.keys(f);
  f.message = 'replaced';
  expect(f.message).toBe('replaced');
  expect(Object.keys(f)).toEqual(keys);
  expect(JSON.parse(JSON.stringify(f)).message).toBe('replaced');
});
