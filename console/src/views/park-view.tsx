import { useState } from 'preact/hooks';
import type { SlotCell } from '../model/park-model';

/** The park lot as a grid of slots: who is parked, the countdown to the timeout, retrieve to a user. */
export function ParkView(props: { tenant: string; cells: SlotCell[]; retrieve(slot: string, to: string): void }) {
  const [to, setTo] = useState<Record<string, string>>({});
  if (!props.tenant) return <section><h2>Park lot</h2><p class="empty">Log in with a tenant to see its park lot.</p></section>;
  return (
    <section aria-labelledby="park-title">
      <h2 id="park-title">Park lot of {props.tenant}</h2>
      <ul class="park-grid">
        {props.cells.map((c) => (
          <li key={c.slot} data-slot={c.slot} class={`slot${c.occupied ? ' occupied' : ''}${c.expiring ? ' expiring' : ''}`}>
            <div class="slot-number">{c.slot}</div>
            {c.occupied
              ? <>
                  <div class="parked">{c.parked}</div>
                  <div class="parker">by {c.parker}</div>
                  <div class="countdown" aria-label="time left">{c.retrieving ? 'retrieving' : c.countdown}</div>
                  <form class="retrieve" onSubmit={(e) => {
                    e.preventDefault();
                    const user = (to[c.slot] ?? '').trim();
                    if (user) props.retrieve(c.slot, user);
                  }}>
                    <input aria-label={`retrieve slot ${c.slot} to user`} placeholder="to user" value={to[c.slot] ?? ''}
                      onInput={(e) => setTo({ ...to, [c.slot]: e.currentTarget.value })} />
                    <button type="submit">Retrieve</button>
                  </form>
                </>
              : <div class="free">free</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
