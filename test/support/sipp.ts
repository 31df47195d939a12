import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitTcpListening, waitUdpBound } from './ports';
import { parseMessageTrace, type SippEvent } from './sipp-trace';

export type { SippEvent } from './sipp-trace';

/** Scenario files live in the source tree; this module runs from dist/test/support. */
export const SCENARIO_DIR = path.join(__dirname, '../../../test/scenarios');

const HOST = '127.0.0.1';
const KILL_GRACE_MS = 3000;
const OUTPUT_LIMIT = 64 * 1024;

export interface SippOptions {
  /** file name under test/scenarios, or an absolute path */
  scenario: string;
  /** `host:port` of the peer; required for a UAC, ignored by a UAS */
  remote?: string;
  localPort: number;
  /** u1: UDP, t1: TCP (one socket); default u1 */
  transport?: 'u1' | 't1';
  /** -m: calls to run before exiting; default 1 */
  calls?: number;
  /** -r: calls per second */
  rate?: number;
  /** -set name value, for each entry; the scenario must declare them as Global variables */
  vars?: Record<string, string>;
  /** -s: the user part of the request URI ([service]) */
  service?: string;
  /** -timeout and -timeout_error: sipp gives up (exit 255) after this long; default 30 */
  timeoutSec?: number;
  /** -lost: percentage of messages to drop, sent or received */
  lost?: number;
  /** -d: length of each <pause/> without its own duration, in ms; default 200 */
  durationMs?: number;
  /** -au/-ap (and -auth_uri): credentials for the [authentication] keyword */
  auth?: { username: string; password: string; uri?: string };
  extraArgs?: string[];
}

export interface SippResult {
  /** sipp's exit code: 0 all calls succeeded, 1 some failed, 255 fatal or -timeout hit, 254 could not bind, -1 killed by a signal */
  code: number;
  signal: NodeJS.Signals | null;
  /** stopped through kill() or the runner's watchdog rather than ending on its own */
  killed: boolean;
  /** the -message_file trace: every SIP message sent and received, in order */
  messages: string;
  /** the same trace, parsed */
  events: SippEvent[];
  /** the -error_file content (unexpected messages, timeouts, ...) */
  errors: string;
  stdout: string;
  stderr: string;
  args: string[];
}

export interface SippRun {
  readonly pid: number | undefined;
  readonly args: string[];
  /** settles when sipp has exited and its traces are read; rejects only if sipp could not be started */
  readonly done: Promise<SippResult>;
  /** SIGTERM (sipp exits, writing its traces), SIGKILL if still running after 3 s; resolves with `done` */
  kill(): Promise<SippResult>;
}

function resolveScenario(name: string): string {
  const file = path.isAbsolute(name) ? name : path.join(SCENARIO_DIR, name);
  if (!existsSync(file)) throw new Error(`sipp scenario not found: ${file}`);
  return file;
}

function buildArgs(opts: SippOptions, file: string, dir: string): string[] {
  const args = [
    ...(opts.remote ? [opts.remote] : []),
    '-sf', file,
    '-i', HOST,
    '-p', String(opts.localPort),
    '-t', opts.transport ?? 'u1',
    '-m', String(opts.calls ?? 1),
    '-d', String(opts.durationMs ?? 200),
    '-nostdin',
    // the remote-control socket binds 0.0.0.0 unless told otherwise (its port: 8888, or
    // the next free one)
    '-ci', HOST,
    '-trace_msg', '-message_file', path.join(dir, 'messages.log'),
    '-trace_err', '-error_file', path.join(dir, 'errors.log'),
    '-timeout', String(opts.timeoutSec ?? 30), '-timeout_error',
  ];
  if (opts.rate !== undefined) args.push('-r', String(opts.rate));
  if (opts.service !== undefined) args.push('-s', opts.service);
  if (opts.lost !== undefined) args.push('-lost', String(opts.lost));
  if (opts.auth) {
    args.push('-au', opts.auth.username, '-ap', opts.auth.password);
    if (opts.auth.uri !== undefined) args.push('-auth_uri', opts.auth.uri);
  }
  for (const [name, value] of Object.entries(opts.vars ?? {})) args.push('-set', name, value);
  args.push(...(opts.extraArgs ?? []));
  return args;
}

/** Keeps the last `limit` characters of a stream. */
function tail(limit: number): { add(chunk: Buffer): void; text(): string } {
  let text = '';
  return {
    add(chunk) {
      text += chunk.toString();
      if (text.length > 2 * limit) text = text.slice(-limit);
    },
    text: () => text.slice(-limit),
  };
}

async function readOr(file: string, fallback: Buffer): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    return fallback;
  }
}

/** Runs one sipp process (foreground, no stdin) in its own temporary directory. */
export function runSipp(opts: SippOptions): SippRun {
  const file = resolveScenario(opts.scenario);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sipp-'));
  const args = buildArgs(opts, file, dir);
  const debug = process.env.SIPP_DEBUG === '1';
  if (debug) console.log(`[sipp] sipp ${args.join(' ')}`);
  const stdout = tail(OUTPUT_LIMIT);
  const stderr = tail(OUTPUT_LIMIT);
  const proc = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (c: Buffer) => stdout.add(c));
  proc.stderr.on('data', (c: Buffer) => stderr.add(c));
  let killed = false;
  // sipp's -timeout normally ends it; this covers a sipp that hangs anyway
  const watchdog = setTimeout(() => {
    killed = true;
    proc.kill('SIGKILL');
  }, ((opts.timeoutSec ?? 30) + 10) * 1000);

  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code, signal) => resolve([code, signal]));
  });

  const done = (async (): Promise<SippResult> => {
    try {
      const [code, signal] = await exited;
      const trace = await readOr(path.join(dir, 'messages.log'), Buffer.alloc(0));
      const errors = (await readOr(path.join(dir, 'errors.log'), Buffer.alloc(0))).toString();
      const result: SippResult = {
        code: code ?? -1,
        signal,
        killed,
        messages: trace.toString('utf8'),
        events: parseMessageTrace(trace),
        errors,
        stdout: stdout.text(),
        stderr: stderr.text(),
        args,
      };
      if (debug) {
        const flow = result.events.map((e) => `${e.dir === 'sent' ? '>' : '<'} ${e.firstLine}`).join(' | ');
        console.log(`[sipp] ${path.basename(file)} exited ${result.code}${signal ? ` (${signal})` : ''}: ${flow}`);
      }
      return result;
    } finally {
      clearTimeout(watchdog);
      if (process.env.SIPP_KEEP_TMP === '1') console.log(`[sipp] kept ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    }
  })();

  return {
    pid: proc.pid,
    args,
    done,
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        killed = true;
        proc.kill('SIGTERM');
        const hard = setTimeout(() => proc.kill('SIGKILL'), KILL_GRACE_MS);
        proc.once('exit', () => clearTimeout(hard));
      }
      return done;
    },
  };
}

function describeEarlyExit(result: SippResult): string {
  return `sipp ${result.args.join(' ')}\nexited ${result.code} before binding its port\n${result.errors}${result.stderr}${result.stdout.slice(-2000)}`;
}

/**
 * Starts a sipp UAS and resolves once its SIP port is bound (UDP for u1, a TCP listener
 * for t1), so a UAC started next can not race it. Rejects, with sipp's output, if sipp
 * exits first; the process is killed if it is not bound in time.
 */
export async function startSippUas(opts: SippOptions, readyTimeoutMs = 5000): Promise<SippRun> {
  const run = runSipp(opts);
  const bound = opts.transport === 't1' ? waitTcpListening(opts.localPort, readyTimeoutMs) : waitUdpBound(opts.localPort, readyTimeoutMs);
  const exitedFirst = run.done.then((result) => {
    throw new Error(describeEarlyExit(result));
  });
  // whichever loses the race below settles later, unobserved
  bound.catch(() => undefined);
  exitedFirst.catch(() => undefined);
  try {
    await Promise.race([bound, exitedFirst]);
  } catch (err) {
    await run.kill().catch(() => undefined);
    throw err;
  }
  return run;
}
