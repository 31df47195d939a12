import type { CallActivity } from './pidf';

const RANK: Record<CallActivity, number> = { idle: 0, ringing: 1, 'on-the-phone': 2 };

/** The busier of two activities: a user on the phone on one instance and ringing on another is on the phone. */
export function busiest(a: CallActivity, b: CallActivity): CallActivity {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Users' call activity on other instances (issue 19 item 6: a call through one instance
 * shows in the PIDF watchers on another get), learned from their activityChanged bus
 * events. Only users not idle are kept; an instance that died leaves its entries until
 * `sweep` finds it gone (its calls died with it, or were taken over and are announced
 * again by the new owner). Bounded: past `max` entries the one heard of longest ago goes.
 */
export class RemoteActivity {
  /** `tenant~user` NUL instance -> activity, least recently heard first */
  private readonly entries = new Map<string, { tenant: string; user: string; from: string; activity: CallActivity }>();
  /** tenant~user -> keys of its entries */
  private readonly byUser = new Map<string, Set<string>>();

  constructor(private readonly self: string, private readonly max = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  heard(e: { from: string; tenant: string; user: string; activity: CallActivity }): void {
    if (e.from === this.self) return; // this instance's own calls are read from the call manager
    const group = `${e.tenant}~${e.user}`;
    const key = `${group}\u0000${e.from}`;
    this.remove(key);
    if (e.activity === 'idle') return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.remove(oldest);
    }
    this.entries.set(key, { tenant: e.tenant, user: e.user, from: e.from, activity: e.activity });
    const keys = this.byUser.get(group) ?? new Set<string>();
    keys.add(key);
    this.byUser.set(group, keys);
  }

  /** The user's busiest activity on any other instance. */
  get(tenant: string, user: string): CallActivity {
    let out: CallActivity = 'idle';
    for (const key of this.byUser.get(`${tenant}~${user}`) ?? []) {
      const e = this.entries.get(key);
      if (e) out = busiest(out, e.activity);
    }
    return out;
  }

  /** Drops the entries of every instance `alive` says is gone; returns the users whose activity that changed. */
  async sweep(alive: (instance: string) => Promise<boolean>): Promise<Array<{ tenant: string; user: string }>> {
    const instances = new Set([...this.entries.values()].map((e) => e.from));
    const gone = new Set<string>();
    for (const i of instances) if (!(await alive(i))) gone.add(i);
    const changed: Array<{ tenant: string; user: string }> = [];
    for (const [key, e] of [...this.entries]) {
      if (!gone.has(e.from)) continue;
      this.remove(key);
      changed.push({ tenant: e.tenant, user: e.user });
    }
    return changed;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    const group = `${e.tenant}~${e.user}`;
    const keys = this.byUser.get(group);
    keys?.delete(key);
    if (keys?.size === 0) this.byUser.delete(group);
  }
}
