import type { ConnectionModel, SessionInfo } from './types.ts';

/**
 * Groups connections into sessions (RFC 7143 §3.4, §4.4.1): a session is named by the initiator's
 * InitiatorName + ISID and the target's TargetName + TSIH, so connections with all four equal belong
 * to one session. A connection whose login failed, or whose login the capture missed, stands alone.
 * Sets ConnectionModel.session.
 */
export function groupSessions(connections: ConnectionModel[]): SessionInfo[] {
  const sessions: SessionInfo[] = [];
  const byKey = new Map<string, number>();
  for (const c of connections) {
    const named = c.login?.fullFeature === true && c.isid !== undefined && c.tsih !== undefined;
    const key = named ? `${c.initiatorName ?? c.initiatorAddress}|${c.isid}|${c.targetName ?? ''}|${c.tsih}` : undefined;
    let index = key !== undefined ? byKey.get(key) : undefined;
    if (index === undefined) {
      index = sessions.length;
      sessions.push({
        index, initiatorName: c.initiatorName, isid: c.isid, targetName: c.targetName, tsih: c.tsih,
        sessionType: c.sessionType, conns: [], firstTime: c.firstTime, lastTime: c.lastTime,
      });
      if (key !== undefined) byKey.set(key, index);
    }
    const s = sessions[index];
    s.conns.push(c.conn);
    s.lastTime = Math.max(s.lastTime, c.lastTime);
    c.session = index;
  }
  return sessions;
}
