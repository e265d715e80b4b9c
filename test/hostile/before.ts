import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CAPTURES, sharedCaptures } from '../support/shared.ts';

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
/** The findings and incidents of every capture below as they were before findings were made compact. */
export const OUT = join(FIXTURES, 'hostile/findings-before');

/** Every shared capture and every capture under test/fixtures (but this folder's own). */
export function beforeCaptures(): Array<{ name: string; path: string }> {
  const out = sharedCaptures().map((f) => ({ name: `shared__${f}`, path: join(CAPTURES, f) }));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { if (p !== join(FIXTURES, 'hostile')) walk(p); }
      else if (/\.(pcap|pcapng)$/.test(e.name)) out.push({ name: relative(FIXTURES, p).split('/').join('__'), path: p });
    }
  };
  walk(FIXTURES);
  return out;
}
