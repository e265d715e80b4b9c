// Spot checks of the name tables against RFC 7143 (and RFC 7144, SPC-4, SBC-3, SAM-5), and sense parsing.

import { describe, expect, test } from 'vitest';
import {
  ascAscqName, asyncEventName, iscsiResponseName, loginStageName, loginStatusName, logoutReasonName, logoutResponseName,
  opcodeName, parseSense, rejectReasonName, scsiCommandName, scsiOpcodeName, scsiStatusName, senseKeyName,
  snackTypeName, taskAttributeName, tmfFunctionName, tmfResponseName,
} from '../../src/codec/index.ts';
import { walkCapture } from './helpers/capture.ts';

describe('iSCSI names', () => {
  test('opcodes (RFC 7143 §11.2.1.2)', () => {
    const want: Record<number, string> = {
      0x00: 'NOP-Out', 0x01: 'SCSI Command', 0x02: 'Task Management Function Request', 0x03: 'Login Request',
      0x04: 'Text Request', 0x05: 'SCSI Data-Out', 0x06: 'Logout Request', 0x10: 'SNACK Request',
      0x20: 'NOP-In', 0x21: 'SCSI Response', 0x22: 'Task Management Function Response', 0x23: 'Login Response',
      0x24: 'Text Response', 0x25: 'SCSI Data-In', 0x26: 'Logout Response', 0x31: 'R2T',
      0x32: 'Asynchronous Message', 0x3f: 'Reject',
    };
    for (const [op, name] of Object.entries(want)) expect(opcodeName(Number(op))).toBe(name);
    for (const op of [0x1c, 0x1d, 0x1e, 0x3c, 0x3d, 0x3e]) expect(opcodeName(op)).toBe(`Vendor-specific (0x${op.toString(16)})`);
    expect(opcodeName(0x07)).toBe('Unknown opcode 0x07');
    expect(opcodeName(0x30)).toBe('Unknown opcode 0x30');
  });

  test('task management', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(tmfFunctionName)).toEqual([
      'ABORT TASK', 'ABORT TASK SET', 'CLEAR ACA', 'CLEAR TASK SET', 'LOGICAL UNIT RESET', 'TARGET WARM RESET',
      'TARGET COLD RESET', 'TASK REASSIGN']);
    expect(tmfFunctionName(11)).toBe('I_T NEXUS RESET'); // RFC 7144
    expect(tmfResponseName(0)).toBe('Function complete');
    expect(tmfResponseName(1)).toBe('Task does not exist');
    expect(tmfResponseName(2)).toBe('LUN does not exist');
    expect(tmfResponseName(5)).toBe('Task management function not supported');
    expect(tmfResponseName(255)).toBe('Function rejected');
  });

  test('login status, stages; logout; reject; async; SNACK', () => {
    expect(loginStatusName(0, 0)).toBe('Success');
    expect(loginStatusName(1, 1)).toBe('Target moved temporarily');
    expect(loginStatusName(2, 1)).toBe('Authentication failure');
    expect(loginStatusName(2, 3)).toBe('Not found');
    expect(loginStatusName(2, 0x0b)).toBe('Invalid during login');
    expect(loginStatusName(3, 2)).toBe('Out of resources');
    expect(loginStatusName(2, 0x40)).toBe('Initiator Error (detail 0x40)');
    expect([0, 1, 2, 3].map(loginStageName)).toEqual(['SecurityNegotiation', 'LoginOperationalNegotiation', 'Reserved stage 2', 'FullFeaturePhase']);
    expect(logoutReasonName(0)).toBe('Close the session');
    expect(logoutReasonName(2)).toBe('Remove the connection for recovery');
    expect(logoutResponseName(1)).toBe('CID not found');
    expect(rejectReasonName(0x02)).toBe('Data (payload) digest error');
    expect(rejectReasonName(0x09)).toBe('Invalid PDU field');
    expect(rejectReasonName(0x0c)).toBe('Waiting for Logout');
    expect(asyncEventName(1)).toBe('Target requests Logout');
    expect(asyncEventName(4)).toBe('Target requests parameter negotiation');
    expect([0, 1, 2, 3].map(snackTypeName)).toEqual(['Data/R2T SNACK', 'Status SNACK', 'DataACK', 'R-Data SNACK']);
    expect(iscsiResponseName(0)).toBe('Command Completed at Target');
    expect(iscsiResponseName(1)).toBe('Target Failure');
    expect(taskAttributeName(1)).toBe('Simple');
  });
});

describe('SCSI names', () => {
  test('status (SAM-5)', () => {
    expect(scsiStatusName(0x00)).toBe('GOOD');
    expect(scsiStatusName(0x02)).toBe('CHECK CONDITION');
    expect(scsiStatusName(0x08)).toBe('BUSY');
    expect(scsiStatusName(0x18)).toBe('RESERVATION CONFLICT');
    expect(scsiStatusName(0x28)).toBe('TASK SET FULL');
    expect(scsiStatusName(0x30)).toBe('ACA ACTIVE');
    expect(scsiStatusName(0x40)).toBe('TASK ABORTED');
  });

  test('operation codes (SPC-4 / SBC-3)', () => {
    const want: Record<number, string> = {
      0x00: 'TEST UNIT READY', 0x03: 'REQUEST SENSE', 0x12: 'INQUIRY', 0x15: 'MODE SELECT(6)', 0x1a: 'MODE SENSE(6)',
      0x55: 'MODE SELECT(10)', 0x5a: 'MODE SENSE(10)', 0x08: 'READ(6)', 0x0a: 'WRITE(6)', 0x28: 'READ(10)',
      0x2a: 'WRITE(10)', 0xa8: 'READ(12)', 0xaa: 'WRITE(12)', 0x88: 'READ(16)', 0x8a: 'WRITE(16)',
      0x25: 'READ CAPACITY(10)', 0x9e: 'SERVICE ACTION IN(16)', 0x35: 'SYNCHRONIZE CACHE(10)',
      0x91: 'SYNCHRONIZE CACHE(16)', 0xa0: 'REPORT LUNS', 0x2f: 'VERIFY(10)', 0x41: 'WRITE SAME(10)',
      0x93: 'WRITE SAME(16)', 0x42: 'UNMAP', 0x89: 'COMPARE AND WRITE', 0x5e: 'PERSISTENT RESERVE IN',
      0x5f: 'PERSISTENT RESERVE OUT', 0x1b: 'START STOP UNIT', 0x1e: 'PREVENT ALLOW MEDIUM REMOVAL',
      0x16: 'RESERVE(6)', 0x17: 'RELEASE(6)', 0x4d: 'LOG SENSE', 0xa3: 'MAINTENANCE IN', 0xa4: 'MAINTENANCE OUT',
      0x83: 'EXTENDED COPY', 0x84: 'RECEIVE COPY RESULTS', 0x2e: 'WRITE AND VERIFY(10)', 0x8b: 'ORWRITE(16)',
      0x50: 'XDWRITE(10)',
    };
    for (const [op, name] of Object.entries(want)) expect(scsiOpcodeName(Number(op))).toBe(name);
    expect(scsiOpcodeName(0xff)).toBe('Unknown SCSI opcode 0xff');
    expect(scsiCommandName(Uint8Array.of(0x9e, 0x10))).toBe('READ CAPACITY(16)');
    expect(scsiCommandName(Uint8Array.of(0xa3, 0x0a))).toBe('REPORT TARGET PORT GROUPS');
    expect(scsiCommandName(Uint8Array.of(0x9e, 0x1f))).toBe('SERVICE ACTION IN(16)');
    expect(scsiCommandName(Uint8Array.of(0x28, 0))).toBe('READ(10)');
  });

  test('sense keys and ASC/ASCQ (SPC-4)', () => {
    expect(Array.from({ length: 16 }, (_, k) => senseKeyName(k))).toEqual([
      'NO SENSE', 'RECOVERED ERROR', 'NOT READY', 'MEDIUM ERROR', 'HARDWARE ERROR', 'ILLEGAL REQUEST', 'UNIT ATTENTION',
      'DATA PROTECT', 'BLANK CHECK', 'VENDOR SPECIFIC', 'COPY ABORTED', 'ABORTED COMMAND', 'EQUAL (obsolete)',
      'VOLUME OVERFLOW', 'MISCOMPARE', 'COMPLETED']);
    expect(ascAscqName(0x29, 0x00)).toBe('POWER ON, RESET, OR BUS DEVICE RESET OCCURRED');
    expect(ascAscqName(0x3f, 0x0e)).toBe('REPORTED LUNS DATA HAS CHANGED');
    expect(ascAscqName(0x20, 0x00)).toBe('INVALID COMMAND OPERATION CODE');
    expect(ascAscqName(0x24, 0x00)).toBe('INVALID FIELD IN CDB');
    expect(ascAscqName(0x21, 0x00)).toBe('LOGICAL BLOCK ADDRESS OUT OF RANGE');
    expect(ascAscqName(0x25, 0x00)).toBe('LOGICAL UNIT NOT SUPPORTED');
    expect(ascAscqName(0x04, 0x01)).toBe('LOGICAL UNIT IS IN PROCESS OF BECOMING READY');
    expect(ascAscqName(0x04, 0x77)).toBe('ASC 0x04 ASCQ 0x77: LOGICAL UNIT NOT READY');
    expect(ascAscqName(0x29, 0x66)).toBe('ASC 0x29 ASCQ 0x66: POWER ON, RESET, OR BUS DEVICE RESET OCCURRED');
    expect(ascAscqName(0x85, 0x00)).toBe('ASC 0x85 ASCQ 0x00: vendor specific');
  });
});

describe('sense data', () => {
  test('fixed format (0x70) with VALID and INFORMATION', () => {
    const s = Uint8Array.of(0xf0, 0, 0x03, 0, 0, 0x12, 0x34, 10, 0, 0, 0, 0, 0x11, 0x00, 0, 0, 0, 0);
    expect(parseSense(s, 0, s.length)).toEqual({
      length: 18, responseCode: 0x70, format: 'fixed', deferred: false, senseKey: 3, asc: 0x11, ascq: 0, information: 0x1234,
    });
  });

  test('descriptor format (0x73, deferred)', () => {
    const s = Uint8Array.of(0x73, 0x06, 0x2a, 0x09, 0, 0, 0, 0);
    expect(parseSense(s, 0, s.length)).toMatchObject({ format: 'descriptor', deferred: true, senseKey: 6, asc: 0x2a, ascq: 0x09 });
  });

  test('unknown response code and too-short input give undefined', () => {
    expect(parseSense(Uint8Array.of(0x7f, 0, 0, 0), 0, 4)).toBeUndefined();
    expect(parseSense(Uint8Array.of(0x70), 0, 1)).toBeUndefined();
  });

  test('real CHECK CONDITIONs (sense bytes read off the wire: 70 00 06 … 29 00, 70 00 05 … 24 00, … 21 00)', () => {
    const pdus = walkCapture('test-suite.pcap');
    const at = (frame: number): { senseKey: number; asc: number; ascq: number } | undefined => {
      const p = pdus.find((w) => w.frame === frame)?.pdu;
      return p?.opcode === 0x21 ? p.sense : undefined;
    };
    expect(at(9)).toMatchObject({ format: 'fixed', senseKey: 6, asc: 0x29, ascq: 0x00 });
    expect(at(83)).toMatchObject({ senseKey: 5, asc: 0x24, ascq: 0x00 });
    expect(at(129)).toMatchObject({ senseKey: 5, asc: 0x21, ascq: 0x00 });
  });
});
