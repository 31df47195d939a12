import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, type ApiClient } from '../api';
import { apiSchemas } from '../api-schemas';
import { formValues } from '../model/form-model';
import { TENANT_FORMS, type SettingsForm } from '../model/tenant-forms';
import { SchemaForm } from './schema-form';
import { UsersView } from './users-view';

/** What the tenant pages need of the API; a refused token (401) ends the session. */
export interface TenantApi {
  get<T>(path: string): Promise<T>;
  put<T = unknown>(path: string, body: unknown): Promise<T>;
  patch<T = unknown>(path: string, body: unknown): Promise<T>;
}

function tenantApi(api: ApiClient, onRefused: () => void): TenantApi {
  const watch = <T,>(p: Promise<T>): Promise<T> => p.catch((err: unknown) => {
    if (err instanceof ApiFailure && err.status === 401) onRefused();
    throw err;
  });
  return {
    get: (path) => watch(api.call('GET', path)),
    put: (path, body) => watch(api.call('PUT', path, body)),
    patch: (path, body) => watch(api.call('PATCH', path, body)),
  };
}

/** The tenant page (#/tenant): users, music classes, park lot, pickup codes, conference policy. */
export function TenantPage(props: { api: ApiClient; tenant: string; onRefused(): void }) {
  const api = useMemo(() => tenantApi(props.api, props.onRefused), [props.api]);
  if (!props.tenant) return <section><h2>Tenant</h2><p class="empty">Log in with a tenant to see its settings.</p></section>;
  return (
    <div class="tenant-page">
      <h2 class="tenant-name">Tenant {props.tenant}</h2>
      <UsersView api={api} tenant={props.tenant} />
      {TENANT_FORMS.map((f) => <SettingsSection key={f.id} api={api} tenant={props.tenant} form={f} />)}
    </div>
  );
}

/** One tenant-wide settings form: read when shown, saved with PUT, the saved settings shown again. */
function SettingsSection(props: { api: TenantApi; tenant: string; form: SettingsForm }) {
  const { form } = props;
  const path = form.path(props.tenant);
  const [record, setRecord] = useState<Record<string, unknown> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    props.api.get<Record<string, unknown>>(path).then(setRecord, (err: unknown) => setError((err as Error).message));
  }, [path]);
  const initial = useMemo(() => formValues(form.fields, record), [record]);
  return (
    <section class="tenant-section" id={`section-${form.id}`} aria-labelledby={`${form.id}-title`}>
      <h2 id={`${form.id}-title`}>{form.title}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {!record && !error && <p class="empty">Loading…</p>}
      {record && (
        <SchemaForm id={form.id} fields={form.fields} initial={initial} schemas={apiSchemas[form.id]} params={{ domain: props.tenant }}
          submitLabel={`Save ${form.title.toLowerCase()}`}
          onSubmit={async (body) => setRecord(await props.api.put<Record<string, unknown>>(path, body))} />
      )}
    </section>
  );
}
