import { useState } from 'preact/hooks';
import type { ApiClient } from '../api';
import { useLiveList, type LiveHub } from '../live-hub';
import { pickupGroups, type RingingListView } from '../model/pickup-model';

export interface PanelProps {
  api: ApiClient;
  tenant: string;
  hub: LiveHub;
  now: number;
  /** runs an operator's action; a failure shows the API's message and code */
  run(p: Promise<unknown>): void;
  /** a background fetch failed */
  failed(err: unknown): void;
}

/**
 * Ringing calls per pickup group (GET /v1/tenants/{d}/ringing), refreshed on each
 * `pickup.ringing-changed`; *Pick up* rings the named user's phones (POST /v1/pickup,
 * directed at the call's callee).
 */
export function PickupView(props: PanelProps) {
  const t = encodeURIComponent(props.tenant);
  const [list] = useLiveList(props.hub, ['pickup.ringing-changed'],
    () => props.api.call<RingingListView>('GET', `/v1/tenants/${t}/ringing`), props.failed, { key: props.tenant });
  const [by, setBy] = useState<Record<string, string>>({});
  if (!props.tenant) return null;
  const groups = pickupGroups(list, props.now);
  return (
    <section aria-labelledby="pickup-title">
      <h2 id="pickup-title">Ringing in pickup groups</h2>
      {groups.length === 0 && <p class="empty" id="pickup-empty">Nothing is ringing in a pickup group.</p>}
      {groups.map((g) => (
        <div key={g.group} class="pickup-group" data-group={g.group}>
          <h3>{g.group} <span class="count">{g.calls.length}</span></h3>
          <table class="ringing">
            <thead><tr><th>Caller</th><th>Ringing at</th><th>For</th><th>Pick up</th></tr></thead>
            <tbody>
              {g.calls.map((c) => {
                const k = `${g.group} ${c.callId}`;
                return (
                  <tr key={c.callId} data-ringing={c.callId}>
                    <td class="caller">{c.caller}</td>
                    <td class="callee">{c.callee}</td>
                    <td class="ringing-for">{c.ringing}</td>
                    <td>
                      <form class="pickup" onSubmit={(e) => {
                        e.preventDefault();
                        const user = (by[k] ?? '').trim();
                        if (user) props.run(props.api.call('POST', '/v1/pickup', { tenant: props.tenant, by: user, target: c.callee }));
                      }}>
                        <input aria-label={`pick up the call to ${c.callee} for user`} placeholder="for user" value={by[k] ?? ''}
                          onInput={(e) => setBy({ ...by, [k]: e.currentTarget.value })} />
                        <button type="submit">Pick up</button>
                      </form>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
