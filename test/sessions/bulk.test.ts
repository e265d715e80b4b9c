import { describe, expect, test } from 'vitest';
import { buildAnalysis } from '../../src/engine/index.ts';
import { TaskFate } from '../../src/sessions/index.ts';
import { bulkFramedCapture } from '../../src/synth/index.ts';

// The generator answers every command and ping and keeps every StatSN in sequence (see its doc):
// the model must pair them all and the checks must find nothing wrong. Its speed is `npm run bench`'s.
describe('routine I/O in bulk', () => {
  test('60,000 PDUs: every command completed with its status, every ping answered, no finding above info', () => {
    const a = buildAnalysis(bulkFramedCapture(60_000));
    const t = a.model.tasks;
    expect(t.count).toBeGreaterThan(6_000);
    for (let i = 0; i < t.count; i++) expect(t.fate[i]).toBe(TaskFate.Completed);
    // READ: 6 Data-In + 1 with status; WRITE: 1 R2T, 6 Data-Out, 1 SCSI Response.
    for (let i = 0; i < t.count; i++) {
      if (t.scsiOpcode[i] === 0x28) expect([t.dataIns[i], t.r2ts[i], t.dataOuts[i]]).toEqual([7, 0, 0]);
      else expect([t.dataIns[i], t.r2ts[i], t.dataOuts[i]]).toEqual([0, 1, 6]);
    }
    expect(a.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(a.model.pings.length).toBeGreaterThan(0);
    expect(a.model.pings.every((p) => p.fate === 'answered')).toBe(true);
  });
});
