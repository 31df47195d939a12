import type { Logger } from 'winston';
import type { ConferenceRecord, ConferenceStore } from './conference-store';

export interface ConferenceDirectoryDeps {
  store: ConferenceStore;
  /** this instance: its own conferences are read from memory, not from here */
  instanceId: string;
  /** whether an instance is running (RequestBus.alive) */
  alive(instanceId: string): Promise<boolean>;
  logger: Logger;
}

/**
 * The conferences other instances run, as their owners saved them in Redis: listed by
 * GET /v1/conferences on every instance, and where a REST request about one is sent.
 * A record whose owner is no longer running is no conference (its bridge went with it)
 * and is removed.
 */
export class ConferenceDirectory {
  constructor(private readonly deps: ConferenceDirectoryDeps) {}

  async elsewhere(): Promise<ConferenceRecord[]> {
    const records = (await this.deps.store.list()).filter((r) => r.instanceId && r.instanceId !== this.deps.instanceId);
    const running = new Map<string, Promise<boolean>>();
    const up = await Promise.all(records.map((r) => {
      const owner = r.instanceId!;
      let p = running.get(owner);
      if (!p) running.set(owner, (p = this.deps.alive(owner)));
      return p;
    }));
    for (const r of records.filter((_, i) => !up[i])) {
      this.deps.store.remove(r.tenant, r.id).catch((err: Error) =>
        this.deps.logger.warn('record of a conference of a gone instance not removed', { conference: r.id, instance: r.instanceId, error: err.message }));
    }
    return records.filter((_, i) => up[i]);
  }

  /** The conference `id` if another running instance has it. */
  async find(id: string): Promise<ConferenceRecord | undefined> {
    return (await this.elsewhere()).find((r) => r.id === id);
  }
}
