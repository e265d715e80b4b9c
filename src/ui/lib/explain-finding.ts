// For findings that match a Linux initiator error: the kernel error it leads to and the log lines
// a Linux host would show (codec's explainErrorCode for the words).

import type { Finding } from '../../engine/index.ts';
import { explainErrorCode } from '../../codec/index.ts';

export interface LinuxView {
  code: number;
  errorName: string;
  meaning: string;
  lines: string[];
}

/** The error a finding kind leads to on a Linux initiator (iscsi-reference.md, findings.md). */
export function linuxCode(f: Finding): number | undefined {
  const m = /\((10[0-2]\d)\)/.exec(f.message) ?? /ISCSI_ERR_\w+ \((\d+)\)/.exec(f.message);
  if (m) return Number(m[1]);
  switch (f.kind) {
    case 'nop-ping-unanswered': return 1022;
    case 'connection-reset':
    case 'closed-without-logout':
      return f.by === 'target' ? 1020 : undefined;
    default: return undefined;
  }
}

export function linuxView(f: Finding): LinuxView | undefined {
  const code = linuxCode(f);
  if (code === undefined) return undefined;
  const info = explainErrorCode(code);
  if (!info) return undefined;
  const lines: string[] = [];
  if (code === 1022) {
    // open-iscsi's default noop_out_timeout / noop_out_interval (iscsid.conf): 5 s each
    lines.push('kernel: connection1:0: ping timeout of 5 secs expired, recv timeout 5, last rx …, last ping …, now …');
  }
  lines.push(`kernel: connection1:0: detected conn error (${code})`);
  lines.push(`iscsid: Kernel reported iSCSI connection 1:0 error (${code} - ${info.errorName}: ${info.text}) state (3)`);
  return { code, errorName: info.errorName, meaning: info.meaning, lines };
}
