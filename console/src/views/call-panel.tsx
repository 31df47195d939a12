import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallView } from '../model/calls-model';
import { useQuestionFocus } from './confirm-button';

type Party = 'caller' | 'callee';
type Action = 'park' | 'blind' | 'attended';

export interface TransferRequest {
  /** the transferee: the party that stays */
  party: Party;
  to?: string;
  toCall?: string;
}

export interface CallPanelProps {
  id: string;
  /** the call now; undefined once it ended */
  call: CallView | undefined;
  /** the slot it is parked in, if it is */
  parkedAt?: string;
  /** the free slots of the tenant's lot (empty: no lot shown; the slot is typed) */
  freeSlots: string[];
  /** other live calls matching what the operator typed (the attended-transfer target) */
  otherCalls(query: string): CallView[];
  park(party: Party, slot: string): Promise<{ slot: string }>;
  transfer(req: TransferRequest): Promise<unknown>;
  close(): void;
}

const SLOT = /^[0-9]{1,8}$/;
const USER = /^[A-Za-z0-9_.!~*'()&=+$,;?/%-]{1,128}$/;

/**
 * The actions on one call (issue 20): park a party into a slot the operator picks, blind
 * transfer to a user, attended transfer to the far party of another call. Each asks for
 * confirmation, then shows what the API answered: the slot, or its message and code.
 */
export function CallPanel(props: CallPanelProps) {
  const [action, setAction] = useState<Action>('park');
  const [parkParty, setParkParty] = useState<Party>('callee');
  const [slot, setSlot] = useState('');
  const [keep, setKeep] = useState<Party>('caller');
  const [to, setTo] = useState('');
  const [query, setQuery] = useState('');
  const [toCall, setToCall] = useState('');
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const title = useRef<HTMLHeadingElement>(null);
  // another call: everything starts afresh, and the focus comes to the panel (a keyboard
  // user who opened it with Enter on a row goes on from here)
  useEffect(() => {
    setConfirming(undefined);
    setResult(undefined);
    setError(undefined);
    setToCall('');
    title.current?.focus();
  }, [props.id]);
  // the question takes the focus on its safe answer; No (or Escape) gives it back to the submit button
  const { no, asker: submit, answeredNo } = useQuestionFocus(confirming !== undefined);
  const cancel = (): void => {
    answeredNo();
    setConfirming(undefined);
  };

  const c = props.call;
  const slotChosen = slot || props.freeSlots[0] || '';
  const candidates = c ? props.otherCalls(query).filter((o) => o.id !== c.id && o.tenant === c.tenant).slice(0, 20) : [];
  const target = toCall || candidates[0]?.id || '';
  const name = (p: Party): string => (c ? `${p} ${c[p].user}` : p);
  const other = (p: Party): Party => (p === 'caller' ? 'callee' : 'caller');

  /** What the chosen action would do, in words, or why it cannot be asked yet. */
  const plan = (): { ok: boolean; text: string } => {
    if (!c) return { ok: false, text: 'the call ended' };
    if (c.state !== 'answered') return { ok: false, text: 'only an answered call can be parked or transferred' };
    if (props.parkedAt !== undefined) return { ok: false, text: `parked at ${props.parkedAt}: retrieve it from the park lot` };
    if (action === 'park') {
      if (!SLOT.test(slotChosen)) return { ok: false, text: 'choose a slot' };
      return { ok: true, text: `Park ${name(parkParty)} in slot ${slotChosen}? ${name(other(parkParty))} is released.` };
    }
    if (action === 'blind') {
      if (!USER.test(to.trim())) return { ok: false, text: 'name the user to transfer to' };
      return { ok: true, text: `Transfer ${name(keep)} to ${to.trim()}? ${name(other(keep))} is released when ${to.trim()} answers.` };
    }
    const t = candidates.find((o) => o.id === target);
    if (!t) return { ok: false, text: 'choose the other call' };
    return { ok: true, text: `Join ${name(keep)} with the other party of the call ${t.caller.user} → ${t.callee.user}? ${name(other(keep))} is released.` };
  };
  const p = plan();

  const run = (): void => {
    setConfirming(undefined);
    setPending(true);
    setError(undefined);
    setResult(undefined);
    const done = action === 'park'
      ? props.park(parkParty, slotChosen).then((r) => `Parked in slot ${r.slot}.`)
      : props.transfer(action === 'blind' ? { party: keep, to: to.trim() } : { party: keep, toCall: target }).then(() => 'Transferred.');
    done.then(setResult, (err: Error) => setError(err.message)).finally(() => setPending(false));
  };

  return (
    <aside id="call-panel" class="call-panel" aria-labelledby="call-panel-title"
      onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); if (confirming !== undefined) cancel(); else props.close(); } }}>
      <header>
        <h2 id="call-panel-title" tabIndex={-1} ref={title}>{c ? `${c.caller.user} → ${c.callee.user}` : 'Call ended'}</h2>
        <button id="panel-close" aria-label="close the call panel" onClick={props.close}>×</button>
      </header>
      <p class="panel-call">{c ? `${c.state}${props.parkedAt !== undefined ? `, parked at ${props.parkedAt}` : ''} · ${c.tenant}` : 'This call is over.'}</p>
      <div class="panel-tabs" role="tablist">
        {(['park', 'blind', 'attended'] as const).map((a) => (
          <button key={a} role="tab" id={`panel-tab-${a}`} aria-selected={action === a} class={action === a ? 'active' : ''}
            onClick={() => { setAction(a); setConfirming(undefined); }}>
            {a === 'park' ? 'Park' : a === 'blind' ? 'Blind transfer' : 'Attended transfer'}
          </button>
        ))}
      </div>
      <form class="panel-form" onSubmit={(e) => { e.preventDefault(); if (p.ok && !pending) setConfirming(p.text); }}>
        {action === 'park' && <>
          <label>Park <select id="panel-park-party" value={parkParty} onChange={(e) => setParkParty(e.currentTarget.value as Party)}>
            <option value="callee">the callee{c ? ` (${c.callee.user})` : ''}</option>
            <option value="caller">the caller{c ? ` (${c.caller.user})` : ''}</option>
          </select></label>
          <label>in slot {props.freeSlots.length > 0
            ? <select id="panel-park-slot" value={slotChosen} onChange={(e) => setSlot(e.currentTarget.value)}>
                {props.freeSlots.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            : <input id="panel-park-slot" inputMode="numeric" maxLength={8} placeholder="701" value={slot} onInput={(e) => setSlot(e.currentTarget.value.trim())} />}
          </label>
        </>}
        {action !== 'park' && <label>Keep <select id="panel-keep" value={keep} onChange={(e) => setKeep(e.currentTarget.value as Party)}>
          <option value="caller">the caller{c ? ` (${c.caller.user})` : ''}</option>
          <option value="callee">the callee{c ? ` (${c.callee.user})` : ''}</option>
        </select></label>}
        {action === 'blind' && <label>and connect to user <input id="panel-blind-to" maxLength={128} placeholder="1002" value={to} onInput={(e) => setTo(e.currentTarget.value)} /></label>}
        {action === 'attended' && <>
          <label>Find the other call <input id="panel-attended-find" maxLength={64} placeholder="user or call id" value={query} onInput={(e) => { setQuery(e.currentTarget.value); setToCall(''); }} /></label>
          <label>and join with <select id="panel-attended-call" value={target} onChange={(e) => setToCall(e.currentTarget.value)}>
            {candidates.length === 0 && <option value="">no other call matches</option>}
            {candidates.map((o) => <option key={o.id} value={o.id}>{o.caller.user} → {o.callee.user}</option>)}
          </select></label>
        </>}
        <button id="panel-submit" ref={submit} type="submit" disabled={!p.ok || pending}>
          {action === 'park' ? 'Park…' : 'Transfer…'}
        </button>
        {!p.ok && <span class="panel-hint">{p.text}</span>}
      </form>
      {confirming !== undefined && <div class="panel-confirm" role="group" aria-label="confirm">
        <span>{confirming}</span>
        <button id="panel-yes" class="danger" onClick={run}>Yes</button>
        <button id="panel-no" ref={no} onClick={cancel}>No</button>
      </div>}
      {pending && <p class="panel-pending" id="panel-pending">{action === 'park' ? 'Parking…' : 'Transferring: the target is ringing…'}</p>}
      {result && <p class="panel-result" id="panel-result" role="status">{result}</p>}
      {error && <p class="error" id="panel-error" role="alert">{error}</p>}
    </aside>
  );
}
