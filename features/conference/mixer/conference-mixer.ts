import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'winston';
import { MixerError, deserializeError } from './mixer-error';
import { checkEngineOptions, type AddMemberOptions, type MemberInfo, type MixerEngineOptions, type SetRemoteOptions } from './mixer-options';
import { LOG_LEVELS, type MixerControl, type MixerLogLevel, type MixerMessage, type MixerOp, type MixerRequest, type MixerStats, type MixerWorkerData } from './protocol';

export interface ConferenceMixerOptions extends MixerEngineOptions {
  /** gets the worker's logs (member added/removed/latched, socket errors) and worker failures */
  logger?: Logger;
}

/** How long close() waits for the worker to end by itself before terminating it. */
const CLOSE_TIMEOUT_MS = 5000;

enum MixerState {
  Open = 'open',
  Closing = 'closing',
  Closed = 'closed',
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** The most verbose of the worker's levels the logger would write (winston: npm levels). */
function logLevelOf(logger: Logger | undefined): MixerLogLevel | undefined {
  if (!logger) return undefined;
  return LOG_LEVELS.find((l) => logger.isLevelEnabled(l)) ?? 'error';
}

/** The compiled worker next to this file (mixer-worker.ts when run from source under tsx). */
function workerFile(): string {
  return path.join(__dirname, `mixer-worker${path.extname(__filename)}`);
}

/**
 * The main thread's handle on the conference mixer: a promise per request to the worker
 * that owns the sockets and the clock. Every call rejects with a MixerError (see
 * mixer-error.ts for the codes). The worker keeps the process alive until close().
 */
export class ConferenceMixer implements MixerControl {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private state = MixerState.Open;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly logger?: Logger,
  ) {
    worker.on('message', (msg: MixerMessage) => this.onMessage(msg));
    worker.on('error', (err) => this.fail(`conference mixer worker failed: ${err.message}`));
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        if (this.state !== MixerState.Closing) this.fail(`conference mixer worker exited (code ${code})`);
        this.state = MixerState.Closed;
        resolve();
      });
    });
  }

  /** Start the worker; resolves once its engine is up, rejects E_MIXER_CONFIG on bad options. */
  static async start(opts: ConferenceMixerOptions): Promise<ConferenceMixer> {
    const { logger, ...engineOptions } = opts;
    checkEngineOptions(engineOptions); // fail fast, before a thread is spawned
    const workerData: MixerWorkerData = { options: engineOptions, logLevel: logLevelOf(logger) };
    const worker = new Worker(workerFile(), { workerData });
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (msg: MixerMessage): void => {
        if (msg.kind === 'ready') {
          cleanup();
          resolve();
        } else if (msg.kind === 'fatal') {
          cleanup();
          reject(deserializeError(msg.error));
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        void worker.terminate();
        reject(new MixerError('E_MIXER_WORKER', `conference mixer worker failed to start: ${err.message}`));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new MixerError('E_MIXER_WORKER', `conference mixer worker exited at start (code ${code})`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    return new ConferenceMixer(worker, logger);
  }

  addMember(bridgeId: string, memberId: string, opts: AddMemberOptions): Promise<MemberInfo> {
    return this.call('addMember', [bridgeId, memberId, opts]) as Promise<MemberInfo>;
  }

  setRemote(memberId: string, remote: SetRemoteOptions): Promise<void> {
    return this.call('setRemote', [memberId, remote]) as Promise<void>;
  }

  removeMember(memberId: string): Promise<void> {
    return this.call('removeMember', [memberId]) as Promise<void>;
  }

  closeBridge(bridgeId: string): Promise<number> {
    return this.call('closeBridge', [bridgeId]) as Promise<number>;
  }

  stats(opts: { reset?: boolean } = {}): Promise<MixerStats> {
    return this.call('stats', [opts]) as Promise<MixerStats>;
  }

  /** Free every socket and end the worker; idempotent. Calls made afterwards reject E_MIXER_CLOSED. */
  async close(): Promise<void> {
    if (this.state === MixerState.Open) {
      const done = this.send('close', []);
      this.state = MixerState.Closing;
      await done.catch((err: Error) => this.logger?.warn('conference mixer close failed', { error: err.message }));
      const timer = setTimeout(() => void this.worker.terminate(), CLOSE_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  private call(op: MixerOp, args: unknown[]): Promise<unknown> {
    if (this.state !== MixerState.Open) return Promise.reject(new MixerError('E_MIXER_CLOSED', 'conference mixer closed'));
    return this.send(op, args);
  }

  private send(op: MixerRequest['op'], args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: MixerRequest = { id, op, args };
      this.worker.postMessage(req);
    });
  }

  private onMessage(msg: MixerMessage): void {
    if (msg.kind === 'reply') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(deserializeError(msg.error));
    } else if (msg.kind === 'log') {
      this.logger?.log(msg.level, msg.message, { feature: 'conference', ...msg.meta });
    }
  }

  /** The worker is gone: every waiting call rejects, later ones see E_MIXER_CLOSED. */
  private fail(why: string): void {
    if (this.state === MixerState.Open) this.logger?.error(why);
    this.state = MixerState.Closed;
    for (const p of this.pending.values()) p.reject(new MixerError('E_MIXER_WORKER', why));
    this.pending.clear();
  }
}
