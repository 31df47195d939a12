import { ConferenceMixer } from '../../features/conference/mixer';
import { serve } from './ipc';

/**
 * The mixer under test, in a process of its own (the bench pins it to one core): a
 * ConferenceMixer, whose worker does the mixing, driven over IPC.
 */
export interface MemberPort {
  id: string;
  port: number;
}

async function main(): Promise<void> {
  const mixer = await ConferenceMixer.start({
    host: '127.0.0.1',
    portMin: Number(process.env.BENCH_PORT_MIN ?? 20000),
    portMax: Number(process.env.BENCH_PORT_MAX ?? 31999),
    lateAfterMs: Number(process.env.BENCH_LATE_MS ?? 5),
    phases: process.env.BENCH_PHASES ? Number(process.env.BENCH_PHASES) : undefined,
  });
  serve({
    /** bridges [from, to), three PCMU members each */
    add: async ({ from, to }: { from: number; to: number }): Promise<MemberPort[]> => {
      const jobs: Array<Promise<MemberPort>> = [];
      for (let b = from; b < to; b++) {
        for (let k = 0; k < 3; k++) {
          const id = `b${b}m${k}`;
          jobs.push(mixer.addMember(`b${b}`, id, { payloadType: 0 }).then((info) => ({ id, port: info.port })));
        }
      }
      return Promise.all(jobs);
    },
    remote: async (list: MemberPort[]): Promise<void> => {
      await Promise.all(list.map((m) => mixer.setRemote(m.id, { address: '127.0.0.1', port: m.port })));
    },
    stats: ({ reset }: { reset?: boolean }) => mixer.stats({ reset }),
  }, () => mixer.close());
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
