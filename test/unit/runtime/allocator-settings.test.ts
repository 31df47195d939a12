import assert from 'node:assert/strict';
import { JEMALLOC_PATHS, redisEnv, rtpengineEnv } from '../../../lib/runtime/allocator';

/** issue #13: rtpengine and redis-server give back what a fuzz made them allocate */
describe('allocator settings of rtpengine and redis-server', () => {
  const jemalloc = JEMALLOC_PATHS[0];
  const has = (p: string): boolean => p === jemalloc;
  const none = (): boolean => false;

  it('rtpengine: glib slices become malloc, jemalloc is preloaded with a decay', () => {
    const env = rtpengineEnv({ PATH: '/bin' }, has);
    assert.equal(env.G_SLICE, 'always-malloc');
    assert.equal(env.LD_PRELOAD, jemalloc);
    assert.match(env.MALLOC_CONF ?? '', /dirty_decay_ms:\d+/);
    assert.match(env.MALLOC_CONF ?? '', /background_thread:true/);
    assert.equal(env.PATH, '/bin', 'the rest of the environment is passed on');
  });

  it('rtpengine without jemalloc: glibc with few arenas, nothing preloaded', () => {
    const env = rtpengineEnv({}, none);
    assert.equal(env.G_SLICE, 'always-malloc');
    assert.equal(env.LD_PRELOAD, undefined);
    assert.equal(env.MALLOC_CONF, undefined);
    assert.equal(env.MALLOC_ARENA_MAX, '2');
  });

  it('rtpengine: the operator\'s LD_PRELOAD, MALLOC_CONF and G_SLICE win', () => {
    const env = rtpengineEnv({ LD_PRELOAD: '/opt/tcmalloc.so', MALLOC_CONF: 'narenas:1', G_SLICE: 'debug-blocks' }, has);
    assert.equal(env.LD_PRELOAD, '/opt/tcmalloc.so');
    assert.equal(env.MALLOC_CONF, 'narenas:1');
    assert.equal(env.G_SLICE, 'debug-blocks');
  });

  it('redis-server: jemalloc (linked in by Debian) gets a decay; the operator\'s MALLOC_CONF wins', () => {
    const env = redisEnv({ HOME: '/home/x' });
    assert.match(env.MALLOC_CONF ?? '', /dirty_decay_ms:\d+/);
    assert.equal(env.HOME, '/home/x');
    assert.equal(env.LD_PRELOAD, undefined, 'redis links its own jemalloc: nothing to preload');
    assert.equal(redisEnv({ MALLOC_CONF: 'narenas:1' }).MALLOC_CONF, 'narenas:1');
  });
});
