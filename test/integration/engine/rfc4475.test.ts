import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import type Srf from 'drachtio-srf';
import { startEngine, type EngineProcess } from '../../support/engine-process';
import { connectSrf, disconnectSrf, handlers } from '../../support/srf-app';
import { RFC4475_DIR } from '../../support/test-data';

/**
 * RFC 4475: every torture message sent to a running engine, each answered (or ignored)
 * the way the manifest in test/data/rfc4475 says, and the engine still serving
 * afterwards. Statuses marked `app` come from the endpoint application below (the
 * engine passed the message up intact); the others come from the engine itself.
 */
const DATA = RFC4475_DIR;

type Expect = number | 'silence';
const EXPECTED: Record<string, Expect> = {
  'wsinv.dat': 481, // parsed whole; its To tag names no dialog here (RFC 3261 12.2.2)
  'intmeth.dat': 501,
  'esc01.dat': 486, // app
  'escnull.dat': 200, // app: REGISTER
  'esc02.dat': 501,
  'lwsdisp.dat': 200, // app: OPTIONS
  'longreq.dat': 486, // app
  'dblreq.dat': 200, // app: the REGISTER; the trailing INVITE is never seen
  'semiuri.dat': 200, // app
  'transports.dat': 200, // app
  'mpart01.dat': 200, // app: MESSAGE framed by Content-Length
  'unreason.dat': 'silence', // a response matching no transaction
  'noreason.dat': 'silence',
  'badinv01.dat': 400,
  'clerr.dat': 400,
  'ncl.dat': 400,
  'scalar02.dat': 400,
  'scalarlg.dat': 'silence',
  'quotbal.dat': 400,
  'ltgtruri.dat': 400,
  'lwsruri.dat': 400,
  'lwsstart.dat': 400,
  'trws.dat': 400,
  'escruri.dat': 400,
  'baddate.dat': 486, // app: Date is ignored
  'regbadct.dat': 400,
  'badaspec.dat': 200, // app: liberal about the spaces inside <>, as the manifest allows
  'baddn.dat': 400,
  'badvers.dat': 505,
  'mismatch01.dat': 400,
  'mismatch02.dat': 400,
  'bigcode.dat': 'silence',
  'badbranch.dat': 200, // app: RFC 2543 matching fallback
  'insuf.dat': 400,
  'unkscm.dat': 416,
  'novelsc.dat': 416,
  'unksm2.dat': 400, // app: registrar refuses a non-SIP AOR
  'bext01.dat': 420,
  'invut.dat': 415, // app
  'regaut01.dat': 200, // app: registrar ignores the stale credentials
  'multi01.dat': 400,
  'mcl01.dat': 400,
  'bcast.dat': 'silence',
  'zeromf.dat': 200, // app: an endpoint processes Max-Forwards 0 normally
  'cparam01.dat': 200,
  'cparam02.dat': 200,
  'regescrt.dat': 200,
  'sdp01.dat': 406, // app
  'inv2543.dat': 486, // app
};

/** The endpoint/registrar the messages are meant for (RFC 4475 section 3 roles). */
function endpoint(srf: Srf): void {
  const checkBody = (req: Srf.SrfRequest, res: Srf.SrfResponse): boolean => {
    const type = (req.get('Content-Type') ?? '').toLowerCase();
    if (type && !type.startsWith('application/sdp') && !type.startsWith('multipart/')) {
      res.send(415, { headers: { Accept: 'application/sdp' } });
      return false;
    }
    const accept = req.get('Accept');
    if (accept && !/application\/sdp/i.test(accept)) {
      res.send(406, { headers: { Warning: '399 127.0.0.1 "Only application/sdp"' } });
      return false;
    }
    return true;
  };
  srf.invite((req, res) => {
    if (checkBody(req, res)) res.send(486);
  });
  const h = handlers(srf);
  h.register((req, res) => {
    const to = req.getParsedHeader('To') as unknown as { uri: string };
    if (!/^sips?:/i.test(to.uri)) res.send(400);
    else res.send(200, { headers: { Contact: req.get('Contact') ?? '' } });
  });
  h.options((req, res) => {
    if (checkBody(req, res)) res.send(200);
  });
  h.message((req, res) => res.send(200));
}

/** Point the top Via's sent-by at our socket, and nothing else (the folder's README). */
function rewriteTopVia(buf: Buffer, port: number): Buffer {
  const text = buf.toString('latin1');
  const re = /^(Via|v)([ \t]*:[ \t]*)((?:[^\r\n]|\r\n[ \t])*?\/(?:[ \t]|\r\n[ \t])*[A-Za-z]+)(?:[ \t]|\r\n[ \t])+([^;,\s]+)/im;
  const m = re.exec(text);
  if (!m) return buf;
  const out = text.slice(0, m.index) + `${m[1]}${m[2]}${m[3]} 127.0.0.1:${port}` + text.slice(m.index + m[0].length);
  return Buffer.from(out, 'latin1');
}

function callIdOf(buf: Buffer): string {
  const m = /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(buf.toString('latin1'));
  return m ? m[1] : '';
}

describe('engine: RFC 4475 torture messages', function () {
  this.timeout(60000);
  let engine: EngineProcess;
  let srf: Srf;
  let sock: dgram.Socket;
  let port: number;
  const received: Buffer[] = [];
  const waiters: Array<() => void> = [];

  const sockets: dgram.Socket[] = [];
  async function udpSocket(): Promise<dgram.Socket> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    s.on('message', (m) => {
      received.push(m);
      for (const w of waiters.splice(0)) w();
    });
    sockets.push(s);
    return s;
  }

  before(async () => {
    engine = await startEngine({});
    srf = await connectSrf(engine, endpoint);
    sock = await udpSocket();
    port = sock.address().port;
  });

  after(async () => {
    for (const s of sockets) s.close();
    if (srf) disconnectSrf(srf);
    await engine?.stop();
  });

  async function responseFor(callId: string, timeoutMs: number): Promise<number | 'silence'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = received.find((m) => callIdOf(m) === callId && !/^SIP\/2.0 100 /.test(m.toString('latin1')));
      if (hit) return Number(/^SIP\/2.0 (\d{3})/.exec(hit.toString('latin1'))?.[1]);
      const left = deadline - Date.now();
      if (left <= 0) return 'silence';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** An OPTIONS the app answers: proof the engine is still serving, and an ordering fence. */
  async function canary(n: number): Promise<void> {
    const callId = `canary-${n}@127.0.0.1`;
    const msg = [
      'OPTIONS sip:canary@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-canary-${n}`,
      'Max-Forwards: 70', 'From: <sip:t@127.0.0.1>;tag=c1', 'To: <sip:canary@127.0.0.1>', `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n');
    sock.send(msg, engine.sipPort, '127.0.0.1');
    assert.equal(await responseFor(callId, 3000), 200, 'engine stopped serving');
  }

  it('has an expectation for every message in the manifest', () => {
    const manifest = fs.readFileSync(path.join(DATA, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[0]);
    assert.equal(manifest.length, 49);
    assert.deepEqual(manifest.filter((f) => !(f in EXPECTED)), []);
  });

  let n = 0;
  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: ${expected === 'silence' ? 'no response' : expected}`, async () => {
      const raw = fs.readFileSync(path.join(DATA, file));
      const callId = callIdOf(raw);
      // many messages share a branch: a socket (so a sent-by) of their own keeps each a
      // new transaction instead of a retransmission of the previous one (RFC 3261 17.2.3)
      const own = await udpSocket();
      own.send(rewriteTopVia(raw, own.address().port), engine.sipPort, '127.0.0.1');
      if (expected === 'silence') {
        await canary(++n);
        assert.equal(await responseFor(callId, 0), 'silence');
      } else {
        assert.equal(await responseFor(callId, 3000), expected);
        await canary(++n);
      }
    });
  }

  it('dblreq.dat: the INVITE hidden after the REGISTER never reaches the app', async () => {
    const hidden = received.filter((m) => callIdOf(m) === 'dblreq.0ha0isnda977644900765@192.0.2.15');
    assert.equal(hidden.length, 0);
  });

  it('counted the parse errors and kept no transaction waiting', async () => {
    const stats = await engine.stats();
    assert.ok(stats.parseErrors > 0);
    assert.equal(stats.activeTransactions, 0);
    assert.equal(stats.dialogs, 0);
  });
});
