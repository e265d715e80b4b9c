import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';

/** Run the CLI in-process, as `iscsi-inspect ARGS` would, capturing its output. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void): Writable => new Writable({
    write(chunk: Buffer | string, _enc, done) { add(chunk.toString()); done(); },
  });
  const code = await main(args, { stdout: sink((s) => { stdout += s; }), stderr: sink((s) => { stderr += s; }) });
  return { code, stdout, stderr };
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
}
