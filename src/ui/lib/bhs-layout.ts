// What each 8-byte line of a BHS holds, by opcode (RFC 7143 §11; iscsi-reference.md's table), to
// label the detail view's hex dump.

const W: Record<number, readonly string[]> = {
  // bytes 20, 24, 28, 32, 36, 40, 44
  0x00: ['TTT', 'CmdSN', 'ExpStatSN', '', '', '', ''],
  0x20: ['TTT', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', '', '', ''],
  0x01: ['ExpDataXferLen', 'CmdSN', 'ExpStatSN', 'CDB', 'CDB', 'CDB', 'CDB'],
  0x21: ['SNACK tag', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', 'ExpDataSN', 'BidiResidual', 'Residual'],
  0x02: ['RefTaskTag', 'CmdSN', 'ExpStatSN', 'RefCmdSN', 'ExpDataSN', '', ''],
  0x22: ['', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', '', '', ''],
  0x03: ['CID', 'CmdSN', 'ExpStatSN', '', '', '', ''],
  0x23: ['', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', 'Status', '', ''],
  0x04: ['TTT', 'CmdSN', 'ExpStatSN', '', '', '', ''],
  0x24: ['TTT', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', '', '', ''],
  0x05: ['TTT', '', 'ExpStatSN', '', 'DataSN', 'BufferOffset', ''],
  0x25: ['TTT', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', 'DataSN', 'BufferOffset', 'Residual'],
  0x06: ['CID', 'CmdSN', 'ExpStatSN', '', '', '', ''],
  0x26: ['', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', '', 'Time2Wait/Retain', ''],
  0x10: ['TTT/SNACK tag', '', 'ExpStatSN', '', '', 'BegRun', 'RunLength'],
  0x31: ['TTT', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', 'R2TSN', 'BufferOffset', 'DesiredLength'],
  0x32: ['', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', 'Event, params', 'params', ''],
  0x3f: ['', 'StatSN', 'ExpCmdSN', 'MaxCmdSN', 'DataSN/R2TSN', '', ''],
};

function join(a: string, b: string): string {
  if (a && b && a === b) return a;
  return [a, b].filter(Boolean).join(' · ');
}

/** Label of the 8 bytes at `offset` (0, 8, … 40; beyond 48: AHS) of a header with this opcode. */
export function bhsLineLabel(opcode: number, offset: number): string {
  if (offset >= 48) return 'AHS';
  if (offset === 0) return 'opcode, flags · AHS, data length';
  if (offset === 8) return opcode === 0x03 || opcode === 0x23 ? 'ISID · TSIH' : 'LUN';
  const w = W[opcode];
  const word = (o: number) => (w ? w[(o - 20) / 4] ?? '' : '');
  if (offset === 16) return join('ITT', word(20));
  return join(word(offset), word(offset + 4));
}
