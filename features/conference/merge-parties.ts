import type { Call, Side } from '../../lib/calls';

/**
 * Waits for every move of a merge (none is left running behind a failure): what succeeded,
 * and the first failure if any, so the merge can undo the rest.
 */
export async function settled<T>(moves: Array<Promise<T>>): Promise<{ ok: T[]; failed?: unknown }> {
  const results = await Promise.allSettled(moves);
  const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value as T);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  return failed ? { ok, failed: failed.reason } : { ok };
}

/** The party two calls share, and its side in each. */
export function shared(a: Call, b: Call): { user: string; inA: Side; inB: Side } | undefined {
  for (const inA of ['caller', 'callee'] as Side[]) {
    for (const inB of ['caller', 'callee'] as Side[]) {
      if (a[inA].user === b[inB].user && a.dialog(inA) && b.dialog(inB)) return { user: a[inA].user, inA, inB };
    }
  }
  return undefined;
}
