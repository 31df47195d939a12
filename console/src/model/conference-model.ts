import { formatDuration } from './format';

/** A conference as GET /v1/conferences lists it and `conference.changed` tells it (times in ms). */
export interface ConferenceView {
  id: string;
  tenant: string;
  host: string;
  createdAt: number;
  members: Array<{ id: string; user: string; joinedAt: number; held: boolean }>;
  /** how many members there are (an event lists the first 50) */
  memberCount?: number;
  instanceId?: string;
}

export interface ConferenceChangeView extends ConferenceView {
  change: 'changed' | 'ended';
}

export interface MemberRow {
  id: string;
  user: string;
  host: boolean;
  held: boolean;
  /** in the conference for, `m:ss` */
  duration: string;
}

export interface ConferenceRow {
  id: string;
  host: string;
  duration: string;
  members: MemberRow[];
  /** members the event did not list */
  more: number;
  instance: string;
}

/** The live conferences: a list fetched on connecting, kept current by change events (oldest first). */
export class ConferencesModel {
  private readonly conferences = new Map<string, ConferenceView>();

  reset(list: readonly ConferenceView[]): void {
    this.conferences.clear();
    for (const c of list) this.conferences.set(c.id, c);
  }

  apply(change: ConferenceChangeView): void {
    if (change.change === 'ended' || change.members.length === 0) {
      this.conferences.delete(change.id);
      return;
    }
    const { change: _change, ...conf } = change;
    this.conferences.set(conf.id, conf);
  }

  get size(): number {
    return this.conferences.size;
  }

  rows(now: number): ConferenceRow[] {
    return [...this.conferences.values()]
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((c) => ({
        id: c.id,
        host: c.host,
        duration: formatDuration(now - c.createdAt),
        members: [...c.members].sort((a, b) => a.joinedAt - b.joinedAt).map((m) => ({
          id: m.id, user: m.user, host: m.user === c.host, held: m.held, duration: formatDuration(now - m.joinedAt),
        })),
        more: Math.max(0, (c.memberCount ?? c.members.length) - c.members.length),
        instance: c.instanceId ?? '',
      }));
  }
}

/** A call the merge picker may offer: answered, and not parked. */
export interface MergeableCall {
  id: string;
  caller: string;
  callee: string;
}

export interface MergePair {
  calls: [string, string];
  /** e.g. 'alice with bob and carol' */
  label: string;
}

/** Pairs the picker offers at most (n calls make n(n-1)/2 pairs). */
export const MAX_MERGE_PAIRS = 20;

/** Pairs of calls that share a party, which POST /v1/conferences can merge (the shared party hosts). */
export function mergePairs(calls: readonly MergeableCall[]): MergePair[] {
  const out: MergePair[] = [];
  for (let i = 0; i < calls.length && out.length < MAX_MERGE_PAIRS; i++) {
    for (let j = i + 1; j < calls.length && out.length < MAX_MERGE_PAIRS; j++) {
      const a = calls[i];
      const b = calls[j];
      const host = [a.caller, a.callee].find((u) => u === b.caller || u === b.callee);
      if (host === undefined) continue;
      const other = (c: MergeableCall): string => (c.caller === host ? c.callee : c.caller);
      out.push({ calls: [a.id, b.id], label: `${host} with ${other(a)} and ${other(b)}` });
    }
  }
  return out;
}
