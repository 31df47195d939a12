import assert from 'node:assert/strict';
import { DestinationPolicy, parseDeniedDestinations } from '../../../lib/engine/core/destination-policy';
import { RouteToken } from '../../../lib/engine/core/route-token';
import { engineDenyList } from '../../../lib/runtime/engine-launcher';

/** The pieces that close the open relay (issue #13), without sockets. */
describe('relay: deny list and route token', () => {
  it('parses --deny-destinations, IPv6 in brackets, a transport, and names a bad entry', () => {
    assert.deepEqual(parseDeniedDestinations(' redis:6379,[::1]:2223 ,10.0.0.5:22222,'),
      [{ host: 'redis', port: 6379 }, { host: '::1', port: 2223 }, { host: '10.0.0.5', port: 22222 }]);
    assert.deepEqual(parseDeniedDestinations('redis:6379/tcp,[::1]:2223/UDP'),
      [{ host: 'redis', port: 6379, transport: 'tcp' }, { host: '::1', port: 2223, transport: 'udp' }]);
    for (const bad of ['redis', 'redis:', 'redis:0', 'redis:65536', 'redis:63a', '::1:6379', ':6379', 'redis:6379/sctp', 'redis/tcp']) {
      assert.throws(() => parseDeniedDestinations(bad), /deny destination/, bad);
    }
  });

  it('an entry on this host covers every spelling of this host; a remote entry only its own address', async () => {
    const p = await DestinationPolicy.create(['127.0.0.1'], [{ host: 'localhost', port: 6379 }, { host: '192.0.2.7', port: 5432 }]);
    for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1', '0.0.0.0', '::']) {
      for (const t of ['udp', 'tcp'] as const) {
        assert.equal(p.denies(a, 6379, t), true, `${a} ${t}`);
        assert.equal(p.denies(a, 6380, t), false, `${a} ${t}`);
      }
    }
    assert.equal(p.denies('192.0.2.7', 5432, 'tcp'), true);
    assert.equal(p.denies('::ffff:192.0.2.7', 5432, 'udp'), true);
    assert.equal(p.denies('192.0.2.8', 5432, 'tcp'), false);
    assert.equal(p.denies('192.0.2.7', 6379, 'tcp'), false);
    assert.equal(p.denies('not-an-address', 5060, 'udp'), true, 'only resolved addresses are sent to');
    p.addOwnPort(9022);
    assert.equal(p.denies('127.0.0.2', 9022, 'tcp'), true);
    assert.equal(p.denies('127.0.0.2', 9022, 'udp'), false, 'the admin port is TCP: a phone on UDP 9022 is reachable');
  });

  it('an entry for one transport refuses that transport only: a UDP phone on the number of a TCP service is reached', async () => {
    const p = await DestinationPolicy.create(['127.0.0.1'], [{ host: '127.0.0.1', port: 46127, transport: 'tcp' }, { host: '192.0.2.7', port: 2223, transport: 'udp' }]);
    assert.equal(p.denies('127.0.0.1', 46127, 'tcp'), true, 'Redis over TCP');
    assert.equal(p.denies('::1', 46127, 'tcp'), true, 'every spelling of this host');
    assert.equal(p.denies('127.0.0.1', 46127, 'udp'), false, 'a phone on UDP 46127');
    assert.equal(p.denies('192.0.2.7', 2223, 'udp'), true);
    assert.equal(p.denies('192.0.2.7', 2223, 'tcp'), false);
  });

  it('the feature server denies Redis, rtpengine ng and its REST port to the engine', () => {
    // the TCP services over TCP only; the ng port over both
    assert.deepEqual(engineDenyList({ redisUrl: 'redis://:pw@127.0.0.1:7000/0', rtpengineNg: { host: '127.0.0.1', port: 2223 },
      http: { host: '0.0.0.0', port: 3000 } }), [
      { host: '127.0.0.1', port: 2223 }, { host: '0.0.0.0', port: 3000, transport: 'tcp' }, { host: '127.0.0.1', port: 7000, transport: 'tcp' },
    ]);
    assert.deepEqual(engineDenyList({ redisUrl: 'rediss://[::1]', rtpengineNg: { host: '10.0.0.1', port: 2223 }, http: { host: '127.0.0.1', port: 0 } }),
      [{ host: '10.0.0.1', port: 2223 }, { host: '::1', port: 6379, transport: 'tcp' }]);
    assert.deepEqual(engineDenyList({ redisUrl: 'redis+sentinel://s1:26379,s2:26380/mymaster', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }],
      rtpengineNg: { host: '127.0.0.1', port: 2223 } }), [{ host: 's1', port: 26379, transport: 'tcp' }, { host: 's2', port: 26380, transport: 'tcp' }, { host: '127.0.0.1', port: 2223 }]);
  });

  it('a route token verifies for its Call-ID and key only', () => {
    const t = new RouteToken('secret-a');
    const token = t.issue('call-1@host');
    assert.match(token, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(t.verify('call-1@host', token), true);
    assert.equal(new RouteToken('secret-a').verify('call-1@host', token), true, 'survives a restart with the same secret');
    assert.equal(t.verify('call-2@host', token), false);
    assert.equal(new RouteToken('secret-b').verify('call-1@host', token), false);
    assert.equal(t.verify('call-1@host', undefined), false);
    assert.equal(t.verify('call-1@host', token.slice(1)), false);
  });
});
