import fs from 'node:fs';

/*
 * The C allocator of the processes we start: the SIP engine, rtpengine, redis-server.
 *
 * Issue #13: after 200,000 fuzzed datagrams each of them kept memory it had freed
 * resident. glibc's main arena (brk heap, fragmented) gives little back, glib's slice
 * allocator never returns its magazines, and jemalloc without a decay purges late.
 * jemalloc with a background thread returns unused pages on a timer whether or not the
 * process allocates again. Everything here is a default: an operator's LD_PRELOAD,
 * MALLOC_CONF or G_SLICE wins (the caller's environment is spread over ours).
 */

type Env = Record<string, string | undefined>;

/** Where Debian's libjemalloc2 (and other distributions' jemalloc) puts the library. */
export const JEMALLOC_PATHS = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2', '/usr/lib/libjemalloc.so.2'];

/** jemalloc returns dirty pages after 5 s from a background thread, and does not keep them muzzy. */
export const JEMALLOC_DECAY = 'background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0';

/** The jemalloc shared library of this system, if it has one. */
export function findJemalloc(exists: (p: string) => boolean = fs.existsSync): string | undefined {
  return JEMALLOC_PATHS.find((p) => exists(p));
}

/**
 * The environment that picks the engine's C allocator (a Node process). Measured with
 * bench:abuse: glibc's main arena kept 55-68 MB of the engine's freed message buffers
 * (MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_ did not give it back) while V8's
 * heap was back at its baseline. Without jemalloc: two glibc arenas, not eight per core.
 */
export function allocatorEnv(allocator: 'jemalloc' | 'system' = 'jemalloc', exists: (p: string) => boolean = fs.existsSync): Record<string, string> {
  const lib = allocator === 'jemalloc' ? findJemalloc(exists) : undefined;
  if (!lib) return { MALLOC_ARENA_MAX: '2' };
  return { LD_PRELOAD: lib, MALLOC_CONF: JEMALLOC_DECAY };
}

/**
 * rtpengine's environment. It is a glib program: G_SLICE=always-malloc makes g_slice
 * (used by glib's lists, hash tables and rtpengine's own objects on older glib) a plain
 * malloc, so freed call state goes back to the allocator instead of slice magazines that
 * are never released; jemalloc (preloaded where present) then returns it to the system.
 */
export function rtpengineEnv(base: Env = process.env, exists: (p: string) => boolean = fs.existsSync): Env {
  return { G_SLICE: 'always-malloc', ...allocatorEnv('jemalloc', exists), ...base };
}

/**
 * redis-server's environment. Debian builds it against the system's libjemalloc
 * (`redis-server --version` says malloc=jemalloc-5.3.0; no je_ prefix, so jemalloc reads
 * MALLOC_CONF). `activedefrag` needs the jemalloc redis bundles and stops Debian's
 * redis-server at start, so the decay is the only lever: freed keys (expired nonces,
 * counters, bans) go back to the system within seconds.
 */
export function redisEnv(base: Env = process.env): Env {
  return { MALLOC_CONF: JEMALLOC_DECAY, ...base };
}
