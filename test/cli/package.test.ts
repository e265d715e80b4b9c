/**
 * The built CLI: the bundle runs with no TypeScript tooling at all, an edit under src/ is never
 * answered by the old bundle, and `npm pack` + `npm install -g` give a working `iscsi-inspect`.
 * Everything happens in a copy of the package in a temp dir, so the repo's own dist-cli/ is untouched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CAPTURES, readTsv } from '../support/shared.ts';

const REPO = resolve('.');
const CAPTURE = join(CAPTURES, 'target-nopin-answered.pcap');
// tshark's decode beside the capture: one row per PDU.
const TSHARK_PDUS = readTsv(`${CAPTURE}.tshark.tsv`).length;

let dir = '';
let pkg = '';

function run(cmd: string, args: string[], cwd = pkg): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iscsi-pkg-'));
  pkg = join(dir, 'pkg');
  for (const p of ['bin', 'src', 'scripts', 'package.json', 'package-lock.json', 'README.md']) {
    if (existsSync(join(REPO, p))) cpSync(join(REPO, p), join(pkg, p), { recursive: true, preserveTimestamps: true });
  }
  // The build needs esbuild from node_modules; the built bundle must not need node_modules at all.
  symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'));
  expect(run(process.execPath, ['scripts/build-cli.mjs']).code).toBe(0);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the bundled CLI', () => {
  test('runs without node_modules (no tsx, no compiler) and agrees with tshark', () => {
    rmSync(join(pkg, 'node_modules'));
    try {
      const r = run(process.execPath, ['bin/iscsi-inspect.js', 'summary', CAPTURE, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ format: 'pcap', pdus: TSHARK_PDUS });
    } finally {
      symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'));
    }
  });

  test('after an edit under src/ the sources run, not the stale bundle', () => {
    const args = join(pkg, 'src/cli/args.ts');
    writeFileSync(args, readFileSync(args, 'utf8').replace('`usage:', '`usage (edited after the build):'));
    const r = run(process.execPath, ['bin/iscsi-inspect.js', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage \(edited after the build\):/);
  });

  test('npm pack, npm install -g: a working iscsi-inspect built from the current sources', () => {
    const packed = run('npm', ['pack', '--silent', '--pack-destination', dir]);
    expect(packed.code).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const listing = execFileSync('tar', ['tzf', join(dir, tarball!)], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('package/dist-cli/main.js');
    expect(listing.some((f) => f.startsWith('package/src/'))).toBe(false);
    const prefix = join(dir, 'global');
    const installed = run('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, join(dir, tarball!)], dir);
    expect(installed.stderr).not.toMatch(/ERR!/);
    expect(installed.code).toBe(0);
    const exe = join(prefix, 'bin', 'iscsi-inspect');
    const summary = run(exe, ['summary', CAPTURE, '--json'], dir);
    expect(summary.code).toBe(0);
    expect(JSON.parse(summary.stdout)).toMatchObject({ format: 'pcap', pdus: TSHARK_PDUS });
    // The tarball's bundle was built at pack time, from the edited sources.
    expect(run(exe, ['--help'], dir).stdout).toMatch(/^usage \(edited after the build\):/);
  });
});
