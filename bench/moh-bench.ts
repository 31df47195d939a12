import { features } from '../features';
import { loadConfig } from '../lib/config';
import { startServer } from '../lib/server';
import { swapScenarios } from '../test/integration/moh/swap-scenarios';
import { freePort } from '../test/support/ports';
import { startTestRedis } from '../test/support/redis';
import { createRtpEndpoint, OTHER } from '../test/support/rtp';
import { testLogger, withRtpengine } from '../test/support/rtpengine';
import { runSipp, startSippUas } from '../test/support/sipp';
import { percentile } from './proc-usage';

/**
 * npm run bench:moh -- how long after the hold re-INVITE leaves the holder's phone the
 * held party hears music: BENCH_HOLDS (default 100) hold/resume cycles, the
 * held party's RTP endpoint timestamps the first music packet after each hold (calls of
 * 10 holds each, one at a time). Prints
 * p50/p99/max. Everything on 127.0.0.1, bounded by the number of holds.
 */
const HOLDS = Number(process.env.BENCH_HOLDS ?? 100);
/** holds per call: sipp will not load a scenario with many more steps than this */
const PER_CALL = 10;
const CALLS = Math.max(1, Math.ceil(HOLDS / PER_CALL));
const STEP_MS = Number(process.env.BENCH_STEP_MS ?? 300);
const TOKEN = 'bench-token-0123456789';

function sippTime(t: string): number {
  // `YYYY-MM-DD HH:MM:SS.micro` in local time, as sipp writes it
  const [date, time] = t.split(' ');
  const [h, m, s] = time.split(':');
  const d = new Date(`${date}T${h}:${m}:00`);
  return d.getTime() + Number(s) * 1000;
}

async function main(): Promise<void> {
  const media = withRtpengine();
  await media.start();
  const redis = await startTestRedis();
  const sipPort = await freePort('both');
  const config = loadConfig({ API_TOKEN: TOKEN, SIP_PORT: String(sipPort), HTTP_PORT: String(await freePort('tcp')), REDIS_URL: redis.url,
    RTPENGINE_NG: `127.0.0.1:${media.process.ngPort}`, LOG_LEVEL: 'error', DIGEST_ALGORITHMS: 'MD5' });
  const server = await startServer({ config, logger: testLogger(), features: features() });
  const s = swapScenarios(Math.min(PER_CALL, HOLDS));
  const epB = await createRtpEndpoint();
  const music: number[] = [];
  epB.onPacket((marker) => {
    if (marker === OTHER) music.push(Date.now());
  });
  try {
    const api = async (path: string, body: unknown): Promise<void> => {
      const r = await fetch(`http://127.0.0.1:${config.httpPort}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`${path}: ${r.status}`);
    };
    await api('/v1/tenants/127.0.0.1/users/ba', { password: 'pw-ba' });
    await api('/v1/tenants/127.0.0.1/users/bb', { password: 'pw-bb' });
    const bPort = await freePort('both');
    const reg = await runSipp({ scenario: 'core-register.xml', remote: `127.0.0.1:${sipPort}`, localPort: bPort, service: 'bb', auth: { username: 'bb', password: 'pw-bb' }, vars: { expires: '3600' } }).done;
    if (reg.code !== 0) throw new Error('REGISTER failed');
    // the callee's SDP points at our endpoint, so the music lands there
    const calleeFile = s.callee.replace(/\.xml$/, '-media.xml');
    const fs = await import('node:fs');
    fs.writeFileSync(calleeFile, fs.readFileSync(s.callee, 'utf8').replace(/m=audio \[media_port\]/g, `m=audio ${epB.port}`));
    const budget = 30 + (CALLS * (PER_CALL * 2 + 2) * STEP_MS) / 1000;
    const uas = await startSippUas({ scenario: calleeFile, localPort: bPort, calls: CALLS, timeoutSec: budget });
    // one call at a time (-l 1), so every music packet belongs to the hold just sent
    const a = await runSipp({ scenario: s.caller, remote: `127.0.0.1:${sipPort}`, localPort: await freePort('both'), service: 'bb',
      auth: { username: 'ba', password: 'pw-ba' }, vars: { caller: 'ba' }, durationMs: STEP_MS, timeoutSec: budget,
      calls: CALLS, rate: 10, extraArgs: ['-l', '1'] }).done;
    await uas.done;
    if (a.code !== 0) throw new Error(`caller failed: ${a.errors}`);
    const holds = a.events.filter((e) => e.dir === 'sent' && e.method === 'INVITE' && e.status === undefined && !e.retransmission && /a=sendonly/.test(e.message))
      .map((e) => sippTime(e.time));
    const latencies: number[] = [];
    for (const sent of holds) {
      const first = music.find((t) => t >= sent);
      if (first !== undefined && first - sent < STEP_MS * 2) latencies.push(first - sent);
    }
    latencies.sort((x, y) => x - y);
    console.log(`holds: ${holds.length}, music heard after ${latencies.length} of them`);
    console.log(`hold re-INVITE sent -> first music packet at the held party: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies[latencies.length - 1]?.toFixed(1)} ms`);
  } finally {
    s.cleanup();
    await epB.stop();
    await server.stop();
    await redis.stop();
    await media.stop();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
