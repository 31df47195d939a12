import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'winston';
import { allocatorEnv } from './allocator';
import { killStale, removePidfile, withParentDeathSignal, writePidfile } from './child-guard';

export interface EngineEndpoint {
  host: string;
  port: number;
  secret: string;
}

export interface LaunchedEngine extends EndpointHolder {
  stop(): Promise<void>;
}

interface EndpointHolder {
  endpoint: EngineEndpoint;
}

export interface EngineLaunchOptions {
  sipHost: string;
  sipPort: number;
  advertisedHost?: string;
  logger: Logger;
  logLevel: string;
  /** extra sip-engine arguments (timers in tests) */
  extraArgs?: string[];
  /** per-source rate limit of new requests (0 = off), its burst, and the sources exempt from it */
  rateLimit?: number;
  rateBurst?: number;
  trustedSources?: string[];
  /** services beside the engine that SIP must never reach (`--deny-destinations`), see engineDenyList */
  denyDestinations?: HostPort[];
  /** pidfile folder: an engine an earlier run left there is killed first (child-guard.ts) */
  runDir?: string;
  /** the engine's C allocator: jemalloc where the system has it (default), or glibc's */
  allocator?: 'jemalloc' | 'system';
}

/** The engine's allocator (jemalloc where present): allocator.ts, shared with rtpengine and redis-server. */
export { allocatorEnv };

const PIDFILE = 'sip-engine';

export interface HostPort {
  host: string;
  port: number;
  /** a deny-list entry for one transport only (undefined: both) */
  transport?: 'udp' | 'tcp';
}

function hostPortText(d: HostPort): string {
  const hp = d.host.includes(':') ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;
  return d.transport ? `${hp}/${d.transport}` : hp;
}

/**
 * The platform's own services the engine must not relay SIP to (issue #13: a relayed
 * MESSAGE reached Redis over TCP and its body ran as commands): Redis (the server, or
 * the Sentinels of a redis+sentinel:// URL), rtpengine's ng port and the REST port.
 * Every one is listed, wherever it runs: the engine resolves them and an entry on this
 * host covers all of its addresses; no SIP request has any business at one elsewhere.
 */
export function engineDenyList(p: { redisUrl: string; sentinels?: HostPort[]; rtpengineNg: HostPort; http?: HostPort }): HostPort[] {
  // Redis, the Sentinels and REST listen on TCP only: a UDP phone whose port has the same
  // number stays reachable (seen under test: a phone's UDP port was Redis's TCP port, and
  // the call's re-INVITE to it was dropped). The ng port is denied over both.
  const tcp = (hp: HostPort): HostPort => ({ host: hp.host, port: hp.port, transport: 'tcp' });
  const out: HostPort[] = [...(p.sentinels ?? []).map(tcp), { host: p.rtpengineNg.host, port: p.rtpengineNg.port }];
  if (p.http && p.http.port !== 0) out.push(tcp(p.http));
  if (/^rediss?:\/\//.test(p.redisUrl)) {
    const u = new URL(p.redisUrl);
    const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    out.push({ host, port: u.port === '' ? 6379 : Number(u.port), transport: 'tcp' });
  }
  return out;
}

const CLI = path.join(__dirname, '..', 'engine', 'cli.js');

function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The embedded engine as its own process (DESIGN: the SIP stack and the application
 * each get a core), on a loopback admin port with a fresh secret. Restarted with
 * backoff if it dies; its JSON log lines pass through to ours.
 */
export async function launchEngine(opts: EngineLaunchOptions): Promise<LaunchedEngine> {
  const secret = randomBytes(16).toString('hex');
  const adminPort = await freeTcpPort('127.0.0.1');
  const args = [CLI, '--sip-address', opts.sipHost, '--sip-port', String(opts.sipPort), '--admin-address', '127.0.0.1',
    '--admin-port', String(adminPort), '--log-level', opts.logLevel,
    ...(opts.advertisedHost ? ['--advertised-address', opts.advertisedHost] : []),
    ...(opts.denyDestinations?.length ? ['--deny-destinations', opts.denyDestinations.map(hostPortText).join(',')] : []),
    ...(opts.rateLimit !== undefined ? ['--rate-limit', String(opts.rateLimit)] : []),
    ...(opts.rateBurst !== undefined ? ['--rate-burst', String(opts.rateBurst)] : []),
    ...(opts.trustedSources?.length ? ['--trusted-sources', opts.trustedSources.join(',')] : []), ...(opts.extraArgs ?? [])];
  let child: ChildProcess | undefined;
  let stopping = false;
  let ready = false;
  let failedAtStart: string | undefined;
  let restarts = 0;
  let lastError = '';
  const stale = await killStale(opts.runDir, PIDFILE);
  if (stale !== undefined) opts.logger.warn('killed a sip-engine an earlier run left behind', { pid: stale });
  const start = (): ChildProcess => {
    // a pipe on its stdin: if this process dies, even by SIGKILL, the engine sees the pipe
    // close and stops, rather than live on answering 503 to every request (--exit-with-parent);
    // the kernel's parent-death signal where setpriv exists. The secret goes in the
    // environment, not the command line every user can read in ps. Its allocator: see
    // allocatorEnv (issue #13); the operator's values win.
    const guarded = withParentDeathSignal(process.execPath, [...args, '--exit-with-parent']);
    const c = spawn(guarded.command, guarded.args, { stdio: ['pipe', 'inherit', 'pipe'],
      env: { ...allocatorEnv(opts.allocator), ...process.env, SIP_ENGINE_SECRET: secret } });
    void writePidfile(opts.runDir, PIDFILE, c.pid, CLI);
    c.stderr?.on('data', (d: Buffer) => {
      lastError = d.toString().trim();
      opts.logger.error('sip-engine', { stderr: lastError });
    });
    c.once('exit', (code, signal) => {
      if (stopping) return;
      if (!ready) {
        // an exit before the first start completed is a configuration problem: no retries
        failedAtStart = lastError || `exit code ${code ?? signal}`;
        return;
      }
      restarts++;
      const delay = Math.min(30000, 250 * 2 ** Math.min(restarts, 7));
      opts.logger.error('sip-engine exited; restarting', { code, signal, inMs: delay });
      setTimeout(() => {
        if (!stopping) child = start();
      }, delay).unref();
    });
    return c;
  };
  child = start();
  const deadline = Date.now() + 10000;
  while (!(await listening('127.0.0.1', adminPort))) {
    if (failedAtStart !== undefined) {
      stopping = true;
      throw new Error(`the SIP engine could not start on ${opts.sipHost}:${opts.sipPort}: ${failedAtStart}`);
    }
    if (Date.now() > deadline) {
      stopping = true;
      child.kill('SIGKILL');
      throw new Error(`the SIP engine did not start on ${opts.sipHost}:${opts.sipPort}${lastError ? `: ${lastError}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  ready = true;
  return {
    endpoint: { host: '127.0.0.1', port: adminPort, secret },
    async stop() {
      stopping = true;
      await removePidfile(opts.runDir, PIDFILE);
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
