/** Command-line parsing for iscsi-inspect: small, strict, with messages that say what was wrong. */

export class UsageError extends Error {}

export interface CliArgs {
  command: string;
  positional: string[];
  json: boolean;
  format: string | undefined;
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

const COMMANDS = ['summary', 'frames', 'connections', 'pdus', 'findings', 'incidents', 'logs', 'explain'];

export const USAGE = `usage:
  iscsi-inspect summary     <capture> [--json]
  iscsi-inspect frames      <capture> [--format jsonl]
  iscsi-inspect connections <capture> [--json]
  iscsi-inspect pdus        <capture> [--format jsonl|tsv]
  iscsi-inspect findings    <capture> [--json] [--min-severity info|warning|error]
                                      [--slow-ms N] [--churn-logins N] [--churn-window-s N]
  iscsi-inspect incidents   <capture> [--json]   (the findings grouped into what happened, worst first;
                                      the same thresholds as findings)
  iscsi-inspect logs        <capture> <logfile>… [--json] [--offset S]
                                      (host logs placed on the capture's clock: the offset is found by
                                      matching events both show; --offset S, log clock − capture clock
                                      in seconds, overrides it — once for all logs, or once per log)
  findings and incidents take --log FILE (repeatable) to tie log lines to them
  iscsi-inspect explain     "<kernel or iscsid log line>" [--json]
options:
  --port N   also treat TCP port N as iSCSI (repeatable); 3260 always is, and a connection whose
             first bytes form a valid Login Request is recognised on any port
exit status: 0 analysed, 1 the capture could not be read (partial output still printed), 2 usage error`;

function number(flag: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} takes a number from ${min} to ${max}, not "${v}"`);
  return n;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const a: CliArgs = {
    command: '', positional: [], json: false, format: undefined, ports: [], minSeverity: 'info',
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
        if (v !== 'jsonl' && v !== 'tsv') throw new UsageError(`--format takes jsonl or tsv, not "${v ?? ''}"`);
        a.format = v;
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
    if (a.positional.length < 2) throw new UsageError('logs takes a capture file and at least one log file');
    a.logs.push(...a.positional.splice(1));
  } else if (a.positional.length !== 1) {
    throw new UsageError(a.command === 'explain' ? 'explain takes one log line (quote it)' : `${a.command} takes one capture file`);
  }
  if (a.logs.length && !['logs', 'findings', 'incidents'].includes(a.command)) throw new UsageError(`--log does not apply to ${a.command}`);
  if (a.offsets.length && !a.logs.length) throw new UsageError('--offset applies to log files (logs, or --log)');
  if (a.offsets.length > 1 && a.offsets.length !== a.logs.length) {
    throw new UsageError(`--offset given ${a.offsets.length} times for ${a.logs.length} log files: give one for all, or one per log`);
  }
  if (a.format && a.command !== 'pdus' && !(a.command === 'frames' && a.format === 'jsonl')) {
    throw new UsageError(`--format ${a.format} does not apply to ${a.command}`);
  }
  return a;
}
