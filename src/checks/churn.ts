import type { ConnectionModel } from '../sessions/index.ts';
import type { CheckContext } from './context.ts';
import { formatMs, printable } from '../text/index.ts';
import { NAME_MAX, finding, frameList, msBetween } from './format.ts';
import type { Finding } from './types.ts';

/**
 * Login churn: one initiator logging in to one portal at least churnLogins times within
 * churnWindowS — a rediscovery or reconnect loop (a host re-running SendTargets for a stale path,
 * an initiator that keeps failing right after login). Logins close enough to chain into
 * over-threshold windows form one burst and one finding; discovery logins are counted apart.
 */
export function checkLoginChurn(ctx: CheckContext): Finding[] {
  const groups = new Map<string, ConnectionModel[]>();
  for (const c of ctx.model.connections) {
    if (c.login === undefined) continue;
    const key = `${c.initiatorName ?? c.initiatorAddress}\u0000${c.portal}`;
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  const out: Finding[] = [];
  const windowS = ctx.options.churnWindowS;
  const need = Math.max(1, Math.floor(ctx.options.churnLogins));
  for (const list of groups.values()) {
    if (list.length < need) continue;
    list.sort((a, b) => loginTime(a) - loginTime(b));
    const n = list.length;
    // covered[k]: login k lies in some window of windowS seconds holding ≥ need logins.
    const cover = new Int32Array(n + 1);
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (j < i) j = i;
      while (j + 1 < n && loginTime(list[j + 1]) - loginTime(list[i]) <= windowS) j++;
      if (j - i + 1 >= need) { cover[i]++; cover[j + 1]--; }
    }
    let run = 0;
    let start = -1;
    for (let k = 0; k < n; k++) {
      run += cover[k];
      if (run <= 0) {
        if (start >= 0) out.push(burst(list.slice(start, k)));
        start = -1;
      } else if (start < 0) {
        start = k;
      } else if (loginTime(list[k]) - loginTime(list[k - 1]) > windowS) {
        // Two over-threshold windows that do not touch: two bursts.
        out.push(burst(list.slice(start, k)));
        start = k;
      }
    }
    if (start >= 0) out.push(burst(list.slice(start)));
  }
  return out;
}

function loginTime(c: ConnectionModel): number {
  return (c.login as NonNullable<ConnectionModel['login']>).request.time;
}

function burst(list: ConnectionModel[]): Finding {
  const logins = list.length;
  const discoveryLogins = list.filter((c) => c.sessionType === 'Discovery').length;
  const first = loginTime(list[0]);
  const windowMs = msBetween(first, loginTime(list[logins - 1]));
  const gaps = new Float64Array(Math.max(0, logins - 1));
  for (let k = 1; k < logins; k++) gaps[k - 1] = loginTime(list[k]) - loginTime(list[k - 1]);
  gaps.sort();
  const m = gaps.length;
  const median = m === 0 ? 0 : m % 2 ? gaps[(m - 1) / 2] : (gaps[m / 2 - 1] + gaps[m / 2]) / 2;
  const medianIntervalMs = msBetween(0, median);
  const periodMs = msBetween(0, loopPeriod(list, median));
  const initiator = list[0].initiatorName ?? list[0].initiatorAddress;
  const target = list[0].portal;
  const failures = list.filter((c) => c.login?.statusClass !== undefined && c.login.statusClass !== 0).length;
  const sendTargets = list.reduce((n, c) => n + (c.sessionType === 'Discovery' && c.textRequests > 0 ? 1 : 0), 0);
  let message = `${printable(initiator, NAME_MAX)} logged in to ${target} ${logins} times in ${formatMs(windowMs)}`;
  message += discoveryLogins ? ` (${discoveryLogins} discovery logins${sendTargets ? `, ${sendTargets} with SendTargets` : ''})` : '';
  message += periodMs > medianIntervalMs * 2 ? `, once every ${formatMs(periodMs)} (logins within one round ${formatMs(medianIntervalMs)} apart)` : `, once every ${formatMs(periodMs)}`;
  message += failures ? `; ${failures} of the logins failed` : '';
  message += discoveryLogins > 0
    ? ' — a rediscovery loop: something keeps re-running SendTargets discovery (e.g. a stale device path in a multipath cache)'
    : ' — a login loop: the initiator keeps reconnecting; look at why its sessions end';
  return finding('login-churn', 'warning', { conns: list.map((c) => c.conn), frame: list[0].login?.request.frame, row: list[0].login?.request.row }, first,
    frameList(list.map((c) => c.login?.request.frame)), message,
    { logins, discoveryLogins, windowMs, medianIntervalMs, periodMs, initiator, target });
}

/**
 * The loop's period: how often a round starts. A rediscovery round is a discovery login and the
 * target logins it leads to, microseconds apart; rounds are seconds apart. Logins closer than four
 * times the median interval belong to one round, and the period is the median time between rounds
 * (for a loop of single logins, that is the median interval itself).
 */
function loopPeriod(list: ConnectionModel[], median: number): number {
  const starts: number[] = [];
  const within = Math.max(0.001, median * 4);
  for (let k = 0; k < list.length; k++) {
    if (k === 0 || loginTime(list[k]) - loginTime(list[k - 1]) > within) starts.push(loginTime(list[k]));
  }
  if (starts.length < 2) return median;
  const gaps = new Float64Array(starts.length - 1);
  for (let k = 1; k < starts.length; k++) gaps[k - 1] = starts[k] - starts[k - 1];
  gaps.sort();
  const n = gaps.length;
  return n % 2 ? gaps[(n - 1) / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2;
}
