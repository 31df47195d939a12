import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiSchemas } from '../api-schemas';
import type { FieldSpec, FormValues } from '../model/form-model';
import { formValues } from '../model/form-model';
import { FORWARDING, GROUP_FIELDS, groupsPatch, PASSWORD_FIELD, USER_FIELDS, type UserView } from '../model/tenant-forms';
import type { TenantApi } from './tenant-page';
import { SchemaForm } from './schema-form';

const NAME_FIELD: readonly FieldSpec[] = [{ name: 'user', label: 'User', kind: 'text', hint: 'the SIP user name (extension)' }];
const PASSWORD_ONLY: readonly FieldSpec[] = [PASSWORD_FIELD];
const EMPTY: FormValues = {};

type Open = { user: string; what: 'edit' | 'reset' | 'forwarding' } | undefined;

/** The tenant's users: the list, a new user, and per user its groups, a new password, its forwarding. */
export function UsersView(props: { api: TenantApi; tenant: string }) {
  const { api, tenant } = props;
  const [users, setUsers] = useState<UserView[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState<Open>(undefined);
  const [added, setAdded] = useState<FormValues>(EMPTY);
  const reload = (): Promise<void> => api.get<{ users: UserView[] }>(`/v1/tenants/${encodeURIComponent(tenant)}/users`).then(
    (r) => setUsers([...r.users].sort((a, b) => a.user.localeCompare(b.user))),
    (err: unknown) => setError((err as Error).message),
  );
  useEffect(() => {
    void reload();
  }, [tenant]);

  const userPath = (u: string): string => `/v1/tenants/${encodeURIComponent(tenant)}/users/${encodeURIComponent(u)}`;
  const selected = users?.find((u) => u.user === open?.user);
  // the same object while the user is unchanged: a new one would reset the form being typed in
  const editInitial = useMemo(() => (selected ? userValues(selected) : EMPTY), [selected]);
  return (
    <section aria-labelledby="users-title" class="tenant-section">
      <h2 id="users-title">Users</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {users && users.length === 0 && <p class="empty">No users yet.</p>}
      {users && users.length > 0 && (
        <table class="users">
          <thead><tr><th>User</th><th>Name</th><th>Pickup groups</th><th>Call groups</th><th></th></tr></thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.user} data-user={u.user}>
                <td class="user">{u.user}</td>
                <td class="display">{u.displayName ?? ''}</td>
                <td class="pickup-groups">{u.pickupGroups.join(', ')}</td>
                <td class="call-groups">{u.callGroups.join(', ')}</td>
                <td class="actions">
                  <button class="edit" onClick={() => setOpen({ user: u.user, what: 'edit' })}>Groups…</button>
                  <button class="reset" onClick={() => setOpen({ user: u.user, what: 'reset' })}>Reset password…</button>
                  <button class="forwarding" onClick={() => setOpen({ user: u.user, what: 'forwarding' })}>Forwarding…</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && selected && (
        <div class="user-panel" aria-label={`user ${selected.user}`}>
          <h3>{selected.user}: {open.what === 'edit' ? 'user and groups' : open.what === 'reset' ? 'new password' : 'forwarding'}
            <button class="dismiss" aria-label="close" onClick={() => setOpen(undefined)}>×</button></h3>
          {open.what === 'edit' && (
            <SchemaForm key={`edit-${selected.user}`} id="user-edit" fields={GROUP_FIELDS} initial={editInitial} schemas={apiSchemas.userPatch}
              params={{ domain: tenant, user: selected.user }} submitLabel="Save user"
              onSubmit={async (body) => {
                // PATCH without a password: saving the groups leaves the password as it is
                await api.patch(userPath(selected.user), groupsPatch(selected, body));
                await reload();
              }} />
          )}
          {open.what === 'reset' && (
            <SchemaForm key={`reset-${selected.user}`} id="user-reset" fields={PASSWORD_ONLY} initial={EMPTY} schemas={apiSchemas.userPatch}
              params={{ domain: tenant, user: selected.user }} submitLabel="Set password" done="Password set."
              onSubmit={async (body) => {
                // {password} alone: the user's groups and name stay as the server has them
                await api.patch(userPath(selected.user), body);
              }} />
          )}
          {open.what === 'forwarding' && <ForwardingForm key={`fwd-${selected.user}`} api={api} tenant={tenant} user={selected.user} />}
        </div>
      )}
      <h3>Add a user</h3>
      <SchemaForm id="user-add" paramFields={NAME_FIELD} fields={USER_FIELDS} initial={added} schemas={apiSchemas.user}
        params={{ domain: tenant }} submitLabel="Add user" done="User saved."
        onSubmit={async (body, params) => {
          await api.put(userPath(params.user), body);
          setAdded({});
          await reload();
        }} />
    </section>
  );
}

function userValues(u: UserView): FormValues {
  return formValues(GROUP_FIELDS, u as unknown as Record<string, unknown>);
}

/** A user's forwarding and do-not-disturb, read when opened. */
function ForwardingForm(props: { api: TenantApi; tenant: string; user: string }) {
  const path = FORWARDING.path(props.tenant, props.user);
  const [record, setRecord] = useState<Record<string, unknown> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    props.api.get<Record<string, unknown>>(path).then(setRecord, (err: unknown) => setError((err as Error).message));
  }, [path]);
  const initial = useMemo(() => formValues(FORWARDING.fields, record), [record]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!record) return <p class="empty">Loading…</p>;
  return (
    <SchemaForm id="forwarding" fields={FORWARDING.fields} initial={initial} schemas={apiSchemas.forwarding}
      params={{ domain: props.tenant, user: props.user }} submitLabel="Save forwarding"
      onSubmit={async (body) => setRecord(await props.api.put<Record<string, unknown>>(path, body))} />
  );
}
