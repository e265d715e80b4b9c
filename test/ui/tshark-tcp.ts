// Reading tshark's TCP analysis of a capture (the `.tcpflags.tsv` beside the lab captures in
// test/fixtures/tcp, made by its tshark-ref.sh) and the lab's facts (`.facts.json`, tcpfacts.py):
// what the page's TCP marks and figures are checked against.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TCP_EVENT_NAMES } from '../../src/engine/index.ts';
import { readTsv } from '../support/shared.ts';

export const TCP_FIXTURES = join(import.meta.dirname, '../fixtures/tcp');

export interface Facts {
  tcp_streams: Array<{ stream: number; client: string; initial_rtt_s: number | null; payload_bytes: { client_to_server: number; server_to_client: number } }>;
  syn_attempts: Array<{ stream: number; frame: number; answer: string; answer_frame?: number }>;
  zero_window_episodes: Array<{ stream: number; role: 'client' | 'server'; start_frame: number; end_frame: number; duration_s: number }>;
  nop_out_pings: Array<{ frame: number; answered: boolean; answered_within_5s: boolean; acked_by_target_tcp: boolean; ack_frame?: number; answer_after_initiator_fin_or_rst: boolean | null }>;
}

export function facts(capture: string): Facts {
  return JSON.parse(readFileSync(`${capture}.facts.json`, 'utf8')) as Facts;
}

export function tcpflags(capture: string): Array<Record<string, string>> {
  return readTsv(`${capture}.tcpflags.tsv`);
}

/** The routine flags the ladder draws only when every TCP event is asked for. */
export const ROUTINE = new Set(['duplicate-ack', 'zero-window', 'zero-window-probe-ack', 'window-full', 'window-update', 'keep-alive-ack']);

/** The mark tshark's flags on a row call for: the retransmission kind it is, else its first analysis flag (docs/findings.md order). */
export function tsharkMark(r: Record<string, string>): string | undefined {
  const set = (n: string) => (r[`tcp.analysis.${n.replace(/-/g, '_')}`] ?? '') !== '';
  if (set('retransmission') || set('fast-retransmission') || set('spurious-retransmission')) {
    if (r['tcp.flags.syn'] === '1') return undefined; // a SYN retransmission: its attempt's mark
    return set('spurious-retransmission') ? 'spurious-retransmission' : set('fast-retransmission') ? 'fast-retransmission' : 'retransmission';
  }
  return TCP_EVENT_NAMES.slice(0, 14).find(set);
}

/** The streams that carried iSCSI (payload both ways); attempts that never connected carry none. */
export function iscsiStreams(f: Facts): Set<string> {
  return new Set(f.tcp_streams.filter((s) => s.payload_bytes.client_to_server > 0 && s.payload_bytes.server_to_client > 0).map((s) => String(s.stream)));
}
