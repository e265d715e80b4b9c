// The model's moments handed to the logs layer equal the wire events built from tshark's decode
// alone (test/logs/wire.ts): the same kinds at the same frame times on the same connections.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { wireEvents } from '../../src/engine/index.ts';
import type { WireEvent } from '../../src/logs/index.ts';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES } from '../support/shared.ts';
import { wireOf } from '../logs/wire.ts';

const key = (e: WireEvent): string => `${e.kind} conn ${e.conn} @ ${e.time.toFixed(6)}${'by' in e ? ` by ${e.by}` : ''}`;

describe('wire events from the model', () => {
  test.each(['initiator-ping-timeout', 'slow-target-abort', 'target-nopin-unanswered'])('%s', (name) => {
    const { analysis } = analyzeFile(join(CAPTURES, `${name}.pcap`));
    const ours = wireEvents(analysis).events.map(key).sort();
    const theirs = wireOf(name).events.map(key).sort();
    expect(ours).toEqual(theirs);
  });
});
