import { useEffect, useState } from 'preact/hooks';
import { checkRequest, formBody, type FieldErrors, type FieldSpec, type FormValues } from '../model/form-model';
import type { RouteSchemas } from '../model/tenant-routes';

export interface SchemaFormProps {
  /** prefix of the element ids (`<id>-<field>`), and the form's own id */
  id: string;
  fields: readonly FieldSpec[];
  /** the values the form starts from (what is set now); a new object resets the form */
  initial: FormValues;
  schemas: RouteSchemas;
  /** the path parameters the route's schema checks along with the body */
  params: Record<string, string>;
  /** path parameters the operator types in (a new user's name): checked by the params schema */
  paramFields?: readonly FieldSpec[];
  submitLabel: string;
  /** sends the body; a rejection's message is shown at the form */
  onSubmit(body: Record<string, unknown>, params: Record<string, string>): Promise<void>;
  /** shown after a successful send */
  done?: string;
}

/**
 * A form checked against its route's JSON schema in the page: nothing is sent while a
 * field fails, each failure is shown at its field; the API's own refusal (`message
 * (CODE)`) is shown at the form.
 */
export function SchemaForm(props: SchemaFormProps) {
  const [values, setValues] = useState<FormValues>(props.initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => setValues(props.initial), [props.initial]);

  const paramFields = props.paramFields ?? [];
  const all = [...paramFields, ...props.fields];
  const set = (name: string, v: string | boolean): void => setValues({ ...values, [name]: v });
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = formBody(props.fields, values);
    const params = { ...props.params };
    for (const f of paramFields) params[f.name] = String(values[f.name] ?? '').trim();
    const errs = checkRequest(props.schemas, params, body);
    setErrors(errs);
    setOutcome(undefined);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    props.onSubmit(body, params).then(
      () => setOutcome({ ok: true, text: props.done ?? 'Saved.' }),
      (err: unknown) => setOutcome({ ok: false, text: (err as Error).message }),
    ).finally(() => setBusy(false));
  };
  // a failure of something the form has no field for (the tenant of the login)
  const stray = Object.entries(errors).filter(([k]) => !all.some((f) => f.name === k));
  return (
    <form id={props.id} class="schema-form" onSubmit={submit} noValidate>
      {all.map((f) => (
        <Field key={f.name} id={`${props.id}-${f.name}`} spec={f} value={values[f.name]} error={errors[f.name]} onChange={(v) => set(f.name, v)} />
      ))}
      {stray.map(([k, m]) => <p key={k} class="field-error" role="alert">{k === 'domain' ? 'tenant ' : k ? `${k} ` : ''}{m}</p>)}
      <div class="form-actions">
        <button type="submit" disabled={busy}>{props.submitLabel}</button>
        {outcome && <span class={outcome.ok ? 'saved' : 'error'} role={outcome.ok ? 'status' : 'alert'} id={`${props.id}-outcome`}>{outcome.text}</span>}
      </div>
    </form>
  );
}

/** One labelled input with its hint and its schema error. */
function Field(props: { id: string; spec: FieldSpec; value: string | boolean | undefined; error?: string; onChange(v: string | boolean): void }) {
  const { spec, id } = props;
  const described = [spec.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, name: spec.name, 'aria-invalid': props.error ? true : undefined, 'aria-describedby': described };
  const text = typeof props.value === 'string' ? props.value : '';
  let input;
  if (spec.kind === 'boolean') {
    input = <input {...common} type="checkbox" checked={props.value === true} onChange={(e) => props.onChange(e.currentTarget.checked)} />;
  } else if (spec.kind === 'choice') {
    input = (
      <select {...common} value={text} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {(spec.choices ?? []).map((c) => <option key={c} value={c}>{c}</option>)}
      </select>
    );
  } else if (spec.kind === 'map' || spec.kind === 'sources') {
    input = <textarea {...common} rows={3} value={text} onInput={(e) => props.onChange(e.currentTarget.value)} />;
  } else {
    const onInput = (e: { currentTarget: HTMLInputElement }): void => props.onChange(e.currentTarget.value);
    input = spec.kind === 'password'
      ? <input {...common} type="password" autocomplete="new-password" value={text} onInput={onInput} />
      : <input {...common} type="text" autocomplete="off" inputMode={spec.kind === 'integer' ? 'numeric' : undefined} value={text} onInput={onInput} />;
  }
  return (
    <div class={`field${spec.kind === 'boolean' ? ' check' : ''}`}>
      <label for={id}>{spec.label}</label>
      {input}
      {spec.hint && <small id={`${id}-hint`}>{spec.hint}</small>}
      {props.error && <span class="field-error" id={`${id}-error`}>{props.error}</span>}
    </div>
  );
}
