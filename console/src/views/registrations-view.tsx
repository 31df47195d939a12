import { useLiveList } from '../live-hub';
import { registrationRows, REGISTRATIONS_MIN_GAP_MS, REGISTRATIONS_REFRESH_MS, REGISTRATIONS_TOPICS, type RegistrationsView as RegistrationsList } from '../model/registrations-model';
import type { PanelProps } from './pickup-view';

/**
 * The tenant's registered phones (GET /v1/tenants/{d}/registrations): fetched on
 * connecting, on `registration.changed` and, for bindings that expire, every 30 s.
 */
export function RegistrationsView(props: Omit<PanelProps, 'run'>) {
  const t = encodeURIComponent(props.tenant);
  const [list, refresh] = useLiveList(props.hub, REGISTRATIONS_TOPICS, () => props.api.call<RegistrationsList>('GET', `/v1/tenants/${t}/registrations`),
    props.failed, { pollMs: REGISTRATIONS_REFRESH_MS, minGapMs: REGISTRATIONS_MIN_GAP_MS, key: props.tenant });
  if (!props.tenant) return null;
  const { rows, total, truncated } = registrationRows(list, props.now);
  return (
    <section aria-labelledby="registrations-title">
      <h2 id="registrations-title">Registrations <span class="count" id="registrations-count">{total}</span>
        <button class="refresh" title="follows REGISTERs; expiries every 30 s" onClick={refresh}>Refresh</button></h2>
      <table class="registrations">
        <thead><tr><th>User</th><th>Contact</th><th>Expires in</th><th>From</th><th>User agent</th></tr></thead>
        <tbody>
          {rows.length === 0 && <tr><td colSpan={5} class="empty">No registered phone</td></tr>}
          {rows.map((r) => (
            <tr key={r.key} data-user={r.user}>
              <td class="user">{r.user}</td>
              <td class="contact">{r.contact}</td>
              <td class="expires">{r.expiresIn}</td>
              <td class="received">{r.received}</td>
              <td class="ua">{r.userAgent}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {truncated && <p class="empty">Showing the first {rows.length} of {total} bindings.</p>}
    </section>
  );
}
