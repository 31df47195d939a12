import assert from 'node:assert/strict';
import type dgram from 'node:dgram';
import { MixerError } from '../../../features/conference/mixer/mixer-error';
import { PortPool } from '../../../features/conference/mixer/port-pool';

/** A bind that finds the ports in `busy` held by someone else, and binds nothing for real. */
function fakeBind(busy: Set<number>): (host: string, port: number) => Promise<dgram.Socket> {
  return async (_host, port) => {
    if (busy.has(port)) throw Object.assign(new Error('in use'), { code: 'EADDRINUSE' });
    return {} as dgram.Socket;
  };
}

const exhausted = (e: unknown): boolean => e instanceof MixerError && e.code === 'E_MIXER_PORTS_EXHAUSTED';

describe('conference mixer: port pool', () => {
  it('hands out the even ports of the range, round robin, skipping ports held elsewhere', async () => {
    const pool = new PortPool('127.0.0.1', 4001, 4010, fakeBind(new Set([4004])));
    assert.equal(pool.size, 5);
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await pool.take()).port);
    assert.deepEqual(got, [4002, 4006, 4008, 4010]);
    await assert.rejects(pool.take(), exhausted);
    pool.release(4006);
    assert.equal((await pool.take()).port, 4006);
    assert.equal(pool.inUse, 4);
  });

  it('reuses a freed port last', async () => {
    const pool = new PortPool('127.0.0.1', 5000, 5005, fakeBind(new Set()));
    assert.equal((await pool.take()).port, 5000);
    pool.release(5000);
    assert.deepEqual([(await pool.take()).port, (await pool.take()).port, (await pool.take()).port], [5002, 5004, 5000]);
  });

  it('reports a bind failure other than "in use" as a configuration error', async () => {
    const pool = new PortPool('192.0.2.1', 6000, 6001, async () => {
      throw Object.assign(new Error('cannot assign requested address'), { code: 'EADDRNOTAVAIL' });
    });
    await assert.rejects(pool.take(), (e: unknown) => e instanceof MixerError && e.code === 'E_MIXER_CONFIG');
  });
});
