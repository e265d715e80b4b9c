#!/usr/bin/env node
// Runs the bundled CLI (dist-cli/, made by `npm run build:cli`; plain JavaScript, no compiler at run
// time). In a checkout of the repository the bundle runs only while every file it was built from is
// unchanged (dist-cli/manifest.json: size and mtime of each); otherwise, or with no bundle at all,
// the TypeScript sources run through tsx, so an edit under src/ is never answered by old code.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function bundleIsCurrent() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(new URL('dist-cli/manifest.json', root), 'utf8'));
  } catch {
    return false;
  }
  // An installed package ships the bundle without its sources: nothing to compare with.
  try {
    statSync(new URL('src/cli/main.ts', root));
  } catch {
    return true;
  }
  for (const [path, built] of Object.entries(manifest.inputs)) {
    let st;
    try {
      st = statSync(new URL(path, root));
    } catch {
      return false;
    }
    if (st.size !== built.size || st.mtimeMs !== built.mtimeMs) return false;
  }
  return true;
}

const { main } = bundleIsCurrent()
  ? await import(new URL('dist-cli/main.js', root).href)
  : await (await import('tsx/esm/api')).tsImport('../src/cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
