import type { Finding, Severity } from '../checks/index.ts';
import type { FramedCapture } from '../iscsi/index.ts';
import type { SessionModel } from '../sessions/index.ts';
import { formatDuration } from '../text/index.ts';
import type { Incident, IncidentKind, IncidentStep } from './types.ts';

/** What every incident builder reads, and the findings already claimed (each belongs to one incident at most). */
export class IncidentContext {
  readonly claimed = new Set<number>();
  /** Finding indices by kind, and by kind and connection (per-connection lookups stay linear overall). */
  private readonly byKind = new Map<string, number[]>();
  private readonly byKindConn = new Map<string, number[]>();
  /** By kind, then "conn@frame" (made when first asked for: openAt). */
  private readonly byKindFrame = new Map<string, Map<string, number[]>>();

  constructor(
    readonly framed: FramedCapture,
    readonly model: SessionModel,
    readonly findings: readonly Finding[],
  ) {
    findings.forEach((f, i) => {
      append(this.byKind, f.kind, i);
      if (f.conn !== undefined) append(this.byKindConn, `${f.kind}/${f.conn}`, i);
      if (typeof f.previousConn === 'number') append(this.byKindConn, `${f.kind}<${f.previousConn}`, i);
    });
  }

  /** Unclaimed findings of these kinds, in time order. */
  open(...kinds: string[]): number[] {
    const out: number[] = [];
    for (const k of kinds) for (const i of this.byKind.get(k) ?? []) if (!this.claimed.has(i)) out.push(i);
    return out.sort((a, b) => a - b);
  }

  /** Unclaimed findings of these kinds on a connection. */
  openOn(conn: number, ...kinds: string[]): number[] {
    return this.pick(kinds.map((k) => `${k}/${conn}`));
  }

  /** Unclaimed findings of these kinds on a connection at a frame (the command a TMF names). */
  openAt(conn: number, frame: number, ...kinds: string[]): number[] {
    const out: number[] = [];
    for (const k of kinds) {
      let index = this.byKindFrame.get(k);
      if (index === undefined) {
        // Made for a kind the first time it is asked for: one lookup per TMF, not a scan of the
        // connection's findings (a crafted capture holds tens of thousands of both).
        index = new Map();
        for (const i of this.byKind.get(k) ?? []) {
          const f = this.findings[i];
          if (f.conn !== undefined && f.frame !== undefined) append(index, `${f.conn}@${f.frame}`, i);
        }
        this.byKindFrame.set(k, index);
      }
      for (const i of index.get(`${conn}@${frame}`) ?? []) if (!this.claimed.has(i)) out.push(i);
    }
    return out.sort((a, b) => a - b);
  }

  /** Unclaimed findings of these kinds whose previousConn is `conn` (the re-login after it). */
  openAfter(conn: number, ...kinds: string[]): number[] {
    return this.pick(kinds.map((k) => `${k}<${conn}`));
  }

  private pick(keys: string[]): number[] {
    const out: number[] = [];
    for (const key of keys) for (const i of this.byKindConn.get(key) ?? []) if (!this.claimed.has(i)) out.push(i);
    return out.sort((a, b) => a - b);
  }

  /** The capture's start: what "+3.01 s" counts from. */
  get t0(): number {
    return this.framed.capture.firstTime ?? 0;
  }

  /** "+3.01 s" */
  at(time: number): string {
    return `+${formatDuration(Math.max(0, time - this.t0)).replace(/^0 s$/, '0 s')}`;
  }

  /** An incident from its findings (claimed here) and its chain. */
  make(kind: IncidentKind, findings: number[], chain: IncidentStep[], headline: string): Incident {
    const list = [...new Set(findings)].sort((a, b) => a - b);
    for (const i of list) this.claimed.add(i);
    const conns = new Set<number>();
    let severity: Severity = 'info';
    let start = Infinity;
    let end = -Infinity;
    for (const i of list) {
      const f = this.findings[i];
      if (RANK[f.severity] > RANK[severity]) severity = f.severity;
      if (f.conn !== undefined) conns.add(f.conn);
      for (const c of f.conns ?? []) conns.add(c);
      start = Math.min(start, f.time);
      end = Math.max(end, f.time);
    }
    chain.sort((a, b) => a.time - b.time || a.frame - b.frame);
    for (const s of chain) {
      conns.add(s.conn);
      start = Math.min(start, s.time);
      end = Math.max(end, s.time);
    }
    return { kind, severity, conns: [...conns].sort((a, b) => a - b), start, end, headline, chain, findings: list };
  }
}

export const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** "conn 3" */
export function connName(conn: number): string {
  return `conn ${conn}`;
}

/** Milliseconds in words. */
export function ms(v: unknown): string {
  return typeof v === 'number' ? formatDuration(v / 1000) : '?';
}

/** Append every element (a loop: spreading a long list into push() overflows the call stack). */
export function pushAll<T>(out: T[], list: readonly T[]): void {
  for (const x of list) out.push(x);
}

/** Add `value` to the list under `key`. */
export function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const l = map.get(key);
  if (l) l.push(value);
  else map.set(key, [value]);
}
