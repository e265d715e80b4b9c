import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { analyzeFile } from '../support/analyze.ts';
import { CAPTURES } from '../support/shared.ts';
import { arrowLabel, fieldsText } from '../../src/ui/lib/fields.ts';
import { advancesStatSN, pduLun } from '../../src/iscsi/index.ts';
import { senseKeyName, scsiOpcodeName } from '../../src/codec/index.ts';
import { bhsLineLabel } from '../../src/ui/lib/bhs-layout.ts';

describe('arrow labels from the columns agree with the decoded records', () => {
  test.each(['test-suite.pcap', 'slow-target-abort.pcap', 'initiator-ping-timeout.pcap', 'login-churn.pcap'])('%s', (file) => {
    const { analysis, pdus } = analyzeFile(join(CAPTURES, file));
    const c = analysis.pdus;
    let checked = 0;
    for (let r = 0; r < c.count; r++) {
      const rec = pdus[r];
      const label = arrowLabel(c, analysis.luns, r, analysis.model.senses);
      const lab = { title: label.title, fields: fieldsText(label) };
      if (rec.itt !== undefined && rec.opcode !== 0x32 && rec.opcode !== 0x3f) expect(lab.fields).toContain(`ITT 0x${(rec.itt as number).toString(16).padStart(8, '0')}`);
      if (typeof rec.cmdSN === 'number' && rec.opcode !== 0x05) expect(lab.fields).toContain(`CmdSN ${rec.cmdSN}`);
      if (typeof rec.statSN === 'number' && rec.opcode !== 0x25 && rec.opcode !== 0x31) expect(lab.fields).toContain(`StatSN ${rec.statSN}`);
      if (rec.opcode === 0x01) expect(lab.title).toContain(scsiOpcodeName(rec.scsiOpcode as number));
      if (typeof rec.lun === 'number' && rec.opcode === 0x01) expect(pduLun(c, analysis.luns, r)).toBe(rec.lun);
      if (rec.opcode === 0x21 && rec.status === 2 && typeof rec.senseKey === 'number') {
        expect(lab.title).toContain(senseKeyName(rec.senseKey));
        checked++;
      }
      // StatSN-carrying PDUs as iscsi-reference.md lists them
      if (rec.opcode === 0x21 || rec.opcode === 0x23 || rec.opcode === 0x26) expect(advancesStatSN(c, r)).toBe(true);
      if (rec.opcode === 0x25) expect(advancesStatSN(c, r)).toBe(rec.statusPresent === true);
    }
    if (file === 'test-suite.pcap') expect(checked).toBeGreaterThan(100);
  });

  test('hex dump line labels follow the BHS layout', () => {
    expect(bhsLineLabel(0x01, 16)).toBe('ITT · ExpDataXferLen');
    expect(bhsLineLabel(0x01, 32)).toBe('CDB');
    expect(bhsLineLabel(0x20, 24)).toBe('StatSN · ExpCmdSN');
    expect(bhsLineLabel(0x03, 8)).toBe('ISID · TSIH');
    expect(bhsLineLabel(0x02, 16)).toBe('ITT · RefTaskTag');
    expect(bhsLineLabel(0x01, 48)).toBe('AHS');
  });
});
