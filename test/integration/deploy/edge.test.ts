import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type Srf from 'drachtio-srf';
import { startEngine, type EngineProcess } from '../../support/engine-process';
import { kamailioBinary, startKamailio, type KamailioProcess } from '../../support/kamailio';
import { freePort } from '../../support/ports';
import { runSipp, startSippUas, type SippResult } from '../../support/sipp';
import { connectSrf, disconnectSrf, handlers } from '../../support/srf-app';

/**
 * deploy/edge/kamailio.cfg, run by a real Kamailio on loopback in front of embedded SIP
 * engines, each with a small srf application; sipp places the calls through the edge.
 */

const SDP = [
  'v=0', 'o=app 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 30000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '',
].join('\r\n');

/** probe every second, one failed probe marks an engine down, an engine has 1 s to answer */
// round-robin (DS_ALG 4) so ten unchallenged calls split evenly between the two engines
const FAST_PROBING = { DS_PING_INTERVAL: 1, DS_PROBING_THRESHOLD: 1, DS_INACTIVE_THRESHOLD: 1, ENGINE_TIMEOUT_MS: 1000, DS_ALG: 4 };

interface EngineApp {
  name: string;
  engine: EngineProcess;
  srf: Srf;
  /** Call-IDs of the INVITEs this app received */
  invites: string[];
  /** Call-ID -> Via headers of the BYE that ended it */
  byes: Map<string, string>;
  /** the node dies: the app connection goes, the engine gets SIGKILL */
  kill(): void;
  stop(): Promise<void>;
}

/**
 * An engine with an srf app that answers every INVITE 200 with SDP (or `inviteStatus`)
 * and OPTIONS 200, as the feature server does (the edge's probes want a 2xx).
 */
async function startEngineApp(name: string, inviteStatus?: number): Promise<EngineApp> {
  const engine = await startEngine();
  const invites: string[] = [];
  const byes = new Map<string, string>();
  let srf: Srf;
  try {
    srf = await connectSrf(engine, (s) => {
      s.invite((req, res) => {
        const callId = req.get('Call-ID');
        invites.push(callId);
        if (inviteStatus) {
          res.send(inviteStatus);
          return;
        }
        // the engine copies the edge's Record-Route into the 200 (RFC 3261 12.1.1)
        s.createUAS(req, res, { localSdp: SDP }).then((dialog) => {
          dialog.on('destroy', (bye: Srf.SrfRequest) => byes.set(callId, bye.getParsedHeader('Via').map((v) => `${v.host}:${v.port}`).join(',')));
        }, () => undefined);
      });
      handlers(s).options((_req, res) => res.send(200));
    });
  } catch (err) {
    await engine.stop();
    throw err;
  }
  let connected = true;
  // srf.disconnect() needs a live connection, and srf reconnects forever to a dead engine:
  // the app lets go first
  const disconnect = (): void => {
    if (connected) disconnectSrf(srf);
    connected = false;
  };
  return {
    name, engine, srf, invites, byes,
    kill() {
      const pid = enginePid(engine.adminPort);
      disconnect();
      process.kill(pid, 'SIGKILL');
    },
    async stop() {
      disconnect();
      await engine.stop();
    },
  };
}

/** The pid of our own child process running the engine with this admin port. */
function enginePid(adminPort: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      const at = args.indexOf('--admin-port');
      if (ppid === process.pid && at >= 0 && args[at + 1] === String(adminPort)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no engine child with --admin-port ${adminPort}`);
}

async function callThrough(edge: KamailioProcess, calls: number): Promise<SippResult> {
  const r = await runSipp({ scenario: 'uac.xml', remote: `127.0.0.1:${edge.sipPort}`, localPort: await freePort('both'), calls, rate: 10,
    service: 'svc', durationMs: 100, timeoutSec: 30 }).done;
  assert.equal(r.code, 0, `sipp failed (${r.code}):\n${r.errors}\n${r.stdout.slice(-1500)}\n${edge.logs().slice(-3000)}`);
  return r;
}

/** Call-IDs of the INVITEs sipp sent, first transmissions only */
function sentCallIds(r: SippResult): string[] {
  return r.events.filter((e) => e.dir === 'sent' && e.method === 'INVITE' && !e.status && !e.retransmission)
    .map((e) => /\r\nCall-ID: *([^\r]+)/i.exec(e.message)?.[1] ?? '');
}

function countOn(app: EngineApp, ids: string[]): number {
  return ids.filter((id) => app.invites.includes(id)).length;
}

describe('deploy: Kamailio edge in front of two SIP engines', function () {
  this.timeout(60000);
  let a: EngineApp | undefined;
  let b: EngineApp | undefined;
  let edge: KamailioProcess | undefined;

  before(async function () {
    this.timeout(30000);
    // no kamailio: every test here fails with the install hint, none is skipped
    kamailioBinary();
    a = await startEngineApp('A');
    b = await startEngineApp('B');
    edge = await startKamailio({ engines: [{ port: a.engine.sipPort }, { port: b.engine.sipPort }], defines: FAST_PROBING });
    console.log(`    kamailio: ${edge.command.join(' ')}`);
  });

  after(async function () {
    this.timeout(20000);
    await edge?.stop();
    await a?.stop();
    await b?.stop();
  });

  const peers = (): { a: EngineApp; b: EngineApp; edge: KamailioProcess } => {
    if (!a || !b || !edge) throw new Error('peers not started');
    return { a, b, edge };
  };

  it('spreads new calls over both engines', async () => {
    const p = peers();
    const r = await callThrough(p.edge, 10);
    const ids = sentCallIds(r);
    const onA = countOn(p.a, ids);
    const onB = countOn(p.b, ids);
    console.log(`    10 calls through the edge: ${onA} on engine A, ${onB} on engine B`);
    assert.equal(ids.length, 10);
    assert.equal(onA + onB, 10, 'every call reached exactly one engine');
    assert.ok(onA >= 3 && onB >= 3, `round-robin spreads the calls (A ${onA}, B ${onB})`);
  });

  it('sends the in-dialog BYE through the edge to the engine that answered (Record-Route)', async () => {
    const p = peers();
    const r = await callThrough(p.edge, 4);
    const rr = new RegExp(`\\r\\nRecord-Route: <sip:127\\.0\\.0\\.1:${p.edge.sipPort};lr=on>`, 'i');
    const route = new RegExp(`\\r\\nRoute: <sip:127\\.0\\.0\\.1:${p.edge.sipPort};lr=on>`, 'i');
    const oks = r.events.filter((e) => e.dir === 'received' && e.status === 200 && e.method === 'INVITE');
    const byes = r.events.filter((e) => e.dir === 'sent' && e.method === 'BYE' && !e.status && !e.retransmission);
    assert.equal(byes.length, 4);
    for (const ok of oks) assert.match(ok.message, rr, 'the 200 carries the edge Record-Route');
    for (const bye of byes) {
      assert.match(bye.message, route, 'the BYE is routed through the edge');
      // the Request-URI is the answering engine's Contact, not the edge
      const target = Number(/^BYE sip:[^@\s]*@?127\.0\.0\.1:(\d+)/.exec(bye.firstLine)?.[1]);
      assert.ok(target === p.a.engine.sipPort || target === p.b.engine.sipPort, bye.firstLine);
    }
    for (const id of sentCallIds(r)) {
      const owner = p.a.invites.includes(id) ? p.a : p.b;
      const other = owner === p.a ? p.b : p.a;
      assert.ok(owner.invites.includes(id), `call ${id} reached an engine`);
      const via = owner.byes.get(id);
      assert.ok(via, `the BYE of ${id} reached engine ${owner.name}, which answered it`);
      assert.ok(!other.byes.has(id), `the BYE of ${id} did not reach engine ${other.name}`);
      assert.ok(via.startsWith(`127.0.0.1:${p.edge.sipPort}`), `the BYE came through the edge (Via ${via})`);
    }
  });

  it('relays a call from an engine to a phone by its Request-URI, record-routed both ways', async () => {
    const p = peers();
    const phonePort = await freePort('both');
    const phone = await startSippUas({ scenario: 'uas.xml', localPort: phonePort, timeoutSec: 20 });
    try {
      // the feature server calls a registered phone by its Contact, through the address
      // its REGISTER came from: the edge (lib/routing/contact-target.ts)
      const dialog = await p.a.srf.createUAC(`sip:phone@127.0.0.1:${phonePort}`, { localSdp: SDP, proxy: `sip:127.0.0.1:${p.edge.sipPort}` } as Srf.CreateUACOptions);
      await new Promise((r) => setTimeout(r, 100));
      await new Promise<void>((resolve, reject) => dialog.destroy({ headers: {} }, (err: Error | undefined) => (err ? reject(err) : resolve())));
      const r = await phone.done;
      assert.equal(r.code, 0, `${r.errors}\n${p.edge.logs().slice(-3000)}`);
      const invite = r.events.find((e) => e.dir === 'received' && e.method === 'INVITE' && !e.status);
      const bye = r.events.find((e) => e.dir === 'received' && e.method === 'BYE' && !e.status);
      assert.match(invite?.message ?? '', new RegExp(`\\r\\nVia: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${p.edge.sipPort};`, 'i'), 'the INVITE came through the edge');
      assert.match(invite?.message ?? '', new RegExp(`\\r\\nRecord-Route: <sip:127\\.0\\.0\\.1:${p.edge.sipPort};lr=on>`, 'i'));
      assert.match(bye?.message ?? '', new RegExp(`\\r\\nVia: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${p.edge.sipPort};`, 'i'), 'the BYE came through the edge');
    } finally {
      await phone.kill();
    }
  });

  it('tries the next engine when one answers 503 or does not answer at all', async function () {
    this.timeout(40000);
    const refusing = await startEngineApp('R', 503);
    // a port nothing listens on: an engine that died before any probe noticed
    const silentPort = await freePort('both');
    // a long probe interval, so that only the failure_route can save these calls;
    // round-robin (DS_ALG 4), so that among any three calls each engine is someone's first
    // choice: with the default hash over Call-ID, six calls can all hash past the silent
    // engine (and did, once in CI), leaving nothing to show that its timeout fails over
    const slow = await startKamailio({
      engines: [{ port: refusing.engine.sipPort }, { port: silentPort }, { port: peers().a.engine.sipPort }],
      defines: { DS_PING_INTERVAL: 60, ENGINE_TIMEOUT_MS: 500, DS_ALG: 4 },
    });
    try {
      const started = Date.now();
      const r = await callThrough(slow, 6);
      const ids = sentCallIds(r);
      console.log(`    6 calls with engines [503, silent, A]: all answered by A in ${Date.now() - started} ms; engine R refused ${countOn(refusing, ids)}`);
      assert.equal(countOn(peers().a, ids), 6, 'every call ended on the engine that answers');
      assert.ok(countOn(refusing, ids) >= 1, 'the refusing engine was tried first for some calls');
      assert.match(slow.logs(), new RegExp(`engine sip:127\\.0\\.0\\.1:${silentPort} did not answer INVITE`), 'the silent engine was tried and timed out');
      assert.ok(r.events.every((e) => e.status !== 503), 'no 503 reached the caller');
    } finally {
      await slow.stop();
      await refusing.stop();
    }
  });

  it('skips an engine killed with SIGKILL once probing marks it down', async function () {
    this.timeout(40000);
    const doomed = await startEngineApp('C');
    const edge2 = await startKamailio({ engines: [{ port: peers().a.engine.sipPort }, { port: doomed.engine.sipPort }], defines: FAST_PROBING });
    try {
      const before = sentCallIds(await callThrough(edge2, 4));
      assert.ok(countOn(doomed, before) >= 1, 'engine C took calls while alive');

      const mark = edge2.logs().length;
      const killedAt = Date.now();
      doomed.kill();
      await edge2.waitForLog(new RegExp(`engine sip:127\\.0\\.0\\.1:${doomed.engine.sipPort} is down`), 15000, mark);
      const downAfterMs = Date.now() - killedAt;
      console.log(`    engine C marked down ${downAfterMs} ms after SIGKILL (probe every ${FAST_PROBING.DS_PING_INTERVAL} s, ` +
        `${FAST_PROBING.DS_PROBING_THRESHOLD} failed probe, ${FAST_PROBING.ENGINE_TIMEOUT_MS} ms probe timeout)`);

      const mark2 = edge2.logs().length;
      const after = sentCallIds(await callThrough(edge2, 6));
      assert.equal(countOn(peers().a, after), 6, 'every new call went to engine A');
      assert.doesNotMatch(edge2.logs().slice(mark2), /did not answer/, 'no new call was sent to the dead engine first');
      assert.ok(downAfterMs < 10000, `marked down within 10 s (took ${downAfterMs} ms)`);
    } finally {
      await edge2.stop();
      await doomed.stop();
    }
  });
});
