/**
 * A small interpreter for the subset of JSON Schema (draft 7, as the server's ajv reads
 * it) that the API's request schemas use, so the console checks a form with the very
 * schemas the server validates with, without compiling code in the page (its CSP has no
 * 'unsafe-eval'). A schema with any other keyword is refused by `unsupportedKeywords`,
 * which the build runs over every schema it hands the console: a new keyword in a route
 * fails the build instead of being silently ignored here.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

/** One failure: where (a JSON pointer into the value, '' for the value itself) and what, in ajv's words. */
export interface SchemaError {
  path: string;
  keyword: string;
  message: string;
}

/** What this interpreter checks, and the keywords it may ignore because they check nothing. */
const CHECKED = new Set([
  'type', 'enum', 'minLength', 'maxLength', 'pattern', 'format', 'minimum', 'maximum',
  'items', 'minItems', 'maxItems', 'uniqueItems',
  'properties', 'required', 'additionalProperties', 'propertyNames', 'minProperties', 'maxProperties',
]);
const ANNOTATIONS = new Set(['description', 'default', 'title', 'examples']);

/**
 * ajv-formats' `hostname` (the server's ajv has it through fastify): RFC 1123 labels, 253
 * characters at most.
 */
const FORMATS: Readonly<Record<string, RegExp>> = {
  hostname: /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$/i,
};

const TYPES = new Set(['string', 'integer', 'number', 'boolean', 'object', 'array', 'null']);

/** Keywords (as `path: keyword`) of `schema` this interpreter would not check; [] when it checks them all. */
export function unsupportedKeywords(schema: unknown, path = '#'): string[] {
  if (typeof schema === 'boolean') return [];
  if (!isObject(schema)) return [`${path}: not a schema`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(schema)) {
    if (ANNOTATIONS.has(k)) continue;
    if (!CHECKED.has(k)) out.push(`${path}: ${k}`);
    else if (k === 'type' && !(typeof v === 'string' && TYPES.has(v))) out.push(`${path}: type ${JSON.stringify(v)}`);
    else if (k === 'format' && !(typeof v === 'string' && FORMATS[v])) out.push(`${path}: format ${String(v)}`);
    else if (k === 'items' || k === 'additionalProperties' || k === 'propertyNames') out.push(...unsupportedKeywords(v, `${path}/${k}`));
    else if (k === 'properties' && isObject(v)) {
      for (const [p, s] of Object.entries(v)) out.push(...unsupportedKeywords(s, `${path}/properties/${p}`));
    }
  }
  return out;
}

/** Every failure of `value` against `schema` (all of them, so a form can mark each field); [] when valid. */
export function validate(schema: JsonSchema | boolean, value: unknown, path = ''): SchemaError[] {
  if (schema === true) return [];
  if (schema === false) return [{ path, keyword: 'false schema', message: 'is not allowed' }];
  const errs: SchemaError[] = [];
  const fail = (keyword: string, message: string, at = path): void => {
    errs.push({ path: at, keyword, message });
  };
  const type = schema.type as string | undefined;
  if (type !== undefined && !hasType(value, type)) {
    fail('type', `must be ${type}`);
    return errs;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => equal(e, value))) fail('enum', 'must be equal to one of the allowed values');
  if (typeof value === 'string') checkString(schema, value, fail);
  if (typeof value === 'number') checkNumber(schema, value, fail);
  if (Array.isArray(value)) errs.push(...checkArray(schema, value, path));
  else if (isObject(value)) errs.push(...checkObject(schema, value, path));
  return errs;
}

type Fail = (keyword: string, message: string, at?: string) => void;

function checkString(schema: JsonSchema, value: string, fail: Fail): void {
  // ajv counts characters (code points), not UTF-16 units
  const length = [...value].length;
  const min = schema.minLength as number | undefined;
  const max = schema.maxLength as number | undefined;
  if (min !== undefined && length < min) fail('minLength', `must NOT have fewer than ${min} characters`);
  if (max !== undefined && length > max) fail('maxLength', `must NOT have more than ${max} characters`);
  const pattern = schema.pattern as string | undefined;
  if (pattern !== undefined && !regex(pattern).test(value)) fail('pattern', `contains characters not allowed here (must match ${pattern})`);
  const format = schema.format as string | undefined;
  if (format !== undefined && !FORMATS[format]?.test(value)) fail('format', `must be a valid ${format}`);
}

function checkNumber(schema: JsonSchema, value: number, fail: Fail): void {
  const min = schema.minimum as number | undefined;
  const max = schema.maximum as number | undefined;
  if (min !== undefined && value < min) fail('minimum', `must be >= ${min}`);
  if (max !== undefined && value > max) fail('maximum', `must be <= ${max}`);
}

function checkArray(schema: JsonSchema, value: unknown[], path: string): SchemaError[] {
  const errs: SchemaError[] = [];
  const min = schema.minItems as number | undefined;
  const max = schema.maxItems as number | undefined;
  if (min !== undefined && value.length < min) errs.push({ path, keyword: 'minItems', message: `must NOT have fewer than ${min} items` });
  // an over-long array is reported as such, its items are not walked (the input stays bounded)
  if (max !== undefined && value.length > max) return [...errs, { path, keyword: 'maxItems', message: `must NOT have more than ${max} items` }];
  if (schema.uniqueItems === true) {
    for (let i = 1; i < value.length; i++) {
      const j = value.findIndex((v, k) => k < i && equal(v, value[i]));
      if (j !== -1) {
        errs.push({ path, keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)` });
        break;
      }
    }
  }
  const items = schema.items as JsonSchema | boolean | undefined;
  if (items !== undefined) value.forEach((v, i) => errs.push(...validate(items, v, `${path}/${i}`)));
  return errs;
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string): SchemaError[] {
  const errs: SchemaError[] = [];
  const names = Object.keys(value);
  const min = schema.minProperties as number | undefined;
  const max = schema.maxProperties as number | undefined;
  if (min !== undefined && names.length < min) errs.push({ path, keyword: 'minProperties', message: `must NOT have fewer than ${min} properties` });
  if (max !== undefined && names.length > max) return [...errs, { path, keyword: 'maxProperties', message: `must NOT have more than ${max} properties` }];
  for (const r of (schema.required as string[] | undefined) ?? []) {
    if (value[r] === undefined) errs.push({ path: `${path}/${pointer(r)}`, keyword: 'required', message: `must have required property '${r}'` });
  }
  const props = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const extra = schema.additionalProperties as JsonSchema | boolean | undefined;
  const propertyNames = schema.propertyNames as JsonSchema | boolean | undefined;
  for (const name of names) {
    const v = value[name];
    if (v === undefined) continue;
    const at = `${path}/${pointer(name)}`;
    if (propertyNames !== undefined) {
      for (const e of validate(propertyNames, name, at)) errs.push({ ...e, message: `property name ${e.message}` });
    }
    if (Object.prototype.hasOwnProperty.call(props, name)) errs.push(...validate(props[name], v, at));
    else if (extra === false) errs.push({ path: at, keyword: 'additionalProperties', message: `has unknown property '${name}'` });
    else if (extra !== undefined && extra !== true) errs.push(...validate(extra, v, at));
  }
  return errs;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'null': return value === null;
    case 'array': return Array.isArray(value);
    case 'object': return isObject(value);
    default: return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON equality, as ajv's `equal` (enum, uniqueItems). */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
  }
  return false;
}

/** RFC 6901 escaping of one reference token. */
function pointer(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

const compiled = new Map<string, RegExp>();
/** ajv compiles `pattern` with the `u` flag; a pattern is compiled once. */
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    compiled.set(pattern, re);
  }
  return re;
}
