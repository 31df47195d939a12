import { engineStatsAt } from './api-client';
import { drachtioBinFromEnv, startDrachtioServer, type DrachtioServer } from './drachtio-server';
import { freePort } from './ports';

/**
 * The SIP engine an integration fixture runs the feature server on: the embedded engine
 * (default, `npm test`) or a real drachtio-server (`TEST_ENGINE=drachtio`, binary in
 * DRACHTIO_SERVER_BIN; `npm run test:drachtio`). The same suites run on both.
 */
export type EngineKind = 'embedded' | 'drachtio';

export interface EngineCounts {
  dialogs: number;
  /** transactions still waiting for a final response */
  activeTransactions: number;
}

export interface TestSipEngine {
  kind: EngineKind;
  /** settings for loadConfig that point the server at this engine (none for the embedded one) */
  env: Record<string, string>;
  /** arguments for the embedded engine the server launches itself; undefined on drachtio */
  engineArgs?: string[];
  /** the engine's own live counts where it reports them (the embedded engine's /stats); undefined on drachtio */
  counts(): Promise<EngineCounts | undefined>;
  /** the embedded engine's whole /stats; drachtio-server offers none */
  stats(): Promise<Record<string, number> | undefined>;
  logs(): string;
  stop(): Promise<void>;
}

export function testEngineKind(env: NodeJS.ProcessEnv = process.env): EngineKind {
  const v = env.TEST_ENGINE ?? 'embedded';
  if (v !== 'embedded' && v !== 'drachtio') throw new Error(`TEST_ENGINE must be embedded or drachtio, not ${v}`);
  return v;
}

export const onDrachtio = (): boolean => testEngineKind() === 'drachtio';

const FAILURE_LOG_LINES = 60;
/** the drachtio-servers running now, for the tail of their logs when a test fails */
const running = new Set<DrachtioServer>();

// A root hook, registered once when a fixture first loads this module: after a failed
// test, the tail of each running drachtio-server's log (its own view of the SIP traffic:
// "can not send request to myself", sofia's errors) goes to stderr beside mocha's report.
if (typeof afterEach === 'function') {
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const d of running) {
      const tail = d.logs().split('\n').slice(-FAILURE_LOG_LINES).join('\n');
      process.stderr.write(`--- drachtio-server (SIP port ${d.sipPort}): the last ${FAILURE_LOG_LINES} lines of its log ---\n${tail}\n---\n`);
    }
  });
}

/** Starts (drachtio) or prepares (embedded: the server launches it) the engine for one feature-server instance on sipPort. */
export async function startTestSipEngine(o: { sipPort: number; t1?: number }): Promise<TestSipEngine> {
  const t1 = o.t1 ?? 50;
  if (testEngineKind() === 'drachtio') {
    const bin = drachtioBinFromEnv();
    if (!bin) throw new Error('TEST_ENGINE=drachtio needs DRACHTIO_SERVER_BIN, the path of a drachtio-server binary');
    const d: DrachtioServer = await startDrachtioServer({ bin, sipPort: o.sipPort, t1 });
    running.add(d);
    return {
      kind: 'drachtio',
      env: { DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(d.adminPort), DRACHTIO_SECRET: d.secret },
      counts: () => Promise.resolve(undefined),
      stats: () => Promise.resolve(undefined),
      logs: () => d.logs(),
      stop: () => {
        running.delete(d);
        return d.stop();
      },
    };
  }
  const http = await freePort('tcp');
  return {
    kind: 'embedded',
    env: {},
    engineArgs: ['--t1', String(t1), '--t2', '400', '--t4', '500', '--http-port', String(http)],
    async counts() {
      const s = await engineStatsAt(http);
      return { dialogs: s.dialogs, activeTransactions: s.activeTransactions };
    },
    stats: () => engineStatsAt(http),
    logs: () => '',
    stop: () => Promise.resolve(),
  };
}
