import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const SCENARIOS = path.resolve(__dirname, '../../../bench/scenarios');

/** Options every sipp of this bench takes: 127.0.0.1, no keyboard, enough receive/schedule loops for a few hundred calls/s. */
export function commonArgs(port: number): string[] {
  return ['-i', '127.0.0.1', '-p', String(port), '-nostdin', '-max_recv_loops', '10000', '-max_sched_loops', '10000'];
}

export interface SippRun {
  child: ChildProcess;
  /** exit code (-1: killed) */
  done: Promise<number>;
}

const running = new Set<ChildProcess>();

/** SIGKILL every sipp this process started that is still running. */
export function killAllSipps(): void {
  for (const c of running) c.kill('SIGKILL');
}

/** Starts sipp in `cwd`; it is SIGKILLed if it is still running after `killAfterMs`. */
export function startSipp(args: string[], cwd: string, killAfterMs: number): SippRun {
  const child = spawn('sipp', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const done = new Promise<number>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      clearTimeout(timer);
      if (code !== 0 && code !== 1 && stderr.trim()) process.stderr.write(`sipp (exit ${code}): ${stderr.trim().slice(0, 1000)}\n`);
      resolve(code ?? -1);
    });
  });
  return { child, done };
}

/** Rows of sipp's -trace_stat file as records, oldest first ([] before the first dump). */
export function statRows(file: string): Record<string, string>[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return [];
  }
  const lines = text.split('\n');
  if (lines.length < 2) return [];
  const head = lines[0].split(';');
  return lines.slice(1).map((l) => {
    const cols = l.split(';');
    return Object.fromEntries(head.map((h, i) => [h, cols[i]]));
  });
}

export function statLast(file: string): Record<string, string> | undefined {
  const rows = statRows(file);
  return rows[rows.length - 1];
}

/** Every response time (ms) of the -trace_rtt file(s) in `dir`, sorted. */
export function responseTimes(dir: string): number[] {
  const out: number[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').slice(1)) {
      const v = Number(line.split(';')[1]);
      if (Number.isFinite(v)) out.push(v);
    }
  }
  return out.sort((a, b) => a - b);
}

/** The start of sipp's -trace_err file: what went wrong first. */
export function errorExcerpt(file: string, maxChars = 1500): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text.length > maxChars ? `${text.slice(0, maxChars)}\n...` : text;
  } catch {
    return '';
  }
}

/** Counts per kind of failure in a stat row, only those that happened: "FailedUnexpectedMessage 3, ...". */
export function failureKinds(row: Record<string, string> | undefined): string {
  if (!row) return '';
  return Object.entries(row)
    .filter(([k, v]) => /^Failed.+\(C\)$/.test(k) && Number(v) > 0)
    .map(([k, v]) => `${k.replace('(C)', '')} ${v}`)
    .join(', ');
}
