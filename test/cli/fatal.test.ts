// A fatal capture error stops the reading at once (issue 16): an endless input that is no capture
// ends with exit 1 and a one-line reason instead of being read forever.

import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { runCli } from './run.ts';

describe.skipIf(!existsSync('/dev/zero'))('a fatal error stops the reading', () => {
  test('/dev/zero: not a capture, said at once', async () => {
    const r = await runCli(['pdus', '/dev/zero']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Not a capture file/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 20_000);
});
