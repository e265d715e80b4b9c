import { SynthCapture } from './capture.ts';

/**
 * A capture whose wire strings are hostile: HTML and script payloads in TargetName, InitiatorName
 * and text keys, a very long value, control characters and invalid UTF-8. Every byte is a valid
 * iSCSI exchange; the page and the CLI must show these strings inert and readable.
 */
export const HOSTILE_STRINGS = {
  initiatorName: 'iqn.2026-11.evil:<img src=x onerror=alert(1)>',
  targetName: 'iqn.2026-11.evil:</script><script>alert(2)</script>',
  alias: '"><svg onload=alert(3)>',
  long: `iqn.2026-11.long:${'A'.repeat(4000)}`,
  control: 'iqn.2026-11.ctl:\u001b[31mred\u0007bell\u0000nul',
} as const;

export function hostileCapture(): Uint8Array {
  const cap = new SynthCapture();
  const c = cap.connection('10.6.6.1:40000', '10.6.6.2:3260');
  c.handshake();
  const isid = '80:00:00:00:00:66';
  const enc = new TextEncoder();
  c.send('initiator', { opcode: 0x03, itt: 1, transit: true, csg: 1, nsg: 3, isid, cmdSN: 1, keys: [
    ['InitiatorName', HOSTILE_STRINGS.initiatorName], ['InitiatorAlias', HOSTILE_STRINGS.alias],
    ['TargetName', HOSTILE_STRINGS.targetName], ['SessionType', 'Normal'], ['X-Long', HOSTILE_STRINGS.long],
    ['X-Control', HOSTILE_STRINGS.control], ['<b>key</b>', '<i>value</i>'],
  ] });
  cap.wait(0.001);
  c.send('target', { opcode: 0x23, itt: 1, transit: true, csg: 1, nsg: 3, isid, tsih: 7, statSN: 1, expCmdSN: 1, maxCmdSN: 2, keys: [
    ['TargetAlias', '<iframe src="https://example.com/"></iframe>'], ['HeaderDigest', 'None'], ['DataDigest', 'None'],
  ] });
  cap.wait(0.001);
  // A Text Response whose data is not UTF-8 at all, with an unterminated key.
  const bad = new Uint8Array([...enc.encode('TargetName=iqn.bad:'), 0xff, 0xfe, 0xc0, 0x80, 0x00, ...enc.encode('<script>no-nul')]);
  c.send('initiator', { opcode: 0x04, itt: 2, final: true, immediate: true, cmdSN: 1, expStatSN: 2, keys: [['SendTargets', 'All']] });
  cap.wait(0.001);
  c.send('target', { opcode: 0x24, itt: 2, final: true, statSN: 2, expCmdSN: 2, maxCmdSN: 3, data: bad });
  cap.wait(0.001);
  c.send('initiator', { opcode: 0x06, itt: 3, immediate: true, logoutReason: 0, cmdSN: 2, expStatSN: 3 });
  c.send('target', { opcode: 0x26, itt: 3, response: 0, statSN: 3, expCmdSN: 2, maxCmdSN: 3 });
  c.fin('initiator');
  c.fin('target');
  return cap.bytes();
}
