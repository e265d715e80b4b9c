/** Command-line parsing for iscsi-inspect: small, strict, with messages that say what was wrong. */

export class UsageError extends Error {}

export interface CliArgs {
  command: string;
  positional: string[];
  json: boolean;
  format: string | undefined;
  /** -o / --output: the file a binary format (Parquet) is written to. */
  output: string | undefined;
  ports: number[];
  minSeverity: 'info' | 'warning' | 'error';
  slowMs: number | undefined;
  churnLogins: number | undefined;
  churnWindowS: number | undefined;
  /** Host logs to put on the capture's timeline (`logs`' extra arguments, or --log for findings/incidents). */
  logs: string[];
  /** --offset S (repeatable): the logs' offsets from the capture clock, in file order; one applies to all. */
  offsets: number[];
  help: boolean;
}

const COMMANDS = ['summary', 'frames', 'connections', 'pdus', 'tcp', 'findings', 'incidents', 'logs', 'watch', 'explain'];

/** The exit statuses, as every help text states them. */
export const EXIT = { analysed: 0, unreadable: 1, usage: 2, outOfMemory: 3, outputFailed: 4 } as const;

const EXIT_STATUS = `exit status: 0 analysed (findings do not change it); 1 the capture could not be read (a one-line
reason on stderr, what was read still printed); 2 usage error; 3 out of memory (the analysis stopped,
what was analysed printed); 4 the output could not be written (disk full, I/O error; a closed pipe,
as with | head, is not an error)`;

export const USAGE = `usage:
  iscsi-inspect summary     <capture> [--json]
  iscsi-inspect frames      <capture> [--format jsonl]
  iscsi-inspect connections <capture> [--json]
  iscsi-inspect pdus        <capture> [--format jsonl|tsv | --format parquet -o FILE]
  iscsi-inspect tcp         <capture> [--format jsonl | --format parquet -o FILE]
                                      (Wireshark's TCP analysis flags, SYN, FIN and RST of the TCP
                                      connections to iSCSI ports, one object per flagged segment)
  iscsi-inspect findings    <capture> [--json | --format parquet -o FILE] [--min-severity info|warning|error]
                                      [--slow-ms N] [--churn-logins N] [--churn-window-s N]
  iscsi-inspect incidents   <capture> [--json]   (the findings grouped into what happened, worst first;
                                      the same thresholds as findings)
  iscsi-inspect logs        <capture> <logfile>… [--json] [--offset S]
                                      (host logs placed on the capture's clock: the offset is found by
                                      matching events both show; --offset S, log clock − capture clock
                                      in seconds, overrides it — once for all logs, or once per log)
  findings and incidents take --log FILE (repeatable) to tie log lines to them
  iscsi-inspect watch       <capture|-> [--json]  (findings and incidents printed as soon as nothing
                                      later can change them; a status line on stderr every 5 s)
  iscsi-inspect explain     "<kernel or iscsid log line>" [--json]
  iscsi-inspect <command> --help
<capture> is a pcap or pcapng file, gzip-compressed or not; - reads it from standard input
(tcpdump -w - … | iscsi-inspect pdus -); a FIFO or a device is read once, like a pipe. Several
captures (a tcpdump ring: ring.pcap*) are read as one: frames numbered across them in the order
given, as mergecap -a does; files that overlap in time are merged by time (said on stderr).
options:
  --port N   also treat TCP port N as iSCSI (repeatable); 3260 always is, and a connection whose
             first bytes form a valid Login Request is recognised on any port
${EXIT_STATUS}`;

const CAPTURE_ARG = `<capture>   a pcap or pcapng file, gzip-compressed or not; - is standard input; FIFOs and
            devices are read once, front to back; several are read as one capture (a ring of files)
--port N    also treat TCP port N as iSCSI (repeatable; 3260 always is)`;

const PARQUET = `--format parquet -o FILE
            write a Parquet file instead: typed columns (tags and sequence numbers UINT_32, times
            TIMESTAMP(NANOS) UTC, frame numbers INT64) and the capture's name in column "capture",
            so a directory of them is one table: duckdb -c "select … from 'dir/*.parquet'"`;

/** `iscsi-inspect <command> --help`. */
export const COMMAND_HELP: Record<string, string> = {
  summary: `iscsi-inspect summary <capture> [--json] [--port N]
What the capture holds: format, packets, duration, link types, TCP and iSCSI connections, sessions,
PDUs by type, findings by severity.
--json      one JSON object
${CAPTURE_ARG}`,
  frames: `iscsi-inspect frames <capture> [--format jsonl]
One JSON object per packet record, in file order: frame, timeNs, capLen, origLen, interface, linkType.
${CAPTURE_ARG}`,
  connections: `iscsi-inspect connections <capture> [--json] [--port N]
Every iSCSI connection: addresses and names, session, login, logout, how it ended, digests, what the
capture missed.
--json      a JSON array of connections
${CAPTURE_ARG}`,
  pdus: `iscsi-inspect pdus <capture> [--format jsonl|tsv] [--port N]
Every PDU, in frame order, printed as soon as it is settled (a live capture streams).
--format jsonl  one JSON object per PDU (the default); tsv: the common columns with a header line
${PARQUET}
${CAPTURE_ARG}`,
  tcp: `iscsi-inspect tcp <capture> [--format jsonl] [--port N]
One JSON object per TCP event of every TCP connection to or from an iSCSI port (3260, --port, a
portal a SendTargets answer named, or a connection recognised by its Login Request), attempts that
never connected included, in frame order: frame, time, tcpConn (0-based over those connections, in
order of first packet), conn (the iSCSI connection, where one), dir ("I>T" from the side that sent
the SYN), events, seq and ack (absolute), len (payload bytes), win (bytes, scaled where the
handshake was seen). Events are Wireshark 4.0's tcp.analysis flags, set on the same frames:
retransmission, fast-retransmission, spurious-retransmission, out-of-order, lost-segment,
ack-lost-segment, duplicate-ack, zero-window, zero-window-probe, zero-window-probe-ack, window-full,
window-update, keep-alive, keep-alive-ack; then syn, syn-ack, fin, rst.
--format jsonl  one JSON object per event (the default)
${PARQUET}
${CAPTURE_ARG}`,
  findings: `iscsi-inspect findings <capture> [--json] [--min-severity info|warning|error] [--port N]
                       [--slow-ms N] [--churn-logins N] [--churn-window-s N]
What went wrong (and the routine events worth a look), sorted by time.
--json              a JSON array of findings (streamed: any number of them)
--min-severity S    only findings of severity S or worse
--slow-ms N         a SCSI command slower than N ms is slow-command (default 1000)
--churn-logins N    this many logins of one initiator to one portal ... (default 5)
--churn-window-s N  ... within N seconds is login-churn (default 60)
${PARQUET}
            (the detail keys of each kind are in the JSON column "details")
${CAPTURE_ARG}`,
  incidents: `iscsi-inspect incidents <capture> [--json] [--log FILE] [--port N] [--slow-ms N] …
The findings grouped into what happened, worst first: each with its kind, severity, connections, a
headline a person can act on, and the chain of frames that shows it; a finding belongs to one
incident at most.
--json      a JSON array of incidents ("findings" index findings --json of the same capture)
--log FILE  a host log to place on the capture's clock; its lines are shown with their incident
${CAPTURE_ARG}`,
  logs: `iscsi-inspect logs <capture> <logfile>… [--json] [--offset S] [--port N]
Host logs (syslog, RFC 5424, journalctl, dmesg and dmesg -T, iscsid, LIO, tgtd) on the capture's
timeline: each log's offset from the capture clock found by the events both show, every line with
its capture time, meaning, connection, finding and incident.
--json      one object: offsets (per log) and lines (every line, in capture-time order)
--offset S  the log clock minus the capture clock, in seconds (once for all logs, or once per log)
${CAPTURE_ARG}`,
  watch: `iscsi-inspect watch <capture|-> [--json] [--port N] [--slow-ms N] …
For a live capture (tcpdump -i eth0 -U -w - port 3260 | iscsi-inspect watch -): each finding, and each
incident, printed as soon as nothing later in the capture can change it (an answered ping at once, an
unanswered one when its connection has ended); a status line on stderr every 5 s (packets, PDUs, open
connections). At the end of the input everything still open is told.
--json      one JSON object per line: a finding ("type": "finding") or an incident ("type": "incident")
${CAPTURE_ARG}`,
  explain: `iscsi-inspect explain "<kernel or iscsid log line>" [--json]
What a Linux iSCSI log line means: the iscsi_err code and name, the connection state, ping timings.
--json      one JSON object (null for a line it does not recognise)`,
};

/** The help for one command, or the overview. */
export function helpText(command: string): string {
  const h = COMMAND_HELP[command];
  return h ? `${h}\n${EXIT_STATUS}` : USAGE;
}



/** --offset goes with log files: one for all of them, or one each. */
export function checkLogOffsets(a: CliArgs): void {
  if (a.offsets.length && !a.logs.length) throw new UsageError('--offset applies to log files (logs, or --log)');
  if (a.offsets.length > 1 && a.offsets.length !== a.logs.length) {
    throw new UsageError(`--offset given ${a.offsets.length} times for ${a.logs.length} log files: give one for all, or one per log`);
  }
}

function number(flag: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} takes a number from ${min} to ${max}, not "${v}"`);
  return n;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const a: CliArgs = {
    command: '', positional: [], json: false, format: undefined, output: undefined, ports: [], minSeverity: 'info',
    slowMs: undefined, churnLogins: undefined, churnWindowS: undefined, logs: [], offsets: [], help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--json': a.json = true; break;
      case '-h': case '--help': a.help = true; break;
      case '--format': {
        const v = value();
        if (v !== 'jsonl' && v !== 'tsv' && v !== 'parquet') throw new UsageError(`--format takes jsonl, tsv or parquet, not "${v ?? ''}"`);
        a.format = v;
        break;
      }
      case '-o': case '--output': {
        const v = inline ?? argv[++i];
        if (v === undefined || v === '') throw new UsageError(`${flag} needs a file name`);
        a.output = v;
        break;
      }
      case '--port': a.ports.push(number('--port', value(), 1, 65535)); break;
      case '--min-severity': {
        const v = value();
        if (v !== 'info' && v !== 'warning' && v !== 'error') throw new UsageError(`--min-severity takes info, warning or error, not "${v ?? ''}"`);
        a.minSeverity = v;
        break;
      }
      case '--slow-ms': a.slowMs = number('--slow-ms', value(), 0, 1e9); break;
      case '--churn-logins': a.churnLogins = number('--churn-logins', value(), 2, 1e9); break;
      case '--churn-window-s': a.churnWindowS = number('--churn-window-s', value(), 0.001, 1e9); break;
      case '--log': {
        const v = value();
        if (v === undefined || v === '') throw new UsageError('--log needs a log file');
        a.logs.push(v);
        break;
      }
      case '--offset': a.offsets.push(number('--offset', value(), -1e10, 1e10)); break;
      default:
        if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown option ${arg}`);
        if (!a.command) a.command = arg;
        else a.positional.push(arg);
    }
  }
  if (a.help) return a;
  if (!a.command) throw new UsageError('no command given');
  if (!COMMANDS.includes(a.command)) throw new UsageError(`unknown command "${a.command}"`);
  if (a.command === 'logs') {
    // Captures and logs are told apart by their first bytes (main.ts); here only that both can be there.
    if (a.positional.length < 2) throw new UsageError('logs takes a capture file and at least one log file');
  } else if (a.command === 'explain') {
    if (a.positional.length !== 1) throw new UsageError('explain takes one log line (quote it)');
  } else if (a.positional.length === 0) {
    throw new UsageError(`${a.command} takes a capture file (or several: a ring of files is read as one capture)`);
  }
  if (a.positional.filter((p) => p === '-').length > 1) throw new UsageError('- (standard input) can be given once');
  if (a.logs.length && !['logs', 'findings', 'incidents'].includes(a.command)) throw new UsageError(`--log does not apply to ${a.command}`);
  // For `logs` the log files are known once captures and logs are told apart (checkLogOffsets then).
  if (a.command !== 'logs') checkLogOffsets(a);
  const parquetCommand = a.command === 'pdus' || a.command === 'findings' || a.command === 'tcp';
  if (a.format && !(a.command === 'pdus' || ((a.command === 'frames' || a.command === 'tcp') && a.format === 'jsonl') || (parquetCommand && a.format === 'parquet'))) {
    throw new UsageError(`--format ${a.format} does not apply to ${a.command}`);
  }
  if (a.format === 'parquet') {
    if (!parquetCommand) throw new UsageError(`--format parquet does not apply to ${a.command}`);
    if (a.output === undefined) throw new UsageError('--format parquet needs -o FILE (Parquet is not for a terminal)');
    if (a.json) throw new UsageError('--json and --format parquet: choose one');
  } else if (a.output !== undefined) {
    throw new UsageError('-o FILE goes with --format parquet');
  }
  return a;
}
