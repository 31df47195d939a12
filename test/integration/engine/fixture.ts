import type Srf from 'drachtio-srf';
import { startEngine, type EngineStartOptions, type EngineProcess } from '../../support/engine-process';
import { freePort } from '../../support/ports';
import { runSipp, startSippUas, type SippEvent, type SippOptions, type SippResult, type SippRun } from '../../support/sipp';
import { connectSrf, disconnectSrf } from '../../support/srf-app';

/**
 * One engine process per test file, fresh srf applications and sipp peers per test;
 * after each test the engine must hold no dialog and no pending transaction (checked
 * before the apps disconnect, since a disconnect drops an app's dialogs).
 */
export interface EngineFixture {
  engine(): EngineProcess;
  app(setup: (srf: Srf) => void): Promise<Srf>;
  uac(opts: Omit<SippOptions, 'localPort' | 'remote'> & { localPort?: number }): Promise<SippResult>;
  uas(opts: Omit<SippOptions, 'localPort'> & { localPort?: number }): Promise<SippRun & { port: number }>;
}

export function engineFixture(opts: EngineStartOptions = {}, check: { drain?: boolean } = {}): EngineFixture {
  let engine: EngineProcess | undefined;
  const apps: Srf[] = [];
  const sipps: SippRun[] = [];
  before(async () => {
    engine = await startEngine(opts);
  });
  afterEach(async function () {
    try {
      if (engine) await engine.waitIdle();
    } finally {
      for (const s of sipps.splice(0)) await s.kill();
      for (const a of apps.splice(0)) disconnectSrf(a);
    }
  });
  after(async function () {
    this.timeout(20000);
    try {
      // every transaction must end on its own once its timers run out: no leak
      if (check.drain !== false) await engine?.waitDrained(15000);
    } finally {
      await engine?.stop();
    }
  });
  const get = (): EngineProcess => {
    if (!engine) throw new Error('engine not started');
    return engine;
  };
  return {
    engine: get,
    async app(setup) {
      const srf = await connectSrf(get(), setup);
      apps.push(srf);
      return srf;
    },
    async uac(o) {
      const run = runSipp({ ...o, localPort: o.localPort ?? (await freePort('both')), remote: `127.0.0.1:${get().sipPort}` });
      sipps.push(run);
      return run.done;
    },
    async uas(o) {
      const port = o.localPort ?? (await freePort('both'));
      const run = await startSippUas({ ...o, localPort: port });
      sipps.push(run);
      return Object.assign(run, { port });
    },
  };
}

/**
 * `> INVITE`, `< 100`, ... : the flow one sipp peer saw, for exact assertions. UDP
 * retransmissions are left out: how many copies of a message a loaded machine needs
 * (timer E/G, RFC 3261 17) is not the flow; a BYE resent because its 200 was slow once
 * ended a caller's flow as `> 200`, `< BYE`.
 */
export function flow(events: SippEvent[]): string[] {
  return events.filter((e) => !e.retransmission).map((e) => `${e.dir === 'sent' ? '>' : '<'} ${e.status ?? e.method}`);
}

export const SDP = [
  'v=0', 'o=app 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 30000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '',
].join('\r\n');

/** A promise and the function that resolves it, for events a test waits on. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
