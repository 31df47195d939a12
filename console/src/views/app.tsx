import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, ApiFailure } from '../api';
import { keepLive } from '../live';
import { LiveHub } from '../live-hub';
import { CallsModel, type CallChangeView, type CallView } from '../model/calls-model';
import { FrameBatch } from '../model/frame-batch';
import { nextFrame } from '../next-frame';
import { parkGrid, type ParkedView, type ParkLotView } from '../model/park-model';
import { CallPanel } from './call-panel';
import { CallsView } from './calls-view';
import { ConferencesView } from './conferences-view';
import { Login } from './login';
import { Nav, usePage } from './nav';
import { ParkView } from './park-view';
import { PickupView } from './pickup-view';
import { RegistrationsView } from './registrations-view';
import { PlotsView } from './plots-view';
import { TenantPage } from './tenant-page';

/** sessionStorage: gone with the tab, never in a URL (issue 20) */
const TOKEN_KEY = 'console.token';
const TENANT_KEY = 'console.tenant';
/** `?rows=all`: every call row in the DOM, not a window (the comparison `npm run bench:console` measures) */
const ALL_ROWS = new URLSearchParams(location.search).get('rows') === 'all';

export function App() {
  const [token, setToken] = useState(sessionStorage.getItem(TOKEN_KEY) ?? '');
  const [tenant, setTenant] = useState(sessionStorage.getItem(TENANT_KEY) ?? '');
  const [loginError, setLoginError] = useState<string | undefined>(undefined);
  if (!token) {
    return <Login error={loginError} onLogin={(t, ten) => {
      sessionStorage.setItem(TOKEN_KEY, t);
      sessionStorage.setItem(TENANT_KEY, ten);
      setLoginError(undefined);
      setTenant(ten);
      setToken(t);
    }} />;
  }
  const logout = (why?: string): void => {
    sessionStorage.removeItem(TOKEN_KEY);
    setLoginError(why);
    setToken('');
  };
  return <Console token={token} tenant={tenant} logout={logout} />;
}

function Console(props: { token: string; tenant: string; logout(why?: string): void }) {
  const api = useMemo(() => new ApiClient(props.token), [props.token]);
  const calls = useMemo(() => new CallsModel(), []);
  const hub = useMemo(() => new LiveHub(), []);
  const [now, setNow] = useState(Date.now());
  const [, setVersion] = useState(0);
  const [lot, setLot] = useState<ParkLotView | undefined>(undefined);
  const [parks, setParks] = useState<ParkedView[]>([]);
  const [status, setStatus] = useState('connecting');
  const [error, setError] = useState<string | undefined>(undefined);
  const bump = (): void => setVersion((v) => v + 1);
  // issue 20: call events are applied once per frame, however many arrive
  const batch = useMemo(() => new FrameBatch<CallChangeView>((changes) => {
    for (const c of changes) calls.apply(c);
    bump();
  }, nextFrame), []);
  const [selected, setSelected] = useState<string | undefined>(undefined);

  const failed = (err: unknown): void => {
    if (err instanceof ApiFailure && err.status === 401) props.logout('The token was refused.');
    else setError((err as Error).message);
  };
  const refreshParks = async (): Promise<void> => {
    if (!props.tenant) return;
    const t = encodeURIComponent(props.tenant);
    setLot(await api.call<ParkLotView>('GET', `/v1/tenants/${t}/park`));
    setParks((await api.call<{ parks: ParkedView[] }>('GET', `/v1/parks?tenant=${t}`)).parks);
  };
  const refreshCalls = async (): Promise<void> => {
    const list = (await api.call<{ calls: CallView[] }>('GET', '/v1/calls')).calls;
    // the fetched list replaces what the events before it said (as they were applied before it)
    batch.clear();
    calls.reset(list);
    bump();
  };

  useEffect(() => {
    const stop = keepLive(api, {
      onOpen: () => {
        setStatus('live');
        refreshCalls().catch(failed);
        refreshParks().catch(failed);
        hub.open();
      },
      onEvent: (e) => {
        if (e.event === 'call') {
          batch.push(JSON.parse(e.data) as CallChangeView);
        } else if (e.event === 'park.slot-changed' || e.event === 'park.lot-changed') {
          refreshParks().catch(failed);
        }
        hub.event(e);
      },
      onDown: (why) => { hub.down(); setStatus(`reconnecting (${why})`); },
      onRefused: () => props.logout('The token was refused.'),
    });
    // durations and countdowns move each second; the data itself comes from the events
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop();
      batch.clear();
      clearInterval(tick);
    };
  }, [api]);

  const act = (p: Promise<unknown>): void => {
    setError(undefined);
    p.catch(failed);
  };
  const id = encodeURIComponent;
  /** a panel's request: a refused token logs out, any failure is the panel's to show */
  const guard = <T,>(p: Promise<T>): Promise<T> => p.catch((err: unknown) => {
    if (err instanceof ApiFailure && err.status === 401) props.logout('The token was refused.');
    throw err;
  });
  const parked = new Map(parks.map((p) => [p.callId, p.slot]));
  const cells = lot ? parkGrid(lot, parks, now) : [];
  const page = usePage();
  // back on the live page: the lot may have been changed on the tenant page meanwhile
  useEffect(() => {
    if (page === 'live') refreshParks().catch(failed);
  }, [page]);
  return (
    <main>
      <header>
        <h1>Operator console</h1>
        <span class={`status ${status === 'live' ? 'live' : 'down'}`} id="status">{status}</span>
        <button id="logout" onClick={() => props.logout()}>Log out</button>
      </header>
      <Nav page={page} />
      {page === 'tenant' && <TenantPage api={api} tenant={props.tenant} onRefused={() => props.logout('The token was refused.')} />}
      {page === 'live' && <>
      {error && <p class="error" role="alert" id="error">{error}<button class="dismiss" aria-label="dismiss" onClick={() => setError(undefined)}>×</button></p>}
      <CallsView model={calls} now={now} parked={parked}
        selected={selected} select={setSelected} allRows={ALL_ROWS} actions={{
        hangup: (c) => act(api.call('DELETE', `/v1/calls/${id(c)}`)),
        hold: (c) => act(api.call('POST', `/v1/calls/${id(c)}/hold`, { party: 'caller' })),
        resume: (c) => act(api.call('POST', `/v1/calls/${id(c)}/resume`)),
        park: (c, party) => act(api.call('POST', `/v1/calls/${id(c)}/park`, { party })),
      }} />
      {selected && <CallPanel id={selected} call={calls.get(selected)} parkedAt={parked.get(selected)}
        freeSlots={cells.filter((c) => !c.occupied).map((c) => c.slot)}
        otherCalls={(q) => calls.find(matching(q), 200)} close={() => {
          // the focus goes back to the call's row (if it is still listed and in view)
          const row = document.querySelector<HTMLElement>(`tr[data-call="${CSS.escape(selected)}"]`);
          setSelected(undefined);
          row?.focus();
        }}
        park={(party, slot) => guard(api.call<{ slot: string }>('POST', `/v1/calls/${id(selected)}/park`, { party, slot }))}
        transfer={(body) => guard(api.call('POST', `/v1/calls/${id(selected)}/transfer`, body))} />}
      <ParkView tenant={props.tenant} cells={cells}
        retrieve={(slot, to) => act(api.call('POST', `/v1/parks/${id(slot)}/retrieve`, { tenant: props.tenant, to }))} />
      {/* pickup, conferences, registrations */}
      <PickupView api={api} tenant={props.tenant} hub={hub} now={now} run={act} failed={failed} />
      <ConferencesView api={api} tenant={props.tenant} hub={hub} now={now} run={act} failed={failed}
        calls={calls.rows(now, parked).filter((r) => r.canPark)} />
      <RegistrationsView api={api} tenant={props.tenant} hub={hub} now={now} failed={failed} />
      <PlotsView api={api} />
      </>}
    </main>
  );
}

/** The calls whose caller, callee or id contains the text (any case). */
function matching(query: string): (c: CallView) => boolean {
  const q = query.trim().toLowerCase();
  return (c) => !q || c.caller.user.toLowerCase().includes(q) || c.callee.user.toLowerCase().includes(q) || c.id.toLowerCase().includes(q);
}
