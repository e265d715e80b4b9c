import type { ConnectionSummary, FramedCapture } from '../iscsi/index.ts';
import { formatAddress } from '../net/index.ts';
import type { AttemptRecord, ConnRows, TcpModel } from './types.ts';

/** Attempts listed one by one (a SYN flood is counted beyond this). */
const MAX_ATTEMPTS_LISTED = 10000;

/** TcpAttempts.answer values (src/tcp AttemptAnswer; a const enum does not cross the layer as a value). */
const ANSWER_SYN_ACK = 1;
const ANSWER_RST = 2;

/**
 * What TCP did, tied to the iSCSI connections: each connection's TCP events, and the connection
 * attempts that did not simply connect (refused, unanswered, answered only after SYN retransmissions)
 * with the iSCSI connections of the same initiator host to the same portal before and after them —
 * where a ladder of those connections draws them.
 */
export function tcpModel(framed: FramedCapture): TcpModel {
  const t = framed.tcp;
  return { eventRows: eventRows(t.events.conn, framed.connections.length), ...attemptRecords(framed) };
}

function eventRows(conn: Int32Array, connections: number): ConnRows {
  const start = new Uint32Array(connections + 1);
  for (let i = 0; i < conn.length; i++) if (conn[i] >= 0 && conn[i] < connections) start[conn[i] + 1]++;
  for (let c = 0; c < connections; c++) start[c + 1] += start[c];
  const rows = new Uint32Array(start[connections]);
  const fill = start.slice(0, connections);
  for (let i = 0; i < conn.length; i++) if (conn[i] >= 0 && conn[i] < connections) rows[fill[conn[i]]++] = i;
  return { rows, start };
}

function endpoint(version: number, words: Uint32Array, k: number, port: number): { address: string; text: string } {
  const address = formatAddress(version === 6 ? 6 : 4, words[k * 4], words[k * 4 + 1], words[k * 4 + 2], words[k * 4 + 3]);
  return { address, text: version === 6 ? `[${address}]:${port}` : `${address}:${port}` };
}

function attemptRecords(framed: FramedCapture): Pick<TcpModel, 'attempts' | 'attemptsNotListed'> {
  const a = framed.tcp.attempts;
  const carried = framed.tcp.connections.conn;
  const attempts: AttemptRecord[] = [];
  let notListed = a.dropped;
  // The iSCSI connections by initiator address and portal, in time order: where an attempt sits between them.
  const byPair = new Map<string, ConnectionSummary[]>();
  for (const c of framed.connections) {
    const key = `${c.initiator.address}\u0000${c.target.address}:${c.target.port}`;
    const list = byPair.get(key);
    if (list) list.push(c);
    else byPair.set(key, [c]);
  }
  for (let k = 0; k < a.count; k++) {
    const conn = carried[a.tcpConn[k]];
    const answer = a.answer[k];
    const outcome = answer === ANSWER_RST ? 'refused' : answer === ANSWER_SYN_ACK ? (a.syns[k] > 1 ? 'answered-late' : undefined) : 'unanswered';
    if (outcome === undefined) continue;
    if (attempts.length >= MAX_ATTEMPTS_LISTED) {
      notListed++;
      continue;
    }
    const v = a.ipVersion[k];
    const client = endpoint(v, a.clientAddr, k, a.clientPort[k]);
    const server = endpoint(v, a.serverAddr, k, a.serverPort[k]);
    const pair = byPair.get(`${client.address}\u0000${server.address}:${a.serverPort[k]}`) ?? [];
    const time = a.firstSynTime[k];
    let previousConn = -1, nextConn = conn >= 0 ? conn : -1;
    for (const c of pair) {
      if (c.conn === conn) continue;
      if (c.firstTime < time) previousConn = c.conn;
      else if (nextConn < 0) nextConn = c.conn;
    }
    attempts.push({
      attempt: k, tcpConn: a.tcpConn[k], initiator: client.text, portal: server.text, outcome, syns: a.syns[k],
      first: { frame: a.firstSynFrame[k], time }, last: { frame: a.lastSynFrame[k], time: a.lastSynTime[k] },
      answer: answer !== 0 ? { frame: a.answerFrame[k], time: a.answerTime[k] } : undefined,
      conn, previousConn, nextConn,
    });
  }
  return { attempts, attemptsNotListed: notListed };
}
