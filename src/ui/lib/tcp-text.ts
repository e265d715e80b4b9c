// Words for the ladder's TCP marks (tcp-marks.ts): Wireshark's names for its TCP analysis flags
// ("Previous segment not captured", "ACKed segment that wasn't captured" …), what a zero window,
// an ACK of an unanswered request and a failed connection attempt mean, and the detail view's
// fields of a TCP segment.

import { opcodeName } from '../../codec/index.ts';
import type { Analysis } from '../../engine/index.ts';
import { itt, opcode } from '../../iscsi/index.ts';
import { fmtInt, formatDuration, hexTag, plural } from '../../text/index.ts';
import { MarkKind, ackedRows, eventNamesOf, markName } from './tcp-marks.ts';
import type { MarkName, TcpMarks } from './tcp-marks.ts';

/** Wireshark's expert-info wording for each name (tshark -V shows them), singular and plural. */
const WORDS: Record<MarkName, [string, string]> = {
  'retransmission': ['retransmission', 'retransmissions'],
  'fast-retransmission': ['fast retransmission', 'fast retransmissions'],
  'spurious-retransmission': ['spurious retransmission', 'spurious retransmissions'],
  'out-of-order': ['out-of-order segment', 'out-of-order segments'],
  'lost-segment': ['previous segment not captured', 'segments not captured before'],
  'ack-lost-segment': ['ACKed segment that was not captured', 'ACKed segments that were not captured'],
  'duplicate-ack': ['duplicate ACK', 'duplicate ACKs'],
  'zero-window': ['zero window', 'zero windows'],
  'zero-window-probe': ['zero-window probe', 'zero-window probes'],
  'zero-window-probe-ack': ['zero-window probe ACK', 'zero-window probe ACKs'],
  'window-full': ['window full', 'window-full segments'],
  'window-update': ['window update', 'window updates'],
  'keep-alive': ['keep-alive', 'keep-alives'],
  'keep-alive-ack': ['keep-alive ACK', 'keep-alive ACKs'],
  'syn': ['SYN', 'SYNs'],
  'syn-ack': ['SYN-ACK', 'SYN-ACKs'],
  'fin': ['FIN', 'FINs'],
  'rst': ['RST', 'RSTs'],
  'ack': ['TCP ACK of an unanswered request', 'TCP ACKs of unanswered requests'],
};

export function markWord(name: MarkName, n = 1): string {
  return WORDS[name][n === 1 ? 0 : 1];
}

const side = (fromTarget: number): string => (fromTarget ? 'target' : 'initiator');

/** What a request the ACK took is: "NOP-Out ping ITT 0x… (frame 21)". */
function requestText(a: Analysis, row: number): string {
  const op = opcode(a.pdus, row);
  const what = op === 0x00 ? 'NOP-Out ping' : op === 0x02 ? 'Task Management request' : op === 0x01 ? 'SCSI Command' : opcodeName(op);
  return `${what} ITT ${hexTag(itt(a.pdus, row))} (frame ${a.pdus.frame[row]})`;
}

/** The one line a mark's row shows. */
export function markLabel(a: Analysis, m: TcpMarks, k: number, res: number): string {
  const name = markName(m, k);
  const ev = a.tcp.events;
  const e = m.ref[k];
  switch (m.kind[k]) {
    case MarkKind.Retransmission: {
      const waited = ev.rto[e] >= 0 ? `, the data waited ${formatDuration(ev.rto[e], res)}` : '';
      return `TCP ${markWord(name)} from the ${side(m.fromTarget[k])}: ${plural(ev.len[e], 'byte')}${waited}`;
    }
    case MarkKind.Event:
    case MarkKind.Routine:
      return `TCP ${markWord(name)} (${side(m.fromTarget[k])}${name.startsWith('window') || name === 'zero-window' ? `, window ${fmtInt(ev.win[e])}` : ev.len[e] ? `, ${plural(ev.len[e], 'byte')}` : ''})`;
    case MarkKind.ZeroWindow: {
      const z = a.connections[m.conn[k]]?.tcp?.zeroWindows[e];
      if (!z) return 'zero window';
      return `zero window: the ${z.by} stopped reading for ${formatDuration(z.endTime - z.startTime, res)}${z.probes ? ` (${plural(z.probes, 'probe')})` : ''}`;
    }
    case MarkKind.Ack: {
      const rows = ackedRows(a, m, k);
      const what = rows.length === 1 ? `frame ${a.pdus.frame[rows[0]]}` : `${rows.length} requests (frames ${rows.map((r) => a.pdus.frame[r]).join(', ')})`;
      return `TCP ACK of ${what}: delivered, iSCSI did not answer`;
    }
    case MarkKind.Attempt: {
      const r = a.model.tcp.attempts[e];
      if (!r) return 'connection attempt';
      if (r.outcome === 'refused') return `${r.syns > 1 ? `${plural(r.syns, 'SYN')}` : 'SYN'} to ${r.portal} refused (RST${r.answer ? `, frame ${r.answer.frame}` : ''}): nothing listened`;
      if (r.outcome === 'unanswered') return `${plural(r.syns, 'SYN')} to ${r.portal} unanswered${r.syns > 1 ? ` over ${formatDuration(r.last.time - r.first.time, res)}` : ''}`;
      return `${plural(r.syns, 'SYN')} to ${r.portal}, answered only after ${formatDuration((r.answer?.time ?? r.last.time) - r.first.time, res)} (conn ${r.conn})`;
    }
  }
  return markWord(name);
}

/** The detail view's fields of a TCP mark, as pairs. */
export function markFields(a: Analysis, m: TcpMarks, k: number, res: number): Array<[string, string]> {
  const ev = a.tcp.events;
  const e = m.ref[k];
  const out: Array<[string, string]> = [];
  switch (m.kind[k]) {
    case MarkKind.Retransmission:
    case MarkKind.Event:
    case MarkKind.Routine:
      out.push(['events', eventNamesOf(a, m, k).join(', ')]);
      out.push(['dir', m.fromTarget[k] ? 'T>I' : 'I>T']);
      out.push(['seq', String(ev.seq[e])], ['ack', String(ev.ack[e])], ['len', String(ev.len[e])], ['win', fmtInt(ev.win[e])]);
      if (ev.rto[e] >= 0) out.push(['rto', `${formatDuration(ev.rto[e], res)} (tcp.analysis.rto: how long the data waited since it was first sent)`]);
      out.push(['tcpConn', String(ev.tcpConn[e])]);
      break;
    case MarkKind.ZeroWindow: {
      const z = a.connections[m.conn[k]]?.tcp?.zeroWindows[e];
      if (z) {
        out.push(['by', z.by], ['from frame', String(z.startFrame)], ['to frame', String(z.endFrame)], ['duration', formatDuration(z.endTime - z.startTime, res)], ['probes', String(z.probes)]);
      }
      break;
    }
    case MarkKind.Ack:
      for (const r of ackedRows(a, m, k)) out.push(['acknowledged', `${requestText(a, r)}, its last byte, ${formatDuration(m.time[k] - a.pdus.time[r], res)} after it was sent`]);
      break;
    case MarkKind.Attempt: {
      const r = a.model.tcp.attempts[e];
      if (r) {
        out.push(['outcome', r.outcome], ['initiator', r.initiator], ['portal', r.portal], ['SYNs', String(r.syns)], ['first SYN', `frame ${r.first.frame}`], ['last SYN', `frame ${r.last.frame}`]);
        if (r.answer) out.push([r.outcome === 'refused' ? 'RST' : 'SYN-ACK', `frame ${r.answer.frame}, ${formatDuration(r.answer.time - r.first.time, res)} after the first SYN`]);
        if (r.previousConn >= 0) out.push(['after', `conn ${r.previousConn}`]);
        if (r.nextConn >= 0) out.push(['before', `conn ${r.nextConn}`]);
        if (r.conn >= 0) out.push(['became', `conn ${r.conn}`]);
      }
      break;
    }
  }
  return out;
}

/** What a run of marks holds: "12 retransmissions, 3 duplicate ACKs". */
export function markRunText(m: TcpMarks, list: readonly number[]): string {
  const counts = new Map<MarkName, number>();
  for (const k of list) counts.set(markName(m, k), (counts.get(markName(m, k)) ?? 0) + 1);
  return [...counts].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([n, c]) => `${fmtInt(c)} TCP ${markWord(n, c)}`).join(', ') + (counts.size > 3 ? ' …' : '');
}

/** A mark's tooltip: its label, its fields, the frame and time. */
export function markTitle(a: Analysis, m: TcpMarks, k: number, res: number, when: string): string {
  const f = markFields(a, m, k, res).map(([x, y]) => `${x}: ${y}`).join('\n');
  return `${markLabel(a, m, k, res)}\n${f}\nframe ${m.frame[k]} · ${when}`;
}

