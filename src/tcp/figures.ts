import type { RetransmissionBurst, ZeroWindowEpisode } from './analysis.ts';
import type { TcpConnection } from './reassembly.ts';

/** What one side of a connection sent and advertised, from the TCP analysis. */
export interface TcpDirectionFigures {
  /** Segments with payload that Wireshark calls retransmissions (fast and spurious ones too). */
  retransmittedSegments: number;
  retransmittedBytes: number;
  /** The longest wait before a retransmission, seconds: Wireshark's tcp.analysis.rto (from the
   *  oldest segment not yet acknowledged, for retransmissions that are neither fast nor spurious);
   *  -1 where there was none. */
  longestRetransmissionWait: number;
  /** The most retransmissions in a row of one segment (RTO back-offs). */
  backoffs: number;
  /** Retransmissions less than RETRANSMISSION_BURST_GAP apart, one entry per burst. */
  bursts: RetransmissionBurst[];
  /** Times this side advertised a zero window, and for how long in all (seconds; an episode still
   *  open when the connection ended counts up to its last packet). */
  zeroWindowEpisodes: number;
  zeroWindowTime: number;
  /** Episodes longer than LONG_ZERO_WINDOW. */
  longZeroWindows: ZeroWindowEpisode[];
  /** Overlapping segments whose bytes differed from the copy held. */
  conflicts: number;
}

export interface TcpConnectionFigures {
  /** SYN to the first ACK of the handshake (Wireshark's tcp.analysis.initial_rtt), seconds; NaN
   *  where the capture did not hold the handshake. */
  handshakeRtt: number;
  /** By TcpConnection side. */
  dirs: [TcpDirectionFigures, TcpDirectionFigures];
}

/** The figures of an analysed connection (undefined for one whose analysis was dropped). Final
 *  once the connection is closed. */
export function connectionFigures(conn: TcpConnection): TcpConnectionFigures | undefined {
  const a = conn.analysis;
  if (!a) return undefined;
  const side = (i: 0 | 1): TcpDirectionFigures => {
    const f = a.flows[i];
    return {
      retransmittedSegments: f.retransmittedSegments,
      retransmittedBytes: f.retransmittedBytes,
      longestRetransmissionWait: f.longestRetransmissionWait,
      backoffs: f.backoffs,
      bursts: f.bursts.map((b) => ({ ...b, firstTime: b.firstTime + a.epochOffset, lastTime: b.lastTime + a.epochOffset })),
      zeroWindowEpisodes: f.zeroWindowEpisodes,
      zeroWindowTime: f.zeroWindowTime,
      longZeroWindows: f.longZeroWindows.map((e) => ({ ...e, startTime: e.startTime + a.epochOffset, endTime: e.endTime + a.epochOffset })),
      conflicts: conn.dirs[i].conflicts,
    };
  };
  return { handshakeRtt: a.firstRtt !== 0 ? a.firstRtt : Number.NaN, dirs: [side(0), side(1)] };
}
