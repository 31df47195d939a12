import { features } from '../features';
import { loadConfig } from '../lib/config';
import { startServer } from '../lib/server';
import { header, SipPeer, type SipMessage } from '../test/integration/races/sip-peer';
import { freePort } from '../test/support/ports';
import { startTestRedis } from '../test/support/redis';
import { startRtpengine } from '../lib/media';
import { testLogger } from '../test/support/rtpengine';
import { percentile } from './proc-usage';

/**
 * npm run bench:transfer -- BENCH_TRANSFERS (default 50) blind transfers at once: each
 * of as many calls A -> B gets a REFER from A to C at the same moment; every C answers
 * at once. Measured per transfer: REFER sent -> the transferee's re-INVITE carrying the
 * target's media (the target's 200 reaching the transferee's new media), and REFER sent
 * -> the NOTIFY `SIP/2.0 200` at the transferor. Prints how many completed and p50/p99/max.
 * Raw UDP phones (test/integration/races/sip-peer.ts); everything on 127.0.0.1, bounded
 * by the number of transfers and a 60 s budget. rtpengine gets media ports 20000-21999
 * (outside the tests' pool of 200-port blocks, 10000-19999): each transfer holds its
 * call's session and the new one at once, 8 ports, more than one block has for 50.
 */
const N = Number(process.env.BENCH_TRANSFERS ?? 50);
const TOKEN = 'bench-token-0123456789';
const TENANT = '127.0.0.1';
const BUDGET_MS = 60_000;

async function main(): Promise<void> {
  const logger = testLogger();
  const media = await startRtpengine({ logger, portMin: 20000, portMax: 21999, extraArgs: ['--num-threads=2', '--media-num-threads=1'] });
  const redis = await startTestRedis();
  const sipPort = await freePort('both');
  const httpPort = await freePort('tcp');
  const config = loadConfig({ API_TOKEN: TOKEN, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), REDIS_URL: redis.url,
    RTPENGINE_NG: `127.0.0.1:${media.ngPort}`, LOG_LEVEL: 'error', DIGEST_ALGORITHMS: 'MD5', NO_ANSWER_TIMEOUT: '30' });
  const server = await startServer({ config, logger, features: features() });
  const peers: SipPeer[] = [];
  const phone = async (): Promise<SipPeer> => {
    const p = await new SipPeer({ host: '127.0.0.1', port: sipPort }, TENANT).start();
    peers.push(p);
    return p;
  };
  try {
    const provision = async (user: string): Promise<void> => {
      const r = await fetch(`http://127.0.0.1:${httpPort}/v1/tenants/${TENANT}/users/${user}`, {
        method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: `pw-${user}` }) });
      if (!r.ok) throw new Error(`provisioning ${user}: ${r.status}`);
    };
    // the calls are set up one at a time (admission control limits new calls per second)
    const setup = async (i: number) => {
      for (const u of [`xa${i}`, `xb${i}`, `xc${i}`]) await provision(u);
      const [a, b, c] = [await phone(), await phone(), await phone()];
      await b.register(`xb${i}`);
      await c.register(`xc${i}`);
      const out = a.call({ to: `xb${i}`, user: `xa${i}` });
      const failed = out.result.then((r) => {
        throw new Error(`call ${i}: ${r.response.status} ${r.response.raw.split('\r\n')[0]}`);
      });
      const inv = await Promise.race([b.nextInvite(BUDGET_MS), failed]);
      inv.send(200, b.sdp());
      const r = await out.result;
      if (!r.dialog) throw new Error(`call ${i}: ${r.response.status}`);
      return { i, a, b, c, da: r.dialog, db: inv.dialog };
    };
    const runs = [];
    for (let i = 0; i < N; i++) runs.push(await setup(i));
    console.log(`${N} calls up; ${N} REFERs at once`);
    const started = Date.now();
    const moved: number[] = [];
    const notified: number[] = [];
    let failed = 0;
    await Promise.all(runs.map(async ({ i, a, b, c, da, db }) => {
      const sent = Date.now();
      const reinvite = b.waitRequest((m: SipMessage) => m.method === 'INVITE' && header(m, 'call-id') === db.callId && header(m, 'to').includes('tag='),
        BUDGET_MS, 're-INVITE');
      const done = a.waitRequest((m) => m.method === 'NOTIFY' && header(m, 'call-id') === da.callId && !m.body.startsWith('SIP/2.0 100'), BUDGET_MS, 'final NOTIFY');
      const r = await a.request(da, 'REFER', { headers: { 'Refer-To': `<sip:xc${i}@${TENANT}>` } });
      if (r.status !== 202) throw new Error(`REFER ${i}: ${r.status}`);
      const invC = await c.nextInvite(BUDGET_MS);
      invC.send(200, c.sdp());
      const [re, final] = await Promise.all([reinvite, done]);
      if (!final.body.startsWith('SIP/2.0 200')) failed++;
      moved.push(re.at - sent);
      notified.push(final.at - sent);
      await b.request(db, 'BYE');
    }));
    const wall = Date.now() - started;
    moved.sort((x, y) => x - y);
    notified.sort((x, y) => x - y);
    console.log(`completed: ${notified.length - failed} of ${N} (failed ${failed}) in ${wall} ms`);
    console.log(`REFER -> transferee re-INVITEd with the target's media: p50 ${percentile(moved, 50).toFixed(1)} ms, p99 ${percentile(moved, 99).toFixed(1)} ms, max ${moved[moved.length - 1]} ms`);
    console.log(`REFER -> NOTIFY 200 at the transferor: p50 ${percentile(notified, 50).toFixed(1)} ms, p99 ${percentile(notified, 99).toFixed(1)} ms, max ${notified[notified.length - 1]} ms`);
    // every call ends (or 10 s pass): CallManager.idle() resolves when the last one has
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([server.calls.idle(), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    console.log(`calls left on the server: ${server.calls.size}`);
  } finally {
    for (const p of peers) p.close();
    await server.stop();
    await redis.stop();
    await media.stop();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
