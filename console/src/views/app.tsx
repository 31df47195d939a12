import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, ApiFailure } from '../api';
import { keepLive } from '../live';
import { CallsModel, type CallChangeView, type CallView } from '../model/calls-model';
import { parkGrid, type ParkedView, type ParkLotView } from '../model/park-model';
import { CallsView } from './calls-view';
import { Login } from './login';
import { Nav, usePage } from './nav';
import { ParkView } from './park-view';
import { TenantPage } from './tenant-page';

/** sessionStorage: gone with the tab, never in a URL (issue 20) */
const TOKEN_KEY = 'console.token';
const TENANT_KEY = 'console.tenant';

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
  const [now, setNow] = useState(Date.now());
  const [, setVersion] = useState(0);
  const [lot, setLot] = useState<ParkLotView | undefined>(undefined);
  const [parks, setParks] = useState<ParkedView[]>([]);
  const [status, setStatus] = useState('connecting');
  const [error, setError] = useState<string | undefined>(undefined);
  const bump = (): void => setVersion((v) => v + 1);

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
    calls.reset((await api.call<{ calls: CallView[] }>('GET', '/v1/calls')).calls);
    bump();
  };

  useEffect(() => {
    const stop = keepLive(api, {
      onOpen: () => {
        setStatus('live');
        refreshCalls().catch(failed);
        refreshParks().catch(failed);
      },
      onEvent: (e) => {
        if (e.event === 'call') {
          calls.apply(JSON.parse(e.data) as CallChangeView);
          bump();
        } else if (e.event === 'park.slot-changed') {
          refreshParks().catch(failed);
        }
      },
      onDown: (why) => setStatus(`reconnecting (${why})`),
      onRefused: () => props.logout('The token was refused.'),
    });
    // durations and countdowns move each second; the data itself comes from the events
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop();
      clearInterval(tick);
    };
  }, [api]);

  const act = (p: Promise<unknown>): void => {
    setError(undefined);
    p.catch(failed);
  };
  const id = encodeURIComponent;
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
      <CallsView rows={calls.rows(now, new Map(parks.map((p) => [p.callId, p.slot])))} actions={{
        hangup: (c) => act(api.call('DELETE', `/v1/calls/${id(c)}`)),
        hold: (c) => act(api.call('POST', `/v1/calls/${id(c)}/hold`, { party: 'caller' })),
        resume: (c) => act(api.call('POST', `/v1/calls/${id(c)}/resume`)),
        park: (c, party) => act(api.call('POST', `/v1/calls/${id(c)}/park`, { party })),
      }} />
      <ParkView tenant={props.tenant} cells={lot ? parkGrid(lot, parks, now) : []}
        retrieve={(slot, to) => act(api.call('POST', `/v1/parks/${id(slot)}/retrieve`, { tenant: props.tenant, to }))} />
      </>}
    </main>
  );
}
