import { join } from 'node:path';
import { expect, test } from 'vitest';
import { analyzeFile } from '../support/analyze.ts';

// src/synth/scale.ts 'tmf-storm' at 40 units (test/fixtures/hostile/scale, read by tshark there):
// unit i is READ(10) ITT 4i+1 on LUN 1 (never answered); 100 µs later ABORT TASK ITT 4i+2 naming
// it, answered 100 µs later; then LOGICAL UNIT RESET ITT 4i+3 of LUN 2 (no command there), answered
// 100 µs later; then ABORT TASK SET ITT 4i+4 of LUN 3, never answered.
const { analysis: a } = analyzeFile(join(import.meta.dirname, '../fixtures/hostile/scale/tmf-storm-40.pcap'));
const tmfs = a.model.tmfs;

test('a TMF escalates only the TMFs waiting on its LUN (or all, when it resets the target)', () => {
  expect(tmfs).toHaveLength(120);
  for (const [k, r] of tmfs.entries()) {
    const unit = Math.floor((r.itt - 1) / 4);
    if (r.fn === 2) {
      // Each ABORT TASK SET of LUN 3 waits until the next one of LUN 3, not the ABORT TASK of LUN 1 sent first.
      const next = unit < 39 ? tmfs[r.next] : undefined;
      expect([r.fate, next?.fn, next?.itt]).toEqual(unit < 39 ? ['unanswered', 2, r.itt + 4] : ['unanswered', undefined, undefined]);
      if (unit === 39) expect(r.next).toBe(-1);
    } else {
      // Answered before the next TMF was sent: nothing escalated them.
      expect([k, r.fate, r.next]).toEqual([k, 'answered', -1]);
    }
    if (r.fn === 1) expect(a.model.tasks.itt[r.task]).toBe(r.itt - 1);
    if (r.fn === 5) expect(r.task).toBe(-1);
  }
});

test('a command\'s wait is counted to the TMF that named it, never negative', () => {
  const aborts = a.incidents.filter((i) => i.kind === 'task-abort');
  const named = aborts.filter((i) => /^READ\(10\) ITT/.test(i.headline));
  expect(named).toHaveLength(40);
  for (const i of named) expect(i.headline).toMatch(/^READ\(10\) ITT 0x[0-9a-f]{8} on conn 0 waited 100 µs, then the initiator sent ABORT TASK \(answered "Task management function not supported" after 100 µs\)/);
  for (const i of aborts) expect(i.headline).not.toMatch(/-\d/);
  // The ABORT TASK SETs of LUN 3 are one chain of 16 (the incident's bound), told once with its count.
  expect(aborts.some((i) => i.headline.startsWith('On conn 0 the initiator sent ABORT TASK SET (never answered), 16 times;'))).toBe(true);
});
