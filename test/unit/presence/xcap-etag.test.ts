import assert from 'node:assert/strict';
import { evaluate } from '../../../features/presence/xcap/conditional';
import { XcapConflict } from '../../../features/presence/xcap/conflict';
import { listEntries } from '../../../features/presence/xcap/resource-lists';
import { etagOf } from '../../../features/presence/xcap/store';
import { USAGES } from '../../../features/presence/xcap/usages';
import { parseXml } from '../../../features/presence/xcap/xml';

const RL = 'urn:ietf:params:xml:ns:resource-lists';

describe('presence xcap: ETags and preconditions (RFC 4825 7.11, RFC 7232)', () => {
  it('gives every version of a document its own strong ETag', () => {
    const a = etagOf('<a/>');
    assert.match(a, /^"[A-Za-z0-9_-]{22}"$/);
    assert.equal(etagOf('<a/>'), a);
    assert.notEqual(etagOf('<a />'), a);
  });

  it('If-Match: * needs the document, a list needs one of its tags, strongly compared', () => {
    const cur = '"abc"';
    assert.equal(evaluate('PUT', cur, '*', undefined), 'ok');
    assert.equal(evaluate('PUT', undefined, '*', undefined), 'failed');
    assert.equal(evaluate('PUT', cur, '"x", "abc"', undefined), 'ok');
    assert.equal(evaluate('PUT', cur, '"x"', undefined), 'failed');
    assert.equal(evaluate('PUT', cur, 'W/"abc"', undefined), 'failed');
    assert.equal(evaluate('DELETE', undefined, '"abc"', undefined), 'failed');
  });

  it('If-None-Match: * creates only, a matching tag is 412 for writes and 304 for reads', () => {
    const cur = '"abc"';
    assert.equal(evaluate('PUT', undefined, undefined, '*'), 'ok');
    assert.equal(evaluate('PUT', cur, undefined, '*'), 'failed');
    assert.equal(evaluate('PUT', cur, undefined, '"abc"'), 'failed');
    assert.equal(evaluate('PUT', cur, undefined, '"other"'), 'ok');
    assert.equal(evaluate('GET', cur, undefined, 'W/"abc"'), 'not-modified');
    assert.equal(evaluate('GET', cur, undefined, '"other"'), 'ok');
    assert.equal(evaluate('GET', cur, undefined, undefined), 'ok');
  });
});

describe('presence xcap: resource-lists usage (RFC 4826)', () => {
  const doc = (body: string): string => `<resource-lists xmlns="${RL}">${body}</resource-lists>`;
  const check = (d: string): string => {
    try {
      USAGES['resource-lists'].validate(parseXml(d));
      return 'valid';
    } catch (err) {
      if (err instanceof XcapConflict) return err.tag;
      throw err;
    }
  };

  it('enforces unique list names and entry URIs per list, and the elements lists may hold', () => {
    assert.equal(check(doc('<list name="a"><entry uri="sip:x@e"/></list><list name="b"><entry uri="sip:x@e"/></list>')), 'valid');
    assert.equal(check(doc('<list name="a"/><list name="a"/>')), 'uniqueness-failure');
    assert.equal(check(doc('<list name="a"><entry uri="sip:x@e"/><entry uri="sip:x@e"/></list>')), 'uniqueness-failure');
    assert.equal(check(doc('<list name="a"><list name="n"/><list name="n"/></list>')), 'uniqueness-failure');
    assert.equal(check(doc('<list><entry/></list>')), 'schema-validation-error');
    assert.equal(check(doc('<list><bogus/></list>')), 'schema-validation-error');
    assert.equal(check(doc('<entry uri="sip:x@e"/>')), 'schema-validation-error');
    assert.equal(check(doc('<list><x:ext xmlns:x="urn:x"/></list>')), 'valid');
  });

  it('expands a named list to its URIs, nested lists flattened, each once', async () => {
    const d = parseXml(doc('<list name="buddies"><entry uri="sip:a@e"/><list name="inner"><entry uri="sip:b@e"/><entry uri="sip:a@e"/></list></list><list name="empty"/>'));
    assert.deepEqual(await listEntries(d, 'buddies'), ['sip:a@e', 'sip:b@e']);
    assert.deepEqual(await listEntries(d, 'empty'), []);
    assert.equal(await listEntries(d, 'inner'), undefined, 'only top-level lists are named');
    assert.equal(await listEntries(d, 'nope'), undefined);
  });
});
