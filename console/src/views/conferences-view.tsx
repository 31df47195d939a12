import { useEffect, useMemo, useState } from 'preact/hooks';
import { coalesced } from '../model/coalesce';
import { ConferencesModel, mergePairs, type ConferenceChangeView, type ConferenceView, type MergeableCall } from '../model/conference-model';
import { ConfirmButton } from './confirm-button';
import type { PanelProps } from './pickup-view';

/**
 * Conferences with their members and who is held, kept from `conference.changed` events
 * after one GET /v1/conferences per connection. Merge two calls sharing a party, add a
 * member (rings a user), remove a member and end, each asking for confirmation first
 * where it hangs someone up.
 */
export function ConferencesView(props: PanelProps & { calls: MergeableCall[] }) {
  const model = useMemo(() => new ConferencesModel(), []);
  const [, setVersion] = useState(0);
  const [to, setTo] = useState<Record<string, string>>({});
  const [pair, setPair] = useState('');
  useEffect(() => {
    const q = props.tenant ? `?tenant=${encodeURIComponent(props.tenant)}` : '';
    const load = coalesced(async () => {
      model.reset((await props.api.call<{ conferences: ConferenceView[] }>('GET', `/v1/conferences${q}`)).conferences);
      setVersion((v) => v + 1);
    });
    const run = (): void => void load().catch(props.failed);
    if (props.hub.live) run();
    return props.hub.on({
      onOpen: run,
      onEvent: (e) => {
        if (e.event !== 'conference.changed') return;
        model.apply(JSON.parse(e.data) as ConferenceChangeView);
        setVersion((v) => v + 1);
      },
    });
  }, [props.hub]);

  const id = encodeURIComponent;
  const pairs = mergePairs(props.calls);
  const chosen = pairs.find((p) => p.calls.join(' ') === pair) ?? pairs[0];
  const rows = model.rows(props.now);
  return (
    <section aria-labelledby="conferences-title">
      <h2 id="conferences-title">Conferences <span class="count">{rows.length}</span></h2>
      <form class="merge" onSubmit={(e) => {
        e.preventDefault();
        if (chosen) props.run(props.api.call('POST', '/v1/conferences', { calls: chosen.calls }));
      }}>
        <label>Merge calls{' '}
          <select id="merge-pair" value={chosen?.calls.join(' ') ?? ''} disabled={pairs.length === 0} onChange={(e) => setPair(e.currentTarget.value)}>
            {pairs.length === 0 && <option value="">no two answered calls share a party</option>}
            {pairs.map((p) => <option key={p.calls.join(' ')} value={p.calls.join(' ')}>{p.label}</option>)}
          </select>
        </label>
        <button id="merge" type="submit" disabled={!chosen}>Merge into a conference</button>
      </form>
      {rows.length === 0 && <p class="empty">No conference</p>}
      <ul class="conferences">
        {rows.map((c) => (
          <li key={c.id} class="conference" data-conference={c.id}>
            <div class="conference-head">
              <strong>Conference of {c.host}</strong> <span class="duration">{c.duration}</span> <span class="instance">{c.instance}</span>
              <ConfirmButton class="end" label="End" groupLabel="confirm ending the conference" question="End it for everyone?" yes="Yes, end"
                onYes={() => props.run(props.api.call('DELETE', `/v1/conferences/${id(c.id)}`))} />
            </div>
            <table class="members">
              <tbody>
                {c.members.map((m) => (
                  <tr key={m.id} data-member={m.id} data-user={m.user} class={m.held ? 'held' : ''}>
                    <td class="user">{m.user}{m.host && <span class="tag"> host</span>}</td>
                    <td class="hold">{m.held ? 'held' : ''}</td>
                    <td class="duration">{m.duration}</td>
                    <td class="actions">
                      <ConfirmButton class="remove" label="Remove" groupLabel="confirm removing the member" question={`Remove ${m.user}?`} yes="Yes, remove"
                        onYes={() => props.run(props.api.call('DELETE', `/v1/conferences/${id(c.id)}/members/${id(m.id)}`))} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {c.more > 0 && <p class="empty">and {c.more} more</p>}
            <form class="add-member" onSubmit={(e) => {
              e.preventDefault();
              const user = (to[c.id] ?? '').trim();
              if (user) props.run(props.api.call('POST', `/v1/conferences/${id(c.id)}/members`, { to: user }));
            }}>
              <input aria-label="add user to the conference" placeholder="user to add" value={to[c.id] ?? ''} onInput={(e) => setTo({ ...to, [c.id]: e.currentTarget.value })} />
              <button type="submit">Add member</button>
            </form>
          </li>
        ))}
      </ul>
    </section>
  );
}
