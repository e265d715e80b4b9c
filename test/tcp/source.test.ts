import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

/** Hostile input must not reach the call stack: no argument spread (f(...list)) in the net and
 *  tcp layers, where a list could be as long as a capture makes it. */
test('src/net and src/tcp spread no list into a call', () => {
  const root = join(import.meta.dirname, '../../src');
  for (const layer of ['net', 'tcp']) {
    for (const f of readdirSync(join(root, layer)).filter((x) => x.endsWith('.ts'))) {
      const code = readFileSync(join(root, layer, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code.match(/[\w)\]]\s*\(\s*[^()]*\.\.\.[\w[(]/g), `${layer}/${f}`).toBeNull();
      expect(code.match(/\[\s*\.\.\.\s*this\./g), `${layer}/${f}`).toBeNull();
    }
  }
});
