// Layers import only downward (README "How it works"): a folder of src/ may import from the folders
// before it in LAYERS, never from one after it; the page never parses (it imports no reader, no
// decoder); the worker does not import the page. Reads every import of src/ and workers/.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const REPO = normalize(join(dirname(fileURLToPath(import.meta.url)), '..'));

/** Lowest first. Entries in one inner array are peers: neither may import the other. */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['text'], ['capture'], ['net'], ['tcp'], ['codec'], ['logs'], ['iscsi'], ['sessions'], ['checks'], ['incidents'], ['engine'],
  ['cli', 'workers', 'synth'], ['ui'],
];

/** What the page may not import even though it sits above them: it never reads or decodes bytes. */
const PAGE_FORBIDDEN_LAYERS = new Set(['capture', 'net', 'tcp', 'logs']);
const PAGE_FORBIDDEN_NAMES = ['decodePdu', 'decodeKept', 'pduRecord', 'parseSense', 'parseTextKeys', 'blobChunks', 'maybeGunzip', 'readCapture'];

function layerOf(path: string): string | undefined {
  const rel = relative(REPO, path).split(/[\\/]/);
  if (rel[0] === 'workers') return 'workers';
  if (rel[0] === 'src') return rel[1];
  return undefined;
}

function rank(layer: string): number {
  return LAYERS.findIndex((l) => l.includes(layer));
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|svelte)$/.test(name)) out.push(p);
  }
  return out;
}

interface Import {
  file: string;
  target: string;
  names: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  // static imports and re-exports (`import … from '…'`, `export … from '…'`), and `new URL('…', import.meta.url)`
  for (const m of text.matchAll(/(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"](\.[^'"]+)['"]/g)) {
    out.push({ file, target: normalize(join(dirname(file), m[3])), names: m[2] });
  }
  for (const m of text.matchAll(/new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url/g)) {
    out.push({ file, target: normalize(join(dirname(file), m[1])), names: '' });
  }
  return out;
}

const FILES = [...sources(join(REPO, 'src')), ...sources(join(REPO, 'workers'))];
const IMPORTS = FILES.flatMap(importsOf);

describe('layers import only downward', () => {
  test('every folder of src/ is a known layer', () => {
    const folders = new Set(FILES.map(layerOf).filter((l): l is string => l !== undefined));
    for (const f of folders) expect(rank(f), `src/${f} has no place in LAYERS`).toBeGreaterThanOrEqual(0);
  });

  test('no import reaches a layer above its own, or a peer', () => {
    const bad: string[] = [];
    for (const i of IMPORTS) {
      const from = layerOf(i.file);
      const to = layerOf(i.target);
      if (from === undefined || to === undefined || from === to) continue;
      if (rank(to) >= rank(from)) bad.push(`${relative(REPO, i.file)} imports ${relative(REPO, i.target)} (${from} → ${to})`);
    }
    expect(bad).toEqual([]);
  });

  test('the page never parses: no capture reader, no decoder', () => {
    const bad: string[] = [];
    for (const i of IMPORTS) {
      if (layerOf(i.file) !== 'ui') continue;
      const to = layerOf(i.target);
      if (to !== undefined && PAGE_FORBIDDEN_LAYERS.has(to)) bad.push(`${relative(REPO, i.file)} imports ${relative(REPO, i.target)}`);
      for (const name of PAGE_FORBIDDEN_NAMES) {
        if (new RegExp(`\\b${name}\\b`).test(i.names)) bad.push(`${relative(REPO, i.file)} imports ${name}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('the PDU table has one reader', () => {
  test('raw BHS words of the columns are read only by src/iscsi/pdu-table.ts', () => {
    const bad: string[] = [];
    for (const file of FILES) {
      if (relative(REPO, file).startsWith('src/iscsi/')) continue;
      const text = readFileSync(file, 'utf8');
      // .b0[ … .w36[ are the raw words; destructuring them ({ b0, w24 } = c) reads them too.
      if (/\.(b[0-3]|w4|w20|w24|w28|w32|w36)\[/.test(text) || /\{[^}]*\b(b0|b1|w20|w24|w28|w32|w36)\b[^}]*\}\s*=\s*(c|pdus|cols|columns)\b/.test(text)) {
        bad.push(relative(REPO, file));
      }
    }
    expect(bad).toEqual([]);
  });

  test('the opcode mask is the codec\'s', () => {
    const bad: string[] = [];
    for (const file of FILES) {
      const rel = relative(REPO, file);
      if (rel.startsWith('src/codec/') || rel === 'src/iscsi/pdu-table.ts' || rel === 'src/iscsi/framer.ts') continue;
      const text = readFileSync(file, 'utf8');
      if (/(\bb0\b|\bbyte0\b|\]|\))\s*&\s*0x3f\b/.test(text)) bad.push(rel);
    }
    expect(bad).toEqual([]);
  });
});
