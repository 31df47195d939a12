import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectable, freePort, udpFree } from './ports';

/**
 * A real drachtio-server for the compatibility suite (`npm run test:drachtio`). It is no
 * package of any registry: the user builds it from its public source and names the
 * binary in DRACHTIO_SERVER_BIN (DRACHTIO_BIN is read as well).
 */
export interface DrachtioServer {
  sipPort: number;
  adminPort: number;
  secret: string;
  logs(): string;
  stop(): Promise<void>;
}

export interface DrachtioStartOptions {
  bin: string;
  sipPort?: number;
  secret?: string;
  /** RFC 3261 timers in ms; tests shorten them as they do for the embedded engine */
  t1?: number;
  t2?: number;
  t4?: number;
}

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 5000;
const KEPT_LOG_LINES = 400;

/** The binary named by the environment, or undefined when the suite is not pointed at one. */
export function drachtioBinFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DRACHTIO_SERVER_BIN || env.DRACHTIO_BIN || undefined;
}

/** drachtio-server's XML configuration: admin on loopback, SIP over UDP and TCP on one loopback port. */
export function drachtioConfigXml(o: { adminPort: number; secret: string; sipPort: number; t1: number; t2: number; t4: number }): string {
  return `<drachtio>
  <admin port="${o.adminPort}" secret="${o.secret}">127.0.0.1</admin>
  <sip>
    <contacts>
      <contact>sip:127.0.0.1:${o.sipPort};transport=udp,tcp</contact>
    </contacts>
    <timers>
      <t1>${o.t1}</t1>
      <t2>${o.t2}</t2>
      <t4>${o.t4}</t4>
      <t1x64>${o.t1 * 64}</t1x64>
    </timers>
  </sip>
  <logging>
    <console/>
    <loglevel>info</loglevel>
    <sofia-loglevel>3</sofia-loglevel>
  </logging>
</drachtio>
`;
}

/**
 * Starts drachtio-server with its own configuration in a temporary folder; resolves once
 * its admin port takes connections and its SIP port is bound on both transports.
 */
export async function startDrachtioServer(opts: DrachtioStartOptions): Promise<DrachtioServer> {
  const sipPort = opts.sipPort ?? (await freePort('both'));
  const adminPort = await freePort('tcp');
  const secret = opts.secret ?? 'cymru';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'drachtio-test-'));
  const conf = path.join(dir, 'drachtio.conf.xml');
  await writeFile(conf, drachtioConfigXml({ adminPort, secret, sipPort, t1: opts.t1 ?? 50, t2: opts.t2 ?? 400, t4: opts.t4 ?? 500 }));
  const child: ChildProcess = spawn(opts.bin, ['-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > KEPT_LOG_LINES) lines.splice(0, lines.length - KEPT_LOG_LINES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exitCode = code ?? (signal ? -1 : 0);
    resolve();
  }));
  child.once('error', (err) => lines.push(`spawn: ${err.message}`));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== null) {
      await cleanup();
      throw new Error(`drachtio-server exited with ${String(exitCode)}:\n${lines.join('\n')}`);
    }
    // the admin port opens after the SIP transports; the UDP check covers the other order
    if ((await connectable(adminPort)) && (await connectable(sipPort)) && !(await udpFree(sipPort))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      await cleanup();
      throw new Error(`drachtio-server did not start within ${START_TIMEOUT_MS} ms:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    sipPort, adminPort, secret,
    logs: () => lines.join('\n'),
    async stop() {
      if (exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(t);
      }
      await cleanup();
    },
  };
}
