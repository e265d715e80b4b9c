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
  help: boolean;
}

const COMMANDS = ['summary', 'frames', 'connections', 'pdus', 'findings', 'incidents', 'explain'];

export const USAGE = `usage:
  iscsi-inspect summary     <capture> [--json]
  iscsi-inspect frames      <capture> [--format jsonl]
  iscsi-inspect connections <capture> [--json]
  iscsi-inspect pdus        <capture> [--format jsonl|tsv]
  iscsi-inspect findings    <capture> [--json] [--min-severity info|warning|error]
                                      [--slow-ms N] [--churn-logins N] [--churn-window-s N]
  iscsi-inspect incidents   <capture> [--json]   (the findings grouped into what happened, worst first;
                                      the same thresholds as findings)
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
    slowMs: undefined, churnLogins: undefined, churnWindowS: undefined, help: false,
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
      default:
        if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown option ${arg}`);
        if (!a.command) a.command = arg;
        else a.positional.push(arg);
    }
  }
  if (a.help) return a;
  if (!a.command) throw new UsageError('no command given');
  if (!COMMANDS.includes(a.command)) throw new UsageError(`unknown command "${a.command}"`);
  if (a.positional.length !== 1) {
    throw new UsageError(a.command === 'explain' ? 'explain takes one log line (quote it)' : `${a.command} takes one capture file`);
  }
  if (a.format && a.command !== 'pdus' && !(a.command === 'frames' && a.format === 'jsonl')) {
    throw new UsageError(`--format ${a.format} does not apply to ${a.command}`);
  }
  return a;
}
