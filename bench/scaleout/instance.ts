import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findServerChildren } from '../calls/procs';
import { stopProcess, type FeatureServer } from '../calls/server';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * One feature-server instance of a scale-out deployment: `node dist/main.js` with its own
 * embedded SIP engine (a child process on `sipPort`), sharing Redis and rtpengine with
 * the other instances. bench/calls/server.ts's startFeatureServer cannot be used for
 * this: it removes REDIS_URL (each server starts its own redis-server) and gives every
 * server the same INSTANCE_ID.
 */
export interface Instance extends FeatureServer {
  name: string;
  /** the server's embedded SIP engine (its child) */
  enginePid?: number;
  stop(): Promise<void>;
}

export interface InstanceOptions {
  /** INSTANCE_ID, and the label in the report */
  name: string;
  sipPort: number;
  httpPort: number;
  token: string;
  logFile: string;
  redisUrl: string;
  /** host:port of the shared rtpengine's ng port */
  rtpengineNg: string;
  /** UDP ports of the instance's conference mixer: distinct per instance on one host */
  conferencePorts: [number, number];
}

export async function startInstance(opts: InstanceOptions): Promise<Instance> {
  const log = fs.openSync(opts.logFile, 'a');
  const env: NodeJS.ProcessEnv = {
    ...process.env, API_TOKEN: opts.token, INSTANCE_ID: opts.name, SIP_HOST: '127.0.0.1', SIP_PORT: String(opts.sipPort),
    // the Kamailio edge (127.0.0.1) is the only source: trusted, as an operator would configure it
    SIP_TRUSTED_SOURCES: '127.0.0.1',
    HTTP_HOST: '127.0.0.1', HTTP_PORT: String(opts.httpPort), REDIS_URL: opts.redisUrl, RTPENGINE_NG: opts.rtpengineNg,
    CONFERENCE_PORT_MIN: String(opts.conferencePorts[0]), CONFERENCE_PORT_MAX: String(opts.conferencePorts[1]),
    LOG_LEVEL: 'warn',
    // a bench interrupted mid-step leaves calls up: do not let them hold the shutdown 30 s
    DRAIN_TIMEOUT: '5',
  };
  for (const name of ['DRACHTIO_HOST', 'DRACHTIO_PORT', 'DRACHTIO_SECRET', 'SIP_ADVERTISED_HOST']) delete env[name];
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const instance: Instance = {
    name: opts.name, child, sipPort: opts.sipPort, httpPort: opts.httpPort, token: opts.token, logFile: opts.logFile,
    stop: () => stopProcess(child, 20000),
  };
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with ${child.exitCode}: ${fs.readFileSync(opts.logFile, 'utf8').slice(-1000)}`);
    const status = await fetch(`http://127.0.0.1:${opts.httpPort}/health`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await instance.stop();
      throw new Error(`${opts.name}: GET /health not 200 within 30 s (last ${status})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  instance.enginePid = findServerChildren(child.pid ?? 0).engine;
  return instance;
}

interface CallView {
  id: string;
  instanceId?: string;
  createdAt?: string;
}

async function listCalls(s: FeatureServer): Promise<CallView[]> {
  const r = await fetch(`http://127.0.0.1:${s.httpPort}/v1/calls`, { headers: { authorization: `Bearer ${s.token}` } });
  return ((await r.json()) as { calls?: CallView[] }).calls ?? [];
}

/** Live calls created since `since` (epoch ms), per owning instance (GET /v1/calls lists every instance's calls, from Redis). */
export async function callsByInstance(s: FeatureServer, since: number): Promise<Record<string, number>> {
  try {
    const out: Record<string, number> = {};
    for (const c of await listCalls(s)) {
      if (c.createdAt && Date.parse(c.createdAt) < since) continue;
      out[c.instanceId ?? '?'] = (out[c.instanceId ?? '?'] ?? 0) + 1;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * Hangs up every live call, each through the instance that owns it (DELETE /v1/calls/:id):
 * calls a failed step left up (sipp gave up on them) would otherwise hold media and skew
 * the next steps. Returns how many it hung up.
 */
export async function hangUpAll(instances: Instance[]): Promise<number> {
  let n = 0;
  for (const c of await listCalls(instances[0]).catch(() => [])) {
    const owner = instances.find((i) => i.name === c.instanceId) ?? instances[0];
    const r = await fetch(`http://127.0.0.1:${owner.httpPort}/v1/calls/${encodeURIComponent(c.id)}`,
      { method: 'DELETE', headers: { authorization: `Bearer ${owner.token}` } }).catch(() => undefined);
    if (r?.status === 204) n++;
  }
  return n;
}
