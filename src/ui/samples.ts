// Built-in sample captures (public/samples/, copied from the lab's real captures), one click each.
export interface Sample {
  file: string;
  label: string;
  what: string;
}

export const SAMPLES: readonly Sample[] = [
  {
    file: 'initiator-ping-timeout.pcap',
    label: 'Ping timeout',
    what: 'The target freezes: the initiator\'s NOP-Out pings go unanswered, it closes the connection after 5 s and logs in again (7 KB)',
  },
  {
    file: 'slow-target-abort.pcap',
    label: 'Slow target, ABORT TASK',
    what: 'A READ(16) outstanding on a frozen target: ABORT TASK after 3 s (never answered), LU RESET after 5 s (665 KB)',
  },
  {
    file: 'login-churn.pcap',
    label: 'Login churn',
    what: '30 discovery runs 0.2 s apart plus 3 normal sessions: the rediscovery-loop pattern (366 KB)',
  },
];
