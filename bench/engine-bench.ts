import { spawn, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { percentile, usage } from './proc-usage';

/**
 * npm run bench:engine -- sipp UAC -> engine + a bare srf createB2BUA app -> sipp UAS,
 * no media. Steps the call rate up until calls fail; prints the highest rate held for
 * the step duration with zero failed calls, INVITE->200 p50/p99 at that rate, and the
 * engine's and the app's CPU and peak memory. Everything on 127.0.0.1; every step is
 * bounded in calls and time.
 *
 * Environment: BENCH_RATES (default 300,400,500,600,700,800), BENCH_SECONDS (default 30),
 * BENCH_CALL_MS (call duration, default 1000).
 */
const ROOT = path.resolve(__dirname, '../..');
const RATES = (process.env.BENCH_RATES ?? '300,400,500,600,700,800').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CALL_MS = Number(process.env.BENCH_CALL_MS ?? 1000);
const SIP_PORT = 25070;
const ADMIN_PORT = 29022;
const UAS_PORT = 25090;
const UAC_PORT = 25080;

interface StepResult {
  rate: number;
  ok: boolean;
  successful: number;
  failed: number;
  retransmissions: number;
  p50: number;
  p99: number;
  engineCpu: number;
  appCpu: number;
}

function waitPort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10000;
    const attempt = (): void => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function exited(p: ChildProcess): Promise<number> {
  return new Promise((resolve) => p.once('exit', (code) => resolve(code ?? -1)));
}

function csvLast(file: string): Record<string, string> {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split(';');
  const last = lines[lines.length - 1].split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i]]));
}

async function step(rate: number, engine: ChildProcess, app: ChildProcess): Promise<StepResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-engine-'));
  const calls = rate * SECONDS;
  const e0 = usage(engine.pid ?? 0);
  const a0 = usage(app.pid ?? 0);
  const uac = spawn('sipp', [`127.0.0.1:${SIP_PORT}`, '-sn', 'uac', '-s', 'bench', '-i', '127.0.0.1', '-p', String(UAC_PORT),
    '-r', String(rate), '-m', String(calls), '-d', String(CALL_MS), '-l', String(rate * 10), '-nostdin',
    '-timeout', String(SECONDS + 60), '-timeout_error', '-trace_stat', '-stf', 'stat.csv', '-trace_rtt', '-rtt_freq', '1',
    '-max_recv_loops', '10000', '-max_sched_loops', '10000'],
  { cwd: dir, stdio: 'ignore' });
  await exited(uac);
  const e1 = usage(engine.pid ?? 0);
  const a1 = usage(app.pid ?? 0);
  const stats = csvLast(path.join(dir, 'stat.csv'));
  const rttFile = fs.readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  const rtts = rttFile
    ? fs.readFileSync(path.join(dir, rttFile), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(';')[1])).sort((x, y) => x - y)
    : [];
  fs.rmSync(dir, { recursive: true, force: true });
  const successful = Number(stats['SuccessfulCall(C)']);
  const failed = Number(stats['FailedCall(C)']);
  return {
    rate, successful, failed,
    ok: failed === 0 && successful === calls,
    retransmissions: Number(stats['Retransmissions(C)']),
    p50: percentile(rtts, 50),
    p99: percentile(rtts, 99),
    engineCpu: (e1.cpuSeconds - e0.cpuSeconds) / SECONDS,
    appCpu: (a1.cpuSeconds - a0.cpuSeconds) / SECONDS,
  };
}

async function main(): Promise<void> {
  const engine = spawn(process.execPath, [path.join(ROOT, 'dist/lib/engine/cli.js'), '--sip-port', String(SIP_PORT),
    '--admin-port', String(ADMIN_PORT), '--secret', 'bench', '--log-level', 'error',
    '--rate-limit', '0'], { stdio: 'ignore' }); // one sipp source at hundreds of calls/s: not a flood
  await waitPort(ADMIN_PORT);
  const app = fork(path.join(ROOT, 'dist/bench/b2bua-app.js'), [String(ADMIN_PORT), 'bench', `sip:uas@127.0.0.1:${UAS_PORT}`], { stdio: 'ignore' });
  await new Promise<void>((resolve) => app.once('message', () => resolve()));
  const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(UAS_PORT), '-nostdin', '-max_recv_loops', '10000'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300)); // sipp gives no ready signal; its socket is bound within this
  const results: StepResult[] = [];
  try {
    for (const rate of RATES) {
      const r = await step(rate, engine, app);
      results.push(r);
      console.log(`rate ${r.rate}/s for ${SECONDS}s: ${r.successful} ok, ${r.failed} failed, ${r.retransmissions} retransmissions, ` +
        `INVITE->200 p50 ${r.p50} ms p99 ${r.p99} ms, engine CPU ${(r.engineCpu * 100).toFixed(0)}%, app CPU ${(r.appCpu * 100).toFixed(0)}%`);
      if (!r.ok) break;
    }
  } finally {
    const e = usage(engine.pid ?? 0);
    const a = usage(app.pid ?? 0);
    uas.kill('SIGKILL');
    app.kill('SIGTERM');
    engine.kill('SIGTERM');
    const best = results.filter((r) => r.ok).pop();
    console.log('');
    if (best) {
      console.log(`highest rate held ${SECONDS}s with zero failures: ${best.rate} calls/s`);
      console.log(`INVITE->200 at that rate: p50 ${best.p50} ms, p99 ${best.p99} ms`);
      console.log(`CPU at that rate: engine ${(best.engineCpu * 100).toFixed(0)}% of a core, app ${(best.appCpu * 100).toFixed(0)}% of a core`);
    } else {
      console.log('no rate was held with zero failures');
    }
    console.log(`peak memory: engine ${e.peakRssMb.toFixed(0)} MB, app ${a.peakRssMb.toFixed(0)} MB`);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
