import { useState } from 'preact/hooks';

/** The API token, asked once per browser tab (kept in sessionStorage by the app). */
export function Login(props: { onLogin(token: string, tenant: string): void; error?: string }) {
  const [token, setToken] = useState('');
  const [tenant, setTenant] = useState('');
  return (
    <form class="login" onSubmit={(e) => {
      e.preventDefault();
      if (token.trim()) props.onLogin(token.trim(), tenant.trim().toLowerCase());
    }}>
      <h1>Operator console</h1>
      <label>API token <input id="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} required /></label>
      <label>Tenant (park lot) <input id="tenant" type="text" value={tenant} placeholder="example.com" onInput={(e) => setTenant(e.currentTarget.value)} /></label>
      <button id="login" type="submit">Log in</button>
      {props.error && <p class="error" role="alert">{props.error}</p>}
    </form>
  );
}
