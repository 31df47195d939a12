import assert from 'node:assert/strict';
import { unsupportedKeywords, validate, type JsonSchema } from '../../../console/src/model/json-schema';
import { consoleSchemas } from '../../../scripts/console-schemas';
import { buildApi, AUTH, type TestApi } from '../api/fakes';

const paths = (s: JsonSchema, v: unknown): string[] => validate(s, v).map((e) => `${e.path} ${e.keyword}`);

describe('console: JSON Schema interpreter', () => {
  it('checks types, integer against number, and stops at a wrong type', () => {
    assert.deepEqual(paths({ type: 'integer', minimum: 5 }, 4.5), [' type']);
    assert.deepEqual(paths({ type: 'integer', minimum: 5 }, 4), [' minimum']);
    assert.deepEqual(paths({ type: 'number', maximum: 5 }, 5.5), [' maximum']);
    assert.deepEqual(paths({ type: 'boolean' }, 'true'), [' type']);
    assert.deepEqual(paths({ type: 'object' }, []), [' type']);
    assert.deepEqual(paths({ type: 'array' }, {}), [' type']);
    assert.deepEqual(paths({ type: 'null' }, null), []);
  });

  it('counts characters as ajv does (a surrogate pair is one), matches patterns with the u flag', () => {
    assert.deepEqual(paths({ type: 'string', maxLength: 2 }, '😀😀'), []);
    assert.deepEqual(paths({ type: 'string', minLength: 3 }, '😀😀'), [' minLength']);
    assert.deepEqual(paths({ type: 'string', pattern: '^[a-z]+$' }, 'abc'), []);
    assert.deepEqual(paths({ type: 'string', pattern: '^[a-z]+$' }, 'ab c'), [' pattern']);
    assert.match(validate({ type: 'string', pattern: '^a$' }, 'b')[0].message, /must match \^a\$/);
  });

  it('knows the hostname format', () => {
    assert.deepEqual(paths({ type: 'string', format: 'hostname' }, 'pbx.example.com'), []);
    assert.deepEqual(paths({ type: 'string', format: 'hostname' }, 'pbx_example'), [' format']);
    assert.deepEqual(paths({ type: 'string', format: 'hostname' }, `${'a'.repeat(64)}.com`), [' format']);
  });

  it('reports every failing property of an object at its JSON pointer', () => {
    const s = {
      type: 'object', additionalProperties: false, required: ['a', 'b'],
      properties: { a: { type: 'string', minLength: 2 }, b: { type: 'integer' }, 'x/y': { type: 'boolean' } },
    };
    assert.deepEqual(paths(s, { a: 'x', c: 1, 'x/y': 1 }), ['/b required', '/a minLength', '/c additionalProperties', '/x~1y type']);
    assert.deepEqual(paths(s, { a: 'xy', b: 1, 'x/y': true }), []);
    assert.equal(validate(s, { a: 'xy', b: 1, zz: 1 })[0].message, "has unknown property 'zz'");
  });

  it('checks property names and additional properties against schemas, and the property count', () => {
    const s = { type: 'object', maxProperties: 2, propertyNames: { pattern: '^[a-z]+$' }, additionalProperties: { type: 'string' } };
    assert.deepEqual(paths(s, { ok: 'x', 'No!': 'y' }), ['/No! pattern']);
    assert.match(validate(s, { 'No!': 'y' })[0].message, /^property name /);
    assert.deepEqual(paths(s, { ok: 1 }), ['/ok type']);
    assert.deepEqual(paths(s, { a: 'x', b: 'x', c: 'x' }), [' maxProperties']);
  });

  it('checks arrays: length, unique items, each item; an over-long array is not walked', () => {
    const s = { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' }, maxItems: 3, uniqueItems: true };
    assert.deepEqual(paths(s, ['a', 'b']), []);
    assert.deepEqual(paths(s, ['a', 'B']), ['/1 pattern']);
    assert.deepEqual(paths(s, ['a', 'a']), [' uniqueItems']);
    assert.deepEqual(paths(s, ['A', 'B', 'C', 'D']), [' maxItems']);
    assert.deepEqual(paths({ type: 'array', minItems: 1 }, []), [' minItems']);
  });

  it('checks enums by JSON equality', () => {
    assert.deepEqual(paths({ type: 'string', enum: ['end', 'continue'] }, 'continue'), []);
    assert.deepEqual(paths({ type: 'string', enum: ['end', 'continue'] }, 'stop'), [' enum']);
    assert.deepEqual(paths({ enum: [{ a: [1] }] }, { a: [1] }), []);
  });

  it('names what it would not check, so the build refuses such a schema', () => {
    assert.deepEqual(unsupportedKeywords({ type: 'object', properties: { a: { type: 'string', description: 'x', default: 'y' } } }), []);
    assert.deepEqual(unsupportedKeywords({ type: 'object', properties: { a: { anyOf: [] } } }), ['#/properties/a: anyOf']);
    assert.deepEqual(unsupportedKeywords({ type: 'array', items: { type: 'string', format: 'email' } }), ['#/items: format email']);
    assert.deepEqual(unsupportedKeywords({ additionalProperties: { oneOf: [] } }), ['#/additionalProperties: oneOf']);
  });
});

/**
 * The console's table comes from the server's routes (scripts/console-schemas.ts), and
 * the interpreter agrees with the server's own validation (fastify's ajv, configured by
 * createApi) on each route's schemas: what the page lets through the server accepts, and
 * what it stops the server would have refused.
 */
describe('console: route schemas agree with the server', () => {
  const table = consoleSchemas();
  let api: TestApi;
  before(async () => {
    api = await buildApi();
    for (const [name, s] of Object.entries(table)) {
      api.router.put(`/schema-check/${name}`, { schema: { body: s.body } }, async () => ({ ok: true }));
    }
    api.router.put('/schema-check-params/:domain/:user', { schema: { params: table.user.params } }, async () => ({ ok: true }));
  });
  after(async () => api.app.close());

  const cases: Array<[keyof typeof table, unknown]> = [
    ['user', { password: 'secret1' }],
    ['user', { password: 'abc' }],
    ['user', { password: 'secret1', displayName: 'Ann\u0007' }],
    ['user', { password: 'secret1', pickupGroups: ['sales', 'sales'] }],
    ['user', { password: 'secret1', callGroups: ['a b'] }],
    ['user', { password: 'secret1', pasword: 'x' }],
    ['user', { password: 'secret1', displayName: 'Ann', pickupGroups: ['sales'], callGroups: ['sales', 'support'], anonymousCallRejection: true }],
    ['forwarding', { dnd: false, busy: '100', noAnswer: 'bob', noAnswerSeconds: 20 }],
    ['forwarding', { dnd: false, noAnswerSeconds: 4 }],
    ['forwarding', { busy: 'bob' }],
    ['forwarding', { dnd: true, unconditional: 'bob smith' }],
    ['moh', { enabled: true, defaultClass: 'jazz', classes: { jazz: { file: 'jazz.wav' } }, users: { alice: 'jazz' } }],
    ['moh', { enabled: true, classes: { 'bad name': {} } }],
    ['moh', { enabled: true, classes: { a: { uri: 'http://x' } } }],
    ['moh', { enabled: 'yes' }],
    ['park', { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false }],
    ['park', { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 0 }],
    ['park', { extension: '7a', firstSlot: 701, lastSlot: 720 }],
    ['park', { extension: '700', firstSlot: 701.5, lastSlot: 720 }],
    ['park', { extension: '700', firstSlot: 701 }],
    ['pickup', { groupCode: '*8', directedPrefix: '**' }],
    ['pickup', { groupCode: '*8x', directedPrefix: '**' }],
    ['conference', { mergeCode: '*3', hostLeaves: 'continue', bridgeUri: 'sip:{conference}@conf.example.net' }],
    ['conference', { mergeCode: '*3', hostLeaves: 'stay' }],
    ['conference', { mergeCode: '*3', hostLeaves: 'end', bridgeUri: 'http://x' }],
  ];

  it('has the schemas of every tenant route, each one the interpreter checks entirely', () => {
    for (const [name, s] of Object.entries(table)) {
      assert.ok(s.body, `${name} has a body schema`);
      assert.deepEqual(unsupportedKeywords(s.body), [], name);
    }
    assert.deepEqual(table.user.params?.required, ['domain', 'user']);
  });

  for (const [i, [name, body]] of cases.entries()) {
    it(`${name} #${i}: page and server agree on ${JSON.stringify(body)}`, async () => {
      const page = validate(table[name].body ?? true, body);
      const res = await api.app.inject({ method: 'PUT', url: `/v1/schema-check/${name}`, payload: body as object, headers: AUTH });
      assert.equal(page.length === 0, res.statusCode === 200, `page: ${JSON.stringify(page)}; server: ${res.statusCode} ${res.body}`);
      assert.ok(res.statusCode === 200 || res.statusCode === 400, res.body);
    });
  }

  for (const user of ['alice', '100', 'a b', 'a@b', 'x%41y', 'x%4']) {
    it(`user name ${JSON.stringify(user)}: page and server agree`, async () => {
      const page = validate(table.user.params ?? true, { domain: 'example.com', user });
      const res = await api.app.inject({ method: 'PUT', url: `/v1/schema-check-params/example.com/${encodeURIComponent(user)}`, headers: AUTH });
      assert.equal(page.length === 0, res.statusCode === 200, `page: ${JSON.stringify(page)}; server: ${res.statusCode} ${res.body}`);
    });
  }
});
