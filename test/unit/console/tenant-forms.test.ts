import assert from 'node:assert/strict';
import { checkRequest, formBody, formValues, type FieldSpec } from '../../../console/src/model/form-model';
import { FORWARDING, GROUP_FIELDS, groupsPatch, PASSWORD_FIELD, TENANT_FORMS, USER_FIELDS, type UserView } from '../../../console/src/model/tenant-forms';
import { TENANT_ROUTES } from '../../../console/src/model/tenant-routes';
import { consoleSchemas } from '../../../scripts/console-schemas';

const table = consoleSchemas();
const form = (id: string) => {
  const f = TENANT_FORMS.find((x) => x.id === id);
  if (!f) throw new Error(`no form ${id}`);
  return f;
};

describe('console: form model', () => {
  const fields: FieldSpec[] = [
    { name: 'name', label: 'n', kind: 'text' },
    { name: 'secret', label: 's', kind: 'password' },
    { name: 'n', label: 'n', kind: 'integer' },
    { name: 'on', label: 'o', kind: 'boolean' },
    { name: 'groups', label: 'g', kind: 'list' },
    { name: 'map', label: 'm', kind: 'map' },
    { name: 'src', label: 's', kind: 'sources' },
  ];

  it('makes the body: trimmed text, untouched password, numbers, lists, maps, sources; empty optional fields left out', () => {
    assert.deepEqual(formBody(fields, {
      name: ' ann ', secret: ' pw ', n: '42', on: true, groups: 'a, b\nc  d', map: 'alice=jazz\n bob = rock ,', src: 'jazz=sip:jazz@music.example\nrock=rock.wav',
    }), {
      name: 'ann', secret: ' pw ', n: 42, on: true, groups: ['a', 'b', 'c', 'd'], map: { alice: 'jazz', bob: 'rock' },
      src: { jazz: { uri: 'sip:jazz@music.example' }, rock: { file: 'rock.wav' } },
    });
    assert.deepEqual(formBody(fields, { name: '  ', secret: '', n: '', on: false, groups: '', map: '', src: '' }), { on: false, groups: [] });
  });

  it('keeps what is no integer as text, for the schema to refuse', () => {
    assert.deepEqual(formBody([{ name: 'n', label: 'n', kind: 'integer' }], { n: '4.5' }), { n: '4.5' });
  });

  it('fills a form from what the API returned, and back to the same body', () => {
    const record = { name: 'ann', n: 7, on: true, groups: ['a', 'b'], map: { alice: 'jazz' }, src: { jazz: { uri: 'sip:j@m' }, rock: { file: 'r.wav' } } };
    const values = formValues(fields, record);
    assert.deepEqual(values, { name: 'ann', secret: '', n: '7', on: true, groups: 'a, b', map: 'alice=jazz', src: 'jazz=sip:j@m\nrock=r.wav' });
    assert.deepEqual(formBody(fields, values), record);
  });

  it('puts each schema failure under its field, a path parameter under its name', () => {
    const errs = checkRequest(table.user, { domain: 'example.com', user: 'a b' }, { password: 'ab', pickupGroups: ['ok', 'not ok'] });
    assert.match(errs.user, /must match/);
    assert.equal(errs.password, 'must NOT have fewer than 4 characters');
    assert.match(errs.pickupGroups, /must match/);
    assert.deepEqual(Object.keys(errs).sort(), ['password', 'pickupGroups', 'user']);
    assert.deepEqual(checkRequest(table.user, { domain: 'example.com', user: 'ann' }, { password: 'secret' }), {});
    assert.match(checkRequest(table.user, { domain: 'not a domain', user: 'ann' }, { password: 'secret' }).domain, /hostname/);
  });
});

describe('console: tenant forms against the API schemas', () => {
  it('has a form for every tenant route whose fields are all properties of its body', () => {
    const forms = [...TENANT_FORMS, FORWARDING];
    assert.deepEqual(forms.map((f) => f.id).sort(), Object.keys(TENANT_ROUTES).filter((k) => k !== 'user' && k !== 'userPatch').sort());
    for (const f of forms) {
      const props = Object.keys((table[f.id].body?.properties ?? {}) as object);
      for (const field of f.fields) assert.ok(props.includes(field.name), `${f.id}.${field.name} is a property of the body`);
    }
    const userProps = Object.keys((table.user.body?.properties ?? {}) as object);
    for (const field of USER_FIELDS) assert.ok(userProps.includes(field.name), `user.${field.name}`);
    const patchProps = Object.keys((table.userPatch.body?.properties ?? {}) as object);
    for (const field of [...GROUP_FIELDS, PASSWORD_FIELD]) assert.ok(patchProps.includes(field.name), `userPatch.${field.name}`);
  });

  it('a filled park form passes, a bad one names its fields before anything is sent', () => {
    const f = form('park');
    const ok = formBody(f.fields, { extension: '700', firstSlot: '701', lastSlot: '720', timeout: '60', comebackTimeout: '', mohClass: '', fallback: '', announce: true });
    assert.deepEqual(checkRequest(table.park, { domain: 'example.com' }, ok), {});
    const bad = formBody(f.fields, { extension: '7x', firstSlot: '701', lastSlot: 'ten', timeout: '0', announce: false });
    assert.deepEqual(Object.keys(checkRequest(table.park, { domain: 'example.com' }, bad)).sort(), ['extension', 'lastSlot', 'timeout']);
  });

  it('a music class form makes the body PUT /moh takes', () => {
    const body = formBody(form('moh').fields, { enabled: true, classes: 'jazz=sip:jazz@music.example\ndefault=', defaultClass: 'jazz', users: 'alice=jazz' });
    assert.deepEqual(body, { enabled: true, classes: { jazz: { uri: 'sip:jazz@music.example' }, default: {} }, defaultClass: 'jazz', users: { alice: 'jazz' } });
    assert.deepEqual(checkRequest(table.moh, { domain: 'example.com' }, body), {});
    assert.equal(formValues(form('moh').fields, body).classes, 'jazz=sip:jazz@music.example\ndefault=');
    const badUri = formBody(form('moh').fields, { enabled: true, classes: 'jazz=sip:has space', defaultClass: '', users: '' });
    assert.match(checkRequest(table.moh, { domain: 'example.com' }, badUri).classes, /must match/);
    const noSource = formBody(form('moh').fields, { enabled: true, classes: 'bad name=x.wav', defaultClass: '', users: '' });
    assert.match(checkRequest(table.moh, { domain: 'example.com' }, noSource).classes, /property name/);
  });

  it('pickup codes, conference policy and forwarding are checked by their schemas', () => {
    assert.ok(checkRequest(table.pickup, { domain: 'example.com' }, formBody(form('pickup').fields, { groupCode: '*8x', directedPrefix: '**' })).groupCode);
    assert.deepEqual(checkRequest(table.conference, { domain: 'example.com' }, formBody(form('conference').fields, { mergeCode: '*3', hostLeaves: 'continue', bridgeUri: '' })), {});
    const fwd = formBody(FORWARDING.fields, { unconditional: '', busy: 'bob', noAnswer: '', noAnswerSeconds: '3', noAnswerOverlap: false, dnd: false });
    assert.deepEqual(Object.keys(checkRequest(table.forwarding, { domain: 'example.com', user: 'ann' }, fwd)), ['noAnswerSeconds']);
  });

  it('the Groups form PATCHes everything but the password, checked by the PATCH schema', () => {
    assert.equal(GROUP_FIELDS.some((f) => f.name === 'password'), false, 'no password field');
    const u: UserView = { user: 'ann', displayName: 'Ann', pickupGroups: ['sales'], callGroups: ['sales'], dialogWatchers: [], anonymousCallRejection: true };
    const values = formValues(GROUP_FIELDS, u as unknown as Record<string, unknown>);
    const body = groupsPatch(u, formBody(GROUP_FIELDS, { ...values, pickupGroups: 'sales, support' }));
    assert.deepEqual(body, { displayName: 'Ann', pickupGroups: ['sales', 'support'], callGroups: ['sales'], dialogWatchers: [], anonymousCallRejection: true });
    assert.deepEqual(checkRequest(table.userPatch, { domain: 'example.com', user: 'ann' }, body), {});
    assert.match(checkRequest(table.userPatch, { domain: 'example.com', user: 'ann' }, { ...body, callGroups: ['a b'] }).callGroups, /must match/);
    // PUT would want a password this body does not carry: the form must not be checked by it
    assert.match(checkRequest(table.user, { domain: 'example.com', user: 'ann' }, body).password, /required property 'password'/);
  });

  it('a cleared display name is sent as empty (PATCH keeps what is left out); none stays none', () => {
    const u: UserView = { user: 'ann', displayName: 'Ann', pickupGroups: [], callGroups: [], dialogWatchers: [], anonymousCallRejection: false };
    const cleared = groupsPatch(u, formBody(GROUP_FIELDS, { ...formValues(GROUP_FIELDS, u as unknown as Record<string, unknown>), displayName: '' }));
    assert.equal(cleared.displayName, '');
    assert.deepEqual(checkRequest(table.userPatch, { domain: 'example.com', user: 'ann' }, cleared), {});
    const none = groupsPatch({ ...u, displayName: undefined }, formBody(GROUP_FIELDS, { displayName: '' }));
    assert.equal('displayName' in none, false);
  });

  it('a password reset PATCHes the password alone; an empty one is refused before sending', () => {
    const body = formBody([PASSWORD_FIELD], { password: 'n3w-secret' });
    assert.deepEqual(body, { password: 'n3w-secret' });
    assert.deepEqual(checkRequest(table.userPatch, { domain: 'example.com', user: 'ann' }, body), {});
    assert.equal(checkRequest(table.userPatch, { domain: 'example.com', user: 'ann' }, formBody([PASSWORD_FIELD], { password: 'abc' })).password,
      'must NOT have fewer than 4 characters');
    assert.deepEqual(checkRequest(table.userPatch, { domain: 'example.com', user: 'ann' }, formBody([PASSWORD_FIELD], { password: '' })),
      { '': 'must NOT have fewer than 1 properties' });
  });
});
