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

function attemptRecords(framed: FramedCapture): Pick<TcpModel, 'attempts' | 'attemptsNotListed' | 'attemptTotals'> {
  const a = framed.tcp.attempts;
  const attempts: AttemptRecord[] = [];
  const totals = {
    attempts: a.count + a.dropped,
    connected: a.droppedConnected,
    refused: a.droppedRefused,
    unanswered: a.droppedUnanswered,
    answeredLate: a.droppedAnsweredLate,
  };
  let failed = 0;
  for (let k = 0; k < a.count; k++) {
    const outcome = attemptOutcome(a, k);
    if (outcome === undefined) totals.connected++;
    else {
      failed++;
      totals[outcome === 'answered-late' ? 'answeredLate' : outcome]++;
    }
  }
  // Only the listed ones are made: the rest are counted above (the checks read them all).
  for (const r of failedAttempts(framed)) {
    attempts.push(r);
    if (attempts.length >= MAX_ATTEMPTS_LISTED) break;
  }
  return { attempts, attemptsNotListed: a.dropped + failed - attempts.length, attemptTotals: totals };
}

function attemptOutcome(a: FramedCapture['tcp']['attempts'], k: number): AttemptRecord['outcome'] | undefined {
  const answer = a.answer[k];
  if (answer === ANSWER_RST) return 'refused';
  if (answer === ANSWER_SYN_ACK) return a.syns[k] > 1 ? 'answered-late' : undefined;
  return 'unanswered';
}

/**
 * Every recorded attempt that did not simply connect, in order of first SYN, made as it is read:
 * the model lists the first MAX_ATTEMPTS_LISTED, and the checks read them all (a reconnect storm's
 * count must be its whole count).
 */
export function* failedAttempts(framed: FramedCapture): Generator<AttemptRecord> {
  const a = framed.tcp.attempts;
  const carried = framed.tcp.connections.conn;
  // The iSCSI connections by initiator address and portal, in time order: where an attempt sits between them.
  const byPair = new Map<string, ConnectionSummary[]>();
  for (const c of framed.connections) {
    const key = `${c.initiator.address}\u0000${c.target.address}:${c.target.port}`;
    const list = byPair.get(key);
    if (list) list.push(c);
    else byPair.set(key, [c]);
  }
  for (const list of byPair.values()) list.sort((x, y) => x.firstTime - y.firstTime || x.conn - y.conn);
  for (let k = 0; k < a.count; k++) {
    const outcome = attemptOutcome(a, k);
    if (outcome === undefined) continue;
    // tcpConn is past the table for an attempt whose connection carried nothing and is not listed.
    const conn = a.tcpConn[k] < carried.length ? carried[a.tcpConn[k]] : -1;
    const answer = a.answer[k];
    const v = a.ipVersion[k];
    const client = endpoint(v, a.clientAddr, k, a.clientPort[k]);
    const server = endpoint(v, a.serverAddr, k, a.serverPort[k]);
    const pair = byPair.get(`${client.address}\u0000${server.address}:${a.serverPort[k]}`);
    const time = a.firstSynTime[k];
    let previousConn = -1, nextConn = conn >= 0 ? conn : -1;
    if (pair !== undefined) {
      // The last connection of the pair that began before the attempt, and the first at or after it.
      let lo = 0, hi = pair.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pair[mid].firstTime < time) lo = mid + 1;
        else hi = mid;
      }
      for (let j = lo - 1; j >= 0; j--) if (pair[j].conn !== conn) { previousConn = pair[j].conn; break; }
      if (nextConn < 0) for (let j = lo; j < pair.length; j++) if (pair[j].conn !== conn) { nextConn = pair[j].conn; break; }
    }
    yield {
      attempt: k, tcpConn: a.tcpConn[k], initiator: client.text, portal: server.text, outcome, syns: a.syns[k],
      first: { frame: a.firstSynFrame[k], time }, last: { frame: a.lastSynFrame[k], time: a.lastSynTime[k] },
      answer: answer !== 0 ? { frame: a.answerFrame[k], time: a.answerTime[k] } : undefined,
      conn, previousConn, nextConn,
    };
  }
}
