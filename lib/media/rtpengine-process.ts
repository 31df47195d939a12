import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import path from 'node:path';
import type { Logger } from 'winston';
import { rtpengineEnv } from '../runtime/allocator';
import { killStale, removePidfile, withParentDeathSignal, writePidfile } from '../runtime/child-guard';
import { MediaError } from './media-error';
import { createNgClient, type NgClient } from './ng-client';
import { claimPortBlock, freeUdpPort, udpPortFree } from './port-block';
import { RtpengineLog } from './rtpengine-log';
import { transition, type RtpengineState } from './rtpengine-state';

export interface RtpengineProcessOptions {
  /** ng control port; default: a free one (inside the claimed port block) */
  ngPort?: number;
  /** media and control address; default 127.0.0.1 */
  address?: string;
  /** media port range; give both or neither (neither: a block of 198 ports no other instance uses) */
  portMin?: number;
  portMax?: number;
  logger: Logger;
  /** default 'rtpengine' on PATH */
  binary?: string;
  /** appended to the command line, e.g. ['--num-threads=2', '--log-level=7'] */
  extraArgs?: string[];
  /** how long the first start may take before it fails, default 5000 ms */
  startTimeoutMs?: number;
  /** called after rtpengine was restarted: every media session it held is gone (userspace, no redis) */
  onRestart?: () => void;
  /** pidfile folder: an rtpengine an earlier run left there is killed first (runtime/child-guard.ts) */
  runDir?: string;
}

const PIDFILE = 'rtpengine';

export interface RtpengineProcess {
  readonly address: string;
  readonly ngPort: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly state: RtpengineState;
  /** of the current child, if one runs */
  readonly pid: number | undefined;
  /** how often it was restarted after dying unexpectedly */
  readonly restarts: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited and its ports are released */
  stop(): Promise<void>;
}

const KILL_AFTER_MS = 3000;
const PING_TIMEOUT_MS = 100;
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5000;
/** a child that ran this long before dying had a real life: restart it quickly again */
const HEALTHY_AFTER_MS = 10000;

/**
 * Start rtpengine in userspace (no kernel module) and keep it running: it is ready once
 * its ng port answers a ping, and if it dies it is restarted with exponential backoff.
 */
export async function startRtpengine(opts: RtpengineProcessOptions): Promise<RtpengineProcess> {
  const address = opts.address ?? '127.0.0.1';
  // before the ports are chosen: a stale rtpengine would still hold them
  const stale = await killStale(opts.runDir, PIDFILE);
  if (stale !== undefined) opts.logger.warn('killed an rtpengine an earlier run left behind', { pid: stale });
  const ports = await choosePorts(opts, address);
  const supervisor = new Supervisor(opts, address, ports);
  try {
    await supervisor.start(opts.startTimeoutMs ?? 5000);
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
  return supervisor;
}

interface Ports {
  ngPort: number;
  portMin: number;
  portMax: number;
  release(): Promise<void>;
}

async function choosePorts(opts: RtpengineProcessOptions, address: string): Promise<Ports> {
  if ((opts.portMin === undefined) !== (opts.portMax === undefined)) {
    throw new MediaError('E_RTPENGINE_CONFIG', 'give both portMin and portMax, or neither');
  }
  if (opts.ngPort !== undefined && !(await udpPortFree(opts.ngPort, address))) {
    throw new MediaError('E_RTPENGINE_CONFIG', `ng port ${address}:${opts.ngPort} is in use`);
  }
  if (opts.portMin !== undefined && opts.portMax !== undefined) {
    const { portMin, portMax } = opts;
    if (!Number.isInteger(portMin) || !Number.isInteger(portMax) || portMin < 1024 || portMax > 65535 || portMax - portMin < 3) {
      throw new MediaError('E_RTPENGINE_CONFIG', `bad media port range ${portMin}-${portMax}`);
    }
    return { ngPort: opts.ngPort ?? (await freeUdpPort(address)), portMin, portMax, release: async () => {} };
  }
  const block = await claimPortBlock(address);
  return { ...block, ngPort: opts.ngPort ?? block.ngPort };
}

class Supervisor implements RtpengineProcess {
  readonly ngPort: number;
  readonly portMin: number;
  readonly portMax: number;
  private current: RtpengineState = 'starting';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private childStartedAt = 0;
  /** how the last child ended, for the start-up error (rtpengine exits silently with 255 on an unknown option) */
  private lastExit = '';
  private restartCount = 0;
  private backoffMs = BACKOFF_FIRST_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly lines: RtpengineLog;
  private readonly probe: NgClient;
  /** a child must not outlive us: a stray rtpengine would keep its ports and its block's lock would be gone */
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(
    private readonly opts: RtpengineProcessOptions,
    readonly address: string,
    private readonly ports: Ports,
  ) {
    this.ngPort = ports.ngPort;
    this.portMin = ports.portMin;
    this.portMax = ports.portMax;
    this.log = opts.logger.child({ component: 'rtpengine', ngPort: this.ngPort });
    this.lines = new RtpengineLog(this.log);
    // the probe's unanswered pings while rtpengine boots are expected: logged at debug, not warn
    this.probe = createNgClient({ host: address, port: this.ngPort, timeoutMs: PING_TIMEOUT_MS, logger: this.log, localAddress: address, quiet: true });
    process.on('exit', this.killOnExit);
  }

  get state(): RtpengineState {
    return this.current;
  }

  get pid(): number | undefined {
    return this.child && isRunning(this.child) ? this.child.pid : undefined;
  }

  get restarts(): number {
    return this.restartCount;
  }

  async start(timeoutMs: number): Promise<void> {
    const started = Date.now();
    const child = this.spawnChild();
    await this.waitReady(child, timeoutMs);
    this.setState('running');
    this.log.info('rtpengine ready', { pid: child.pid, ms: Date.now() - started, portMin: this.portMin, portMax: this.portMax });
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.current !== 'stopped') this.setState('stopping');
    clearTimeout(this.restartTimer);
    await this.terminate();
    process.off('exit', this.killOnExit);
    await removePidfile(this.opts.runDir, PIDFILE);
    await this.probe.close();
    await this.ports.release();
    if (this.current !== 'stopped') this.setState('stopped');
  }

  private args(): string[] {
    return [
      // The Debian package's /etc/rtpengine/rtpengine.conf is read unless told otherwise; its
      // fixed HTTP and CLI ports and kernel table would collide between instances.
      '--config-file=none',
      // Userspace forwarding only: no kernel module here (and none needed for tests or small hosts).
      '--table=-1',
      `--interface=${this.address}`,
      `--listen-ng=${this.address}:${this.ngPort}`,
      `--port-min=${this.portMin}`,
      `--port-max=${this.portMax}`,
      '--foreground',
      '--log-stderr',
      // winston stamps each line already.
      '--no-log-timestamps',
      ...(this.opts.extraArgs ?? []),
    ];
  }

  private spawnChild(): ChildProcess {
    const binary = this.opts.binary ?? 'rtpengine';
    const guarded = withParentDeathSignal(binary, this.args());
    // its allocator returns what a fuzz or a burst of calls freed (issue #13; runtime/allocator.ts)
    const child = spawn(guarded.command, guarded.args, { stdio: ['ignore', 'pipe', 'pipe'], env: rtpengineEnv() });
    this.child = child;
    void writePidfile(this.opts.runDir, PIDFILE, child.pid, path.basename(binary));
    this.childStartedAt = Date.now();
    this.exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) readline.createInterface({ input: stream }).on('line', (l) => this.lines.line(l));
    }
    // 'error' comes instead of 'exit' when the binary cannot be spawned at all (and when a
    // kill fails); without a listener it would be thrown.
    child.on('error', (err) => {
      if (child.pid === undefined) this.lastExit = 'not spawned';
      this.lines.line(`ERR: ${err.message}`);
    });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  /** Ready means the ng port answers: the process being alive says nothing about its sockets. */
  private async waitReady(child: ChildProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!isRunning(child)) {
        await this.exited;
        throw new MediaError('E_RTPENGINE_START', `rtpengine exited (${this.lastExit}) during start-up:\n${this.lines.tail()}`);
      }
      if (this.current === 'stopping' || this.current === 'stopped') {
        throw new MediaError('E_RTPENGINE_START', 'rtpengine stopped during start-up');
      }
      try {
        // Each attempt waits up to PING_TIMEOUT_MS for the reply, which paces the loop.
        if ((await this.probe.request('ping')).result === 'pong') return;
      } catch (err) {
        if (!(err instanceof MediaError) || err.code !== 'E_MEDIA_TIMEOUT') throw err;
      }
      if (Date.now() > deadline) {
        throw new MediaError('E_RTPENGINE_START', `rtpengine did not answer ping on ${this.address}:${this.ngPort} within ${timeoutMs} ms:\n${this.lines.tail()}`);
      }
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child === this.child) this.lastExit = signal ? `signal ${signal}` : `code ${code}`;
    if (child !== this.child || this.current !== 'running') return; // expected, or seen by waitReady
    const livedMs = Date.now() - this.childStartedAt;
    this.log.error('rtpengine died; restarting it. The media sessions it held are lost', { code, signal, livedMs, pid: child.pid });
    if (livedMs >= HEALTHY_AFTER_MS) this.backoffMs = BACKOFF_FIRST_MS;
    this.setState('restarting');
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    if (this.current !== 'restarting') return;
    const child = this.spawnChild();
    try {
      await this.waitReady(child, BACKOFF_MAX_MS);
    } catch (err) {
      if (this.current !== 'restarting') return;
      this.log.error('rtpengine restart failed; retrying', { err: String(err), retryInMs: this.backoffMs });
      await this.terminate();
      this.setState('restarting');
      this.scheduleRestart();
      return;
    }
    if (this.current !== 'restarting') return;
    this.restartCount++;
    this.setState('running');
    this.log.warn('rtpengine restarted', { pid: child.pid, restarts: this.restartCount });
    try {
      this.opts.onRestart?.();
    } catch (err) {
      this.log.error('onRestart handler threw', { err: String(err) });
    }
  }

  /** SIGTERM, SIGKILL if it lingers; resolves once the current child (if any) has exited. */
  private async terminate(): Promise<void> {
    const child = this.child;
    if (!child || !isRunning(child)) {
      await this.exited;
      return;
    }
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      this.log.warn('rtpengine ignored SIGTERM; killing it', { pid: child.pid });
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    await this.exited;
    clearTimeout(killer);
  }

  private setState(to: RtpengineState): void {
    this.current = transition(this.current, to);
  }
}

/** Spawned and not yet exited (a child that failed to spawn has no pid). */
function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}
