import { validate, type JsonSchema } from './json-schema';
import type { RouteSchemas } from './tenant-routes';

/**
 * A form of the tenant pages: fields the operator types into, turned into the JSON body
 * of a REST route and checked against that route's own schema before anything is sent.
 *
 * - text, password, choice: the string ('' leaves the property out; text is trimmed)
 * - integer: a number when the text is one, else the text itself, so the schema says
 *   "must be integer" rather than the page guessing
 * - boolean: a checkbox
 * - list: names separated by commas, spaces or lines, as an array
 * - map: `key=value` entries separated by commas or lines, as an object
 * - sources: `name=source` entries, each source a SIP URI ({uri}), a file ({file}) or
 *   nothing ({}: the built-in music)
 */
export type FieldKind = 'text' | 'password' | 'integer' | 'boolean' | 'choice' | 'list' | 'map' | 'sources';

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  /** kind 'choice': the values offered */
  choices?: readonly string[];
  /** a short help text under the field */
  hint?: string;
}

export type FormValues = Record<string, string | boolean>;

/** Field name to the first message about it; '' is the form as a whole. */
export type FieldErrors = Record<string, string>;

/** At most this many entries are read from a list or map field (the schemas allow fewer). */
const MAX_ENTRIES = 10_000;

/** The request body the form's values make. */
export function formBody(fields: readonly FieldSpec[], values: FormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.kind === 'boolean') {
      body[f.name] = v === true;
      continue;
    }
    const raw = typeof v === 'string' ? v : '';
    const text = f.kind === 'password' ? raw : raw.trim();
    switch (f.kind) {
      case 'list':
        body[f.name] = entries(text);
        break;
      case 'map':
      case 'sources': {
        const obj: Record<string, unknown> = {};
        for (const e of entries(text, /[\n,]+/)) {
          const eq = e.indexOf('=');
          const key = (eq === -1 ? e : e.slice(0, eq)).trim();
          const value = eq === -1 ? '' : e.slice(eq + 1).trim();
          obj[key] = f.kind === 'map' ? value : source(value);
        }
        if (text) body[f.name] = obj;
        break;
      }
      case 'integer':
        if (text) body[f.name] = /^-?[0-9]{1,15}$/.test(text) ? Number(text) : text;
        break;
      default:
        if (text) body[f.name] = text;
    }
  }
  return body;
}

/** The form's values for a record the API returned (GET), so a form starts from what is set. */
export function formValues(fields: readonly FieldSpec[], record: Record<string, unknown> | undefined): FormValues {
  const values: FormValues = {};
  for (const f of fields) {
    const v = record?.[f.name];
    if (f.kind === 'boolean') values[f.name] = v === true;
    else if (f.kind === 'list') values[f.name] = Array.isArray(v) ? v.join(', ') : '';
    else if (f.kind === 'map' && isRecord(v)) values[f.name] = Object.entries(v).map(([k, x]) => `${k}=${String(x)}`).join('\n');
    else if (f.kind === 'sources' && isRecord(v)) {
      values[f.name] = Object.entries(v).map(([k, x]) => {
        const src = isRecord(x) ? (x.uri ?? x.file ?? '') : '';
        return `${k}=${String(src)}`;
      }).join('\n');
    } else if (typeof v === 'string' || typeof v === 'number') values[f.name] = String(v);
    else values[f.name] = '';
  }
  return values;
}

/**
 * The route's schemas applied to the path parameters and the body: each failure under
 * the field it belongs to (the first property of its path), a parameter under its own
 * name. Empty when the request may go.
 */
export function checkRequest(schemas: RouteSchemas, params: Record<string, string>, body: unknown): FieldErrors {
  const out: FieldErrors = {};
  const add = (schema: JsonSchema | undefined, value: unknown): void => {
    if (!schema) return;
    for (const e of validate(schema, value)) {
      const field = unpointer(e.path.split('/')[1] ?? '');
      out[field] ??= e.message;
    }
  };
  add(schemas.params, params);
  add(schemas.body, body);
  return out;
}

/** A music source as PUT /moh takes it. */
function source(value: string): Record<string, string> {
  if (!value) return {};
  return /^sips?:/i.test(value) ? { uri: value } : { file: value };
}

function entries(text: string, sep: RegExp = /[\s,]+/): string[] {
  return text.split(sep, MAX_ENTRIES).map((s) => s.trim()).filter((s) => s !== '');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unpointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}
