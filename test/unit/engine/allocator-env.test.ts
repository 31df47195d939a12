import assert from 'node:assert/strict';
import { allocatorEnv } from '../../../lib/runtime/engine-launcher';

describe('the engine\'s C allocator (issue #13: RSS back near its baseline after fuzzing)', () => {
  it('preloads jemalloc where the system has it, returning free pages on a timer', () => {
    const env = allocatorEnv('jemalloc', (p) => p === '/usr/lib64/libjemalloc.so.2');
    assert.equal(env.LD_PRELOAD, '/usr/lib64/libjemalloc.so.2');
    assert.match(env.MALLOC_CONF, /background_thread:true/);
    assert.equal(env.MALLOC_ARENA_MAX, undefined);
  });

  it('falls back to glibc with two arenas when jemalloc is missing or not wanted', () => {
    assert.deepEqual(allocatorEnv('jemalloc', () => false), { MALLOC_ARENA_MAX: '2' });
    assert.deepEqual(allocatorEnv('system', () => true), { MALLOC_ARENA_MAX: '2' });
  });
});
