import { useState } from 'preact/hooks';
import type { CallRow } from '../model/calls-model';

export interface CallActions {
  hangup(id: string): void;
  hold(id: string): void;
  resume(id: string): void;
  park(id: string, party: 'caller' | 'callee'): void;
}

/** The live calls list; hanging up asks for confirmation in the row itself. */
export function CallsView(props: { rows: CallRow[]; actions: CallActions }) {
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  return (
    <section aria-labelledby="calls-title">
      <h2 id="calls-title">Live calls <span class="count">{props.rows.length}</span></h2>
      <table class="calls">
        <thead><tr><th>Caller</th><th>Callee</th><th>State</th><th>Duration</th><th>Hold</th><th>Instance</th><th>Actions</th></tr></thead>
        <tbody>
          {props.rows.length === 0 && <tr><td colSpan={7} class="empty">No live calls</td></tr>}
          {props.rows.map((r) => (
            <tr key={r.id} data-call={r.id} class={r.onHold ? 'held' : ''}>
              <td class="caller">{r.caller}</td>
              <td class="callee">{r.callee}</td>
              <td class="state">{r.state}</td>
              <td class="duration">{r.duration}</td>
              <td class="hold">{r.hold}</td>
              <td class="instance">{r.instance}</td>
              <td class="actions">
                {r.canHold && (r.onHold
                  ? <button class="resume" onClick={() => props.actions.resume(r.id)}>Resume</button>
                  : <button class="hold" title="the caller hears music" onClick={() => props.actions.hold(r.id)}>Hold</button>)}
                {r.canPark && <button class="park-caller" onClick={() => props.actions.park(r.id, 'caller')}>Park caller</button>}
                {r.canPark && <button class="park-callee" onClick={() => props.actions.park(r.id, 'callee')}>Park callee</button>}
                {confirming === r.id
                  ? <span class="confirm" role="group" aria-label="confirm hang-up">
                      Hang up?{' '}
                      <button class="hangup-yes danger" onClick={() => { setConfirming(undefined); props.actions.hangup(r.id); }}>Yes, hang up</button>
                      <button class="hangup-no" onClick={() => setConfirming(undefined)}>No</button>
                    </span>
                  : <button class="hangup danger" onClick={() => setConfirming(r.id)}>Hang up</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
