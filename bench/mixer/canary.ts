import { performance } from 'node:perf_hooks';
import { LatenessHistogram } from '../../features/conference/mixer/lateness';
import { FramePacer } from '../../lib/media/audio/frame-pacer';
import { serve } from './ipc';

/**
 * The bench's control: a process that does nothing but wake every 20 ms on the mixer's
 * core and record how late it woke. When the canary is late as often as the mixer, the
 * machine (scheduler, virtualisation), not the mixer's work, is what makes frames late.
 */
const pacer = new FramePacer(20, performance.now(), 1000);
const wakeups = new LatenessHistogram(Number(process.env.BENCH_LATE_MS ?? 5));
let timer: NodeJS.Timeout | undefined;

function tick(): void {
  const now = performance.now();
  for (const f of pacer.take(now).frames) wakeups.record(now - (pacer.epochMs + f * pacer.periodMs));
  timer = setTimeout(tick, Math.ceil(pacer.delay(performance.now())));
}
tick();

serve({
  stats: ({ reset }: { reset?: boolean }) => {
    const s = wakeups.summary();
    if (reset) wakeups.reset();
    return s;
  },
}, () => clearTimeout(timer));
