#!/usr/bin/env node
// The CLI is written in TypeScript; tsx loads it without a build step so `npx iscsi-inspect` works
// straight after `npm ci`.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
