import type { Severity } from './types.ts';

/**
 * The finding kinds of docs/findings.md, with their severity. Two kinds lower it in one case:
 * command-unanswered when the capture simply ended first (as the contract says), and
 * expstatsn-ahead when the initiator counted an R2T's StatSN at ErrorRecoveryLevel 0 (libiscsi
 * does; harmless there).
 */
export const FINDING_KINDS: ReadonlyArray<{ kind: string; severity: Severity; otherwise?: Severity }> = [
  { kind: 'nop-ping', severity: 'info' },
  { kind: 'nop-ping-unanswered', severity: 'error' },
  { kind: 'target-ping', severity: 'info' },
  { kind: 'target-ping-unanswered', severity: 'error' },
  { kind: 'ttt-echo-mismatch', severity: 'error' },
  { kind: 'statsn-gap', severity: 'warning' },
  /** Added: two statuses sent in each other's place (15, 17, 16, 18): nothing missing. */
  { kind: 'statsn-transposition', severity: 'warning' },
  /** Added: one status with a wrong StatSN, the sequence going on as if it had the right one. */
  { kind: 'statsn-wrong-value', severity: 'warning' },
  { kind: 'expstatsn-ahead', severity: 'error', otherwise: 'warning' },
  { kind: 'cmdsn-out-of-window', severity: 'warning' },
  { kind: 'command-window-closed', severity: 'warning' },
  { kind: 'slow-command', severity: 'warning' },
  { kind: 'command-unanswered', severity: 'error', otherwise: 'warning' },
  { kind: 'tmf', severity: 'warning' },
  { kind: 'tmf-unanswered', severity: 'error' },
  { kind: 'login-failure', severity: 'error' },
  /** Added: a Login Request no Login Response answered before the connection ended (warning: the capture ended first). */
  { kind: 'login-unanswered', severity: 'error', otherwise: 'warning' },
  { kind: 'login-churn', severity: 'warning' },
  { kind: 'session-reinstatement', severity: 'warning' },
  /** Added to the vocabulary: a re-login with a new ISID after the connection failed (libiscsi's reconnect). */
  { kind: 'relogin', severity: 'warning' },
  /** Added: a data segment longer than the receiver's declared MaxRecvDataSegmentLength. */
  { kind: 'data-segment-over-limit', severity: 'warning' },
  { kind: 'connection-reset', severity: 'error' },
  { kind: 'closed-without-logout', severity: 'warning' },
  { kind: 'logout', severity: 'info' },
  { kind: 'reject', severity: 'error' },
  { kind: 'async-message', severity: 'warning' },
  { kind: 'digest-error', severity: 'error' },
  { kind: 'capture-gap', severity: 'warning' },
  { kind: 'snaplen-truncated', severity: 'info' },
  /** Added: bytes of a stream that are in the capture but hold no PDU boundary the framer could confirm. */
  { kind: 'unframed-bytes', severity: 'warning' },
  /** New in this revision of the contract: timestamps go backwards (told once per capture). */
  { kind: 'time-backwards', severity: 'warning' },
  { kind: 'digest-unnegotiated', severity: 'warning' },
  { kind: 'expcmdsn-ahead', severity: 'error' },
  { kind: 'tcp-retransmissions', severity: 'warning' },
  { kind: 'tcp-zero-window', severity: 'warning' },
  { kind: 'connect-refused', severity: 'error' },
  { kind: 'connect-unanswered', severity: 'error' },
  { kind: 'tcp-overlap-conflict', severity: 'warning' },
  /** Added: out-of-order data reached the reassembler's bound, so bytes were declared missing that might still have come. */
  { kind: 'tcp-held-limit', severity: 'warning' },
];
