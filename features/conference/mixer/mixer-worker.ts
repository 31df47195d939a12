import { parentPort, workerData } from 'node:worker_threads';
import { MixerEngine, type LogFn } from './mixer-engine';
import { serializeError } from './mixer-error';
import type { AddMemberOptions, SetRemoteOptions } from './mixer-options';
import { LOG_LEVELS, type MixerMessage, type MixerRequest, type MixerWorkerData } from './protocol';

/**
 * The worker thread's entry point (loaded by ConferenceMixer from the compiled file next
 * to it). It owns the engine and with it every RTP socket, so the 20 ms mixing clock
 * never waits behind SIP signalling on the main thread. Requests are applied one at a
 * time, in arrival order; the mixing clock runs in between.
 */
const port = parentPort;
if (!port) throw new Error('mixer-worker must run as a worker thread');

const { options, logLevel } = workerData as MixerWorkerData;
const post = (msg: MixerMessage): void => port.postMessage(msg);
// Lines below the main thread's level are not even posted (a debug line per member joining).
const threshold = logLevel === undefined ? Infinity : LOG_LEVELS.indexOf(logLevel);
const log: LogFn = (level, message, meta) => {
  if (LOG_LEVELS.indexOf(level) >= threshold) post({ kind: 'log', level, message, meta });
};

let engine: MixerEngine | undefined;
try {
  engine = new MixerEngine(options, log);
} catch (err) {
  post({ kind: 'fatal', error: serializeError(err) });
  port.close();
}

if (engine) {
  const e = engine;
  const ops: Record<MixerRequest['op'], (args: unknown[]) => Promise<unknown>> = {
    addMember: (a) => e.addMember(a[0] as string, a[1] as string, a[2] as AddMemberOptions),
    setRemote: (a) => e.setRemote(a[0] as string, a[1] as SetRemoteOptions),
    removeMember: (a) => e.removeMember(a[0] as string),
    closeBridge: (a) => e.closeBridge(a[0] as string),
    stats: (a) => e.stats(a[0] as { reset?: boolean } | undefined),
    close: () => e.close(),
  };
  let queue = Promise.resolve();
  port.on('message', (req: MixerRequest) => {
    queue = queue.then(async () => {
      const op = Object.hasOwn(ops, req.op) ? ops[req.op] : undefined;
      try {
        if (!op) throw new Error(`unknown mixer request ${String(req.op)}`);
        post({ kind: 'reply', id: req.id, ok: true, value: await op(req.args) });
      } catch (err) {
        post({ kind: 'reply', id: req.id, ok: false, error: serializeError(err) });
      }
      // Sockets and clock are gone after close: let the thread end by itself.
      if (req.op === 'close') port.close();
    });
  });
  post({ kind: 'ready' });
}
