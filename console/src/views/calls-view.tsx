import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallsModel } from '../model/calls-model';
import { windowRange } from '../model/window-range';
import { ConfirmButton } from './confirm-button';

export interface CallActions {
  hangup(id: string): void;
  hold(id: string): void;
  resume(id: string): void;
  park(id: string, party: 'caller' | 'callee'): void;
}

/** Every row is this tall (console.css says the same), so which rows are in view is arithmetic. */
export const ROW_HEIGHT = 36;

export interface CallsViewProps {
  model: CallsModel;
  now: number;
  /** the slot of each parked call, by call id */
  parked: ReadonlyMap<string, string>;
  actions: CallActions;
  /** the call whose panel is open */
  selected?: string;
  select(id: string): void;
  /** every row in the DOM, not only those in view (`?rows=all`: the comparison of `npm run bench:console`) */
  allRows?: boolean;
}

/**
 * The live calls list, windowed: only the rows in view (and a few either side) are in
 * the DOM, the others are padding of their height, so 2,000 calls cost what 20 do.
 * Hanging up asks for confirmation in the row itself; clicking a row opens its panel.
 */
export function CallsView(props: CallsViewProps) {
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const seen = new ResizeObserver(() => setViewport(el.clientHeight));
    seen.observe(el);
    setViewport(el.clientHeight);
    return () => seen.disconnect();
  }, []);

  const total = props.model.size;
  const range = props.allRows
    ? { first: 0, last: total, padTop: 0, padBottom: 0 }
    : windowRange(total, ROW_HEIGHT, scrollTop, viewport);
  const rows = props.model.rowsIn(range.first, range.last, props.now, props.parked);
  const open = (e: Event, id: string): void => {
    // a button or form in the row does its own thing
    if ((e.target as HTMLElement).closest('button, input, select, form')) return;
    props.select(id);
  };
  return (
    <section aria-labelledby="calls-title">
      <h2 id="calls-title">Live calls <span class="count">{total}</span></h2>
      <div class="calls-scroll" ref={box} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <table class="calls">
          <colgroup><col class="c-party" /><col class="c-party" /><col class="c-state" /><col class="c-time" /><col class="c-hold" /><col class="c-instance" /><col class="c-actions" /></colgroup>
          <thead><tr><th>Caller</th><th>Callee</th><th>State</th><th>Duration</th><th>Hold</th><th>Instance</th><th>Actions</th></tr></thead>
          <tbody>
            {total === 0 && <tr><td colSpan={7} class="empty">No live calls</td></tr>}
            {range.padTop > 0 && <tr class="pad" aria-hidden="true" style={{ height: `${range.padTop}px` }}><td colSpan={7} /></tr>}
            {rows.map((r) => (
              <tr key={r.id} data-call={r.id} tabIndex={0} aria-selected={props.selected === r.id}
                class={`${r.onHold ? 'held' : ''}${props.selected === r.id ? ' selected' : ''}`}
                aria-label={`call from ${r.caller} to ${r.callee}, ${r.state}`}
                onClick={(e) => open(e, r.id)} onKeyDown={(e) => { if (e.key === 'Enter') open(e, r.id); }}>
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
                  <ConfirmButton class="hangup" label="Hang up" groupLabel="confirm hang-up" question="Hang up?" yes="Yes, hang up"
                    onYes={() => props.actions.hangup(r.id)} />
                </td>
              </tr>
            ))}
            {range.padBottom > 0 && <tr class="pad" aria-hidden="true" style={{ height: `${range.padBottom}px` }}><td colSpan={7} /></tr>}
          </tbody>
        </table>
      </div>
    </section>
  );
}
