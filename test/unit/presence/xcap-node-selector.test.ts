import assert from 'node:assert/strict';
import { XcapConflict } from '../../../features/presence/xcap/conflict';
import { deleteNode, NothingSelected, putAttribute, putElement } from '../../../features/presence/xcap/edit';
import { MAX_SELECTOR, parseNamespaceBindings, parseNodeSelector, SelectorError } from '../../../features/presence/xcap/node-selector';
import { select } from '../../../features/presence/xcap/select';
import { parseXcapUri, XcapUriError } from '../../../features/presence/xcap/xcap-uri';
import { parseXml, serialize, XmlError } from '../../../features/presence/xcap/xml';
import { describeResults, superLinearCases } from '../../support/linear-time';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const sel = (s: string, bindings = new Map<string, string>()) => parseNodeSelector(s, bindings, RL);

const LISTS = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}" xmlns:x="urn:example:ext">
  <list name="friends">
    <entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>
    <entry uri="sip:carol@example.com" x:tag="a/b"/>
    <x:note>hi</x:note>
  </list>
  <list name="work"/>
</resource-lists>`;

function conflictTag(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof XcapConflict) return err.tag;
    throw err;
  }
  return 'no conflict';
}

describe('presence xcap: node selector (RFC 4825 6.3)', () => {
  it('parses steps by name, position, attribute and both, resolving names to namespaces', () => {
    const s = sel('resource-lists/list[@name="friends"]/entry[2]/x:foo[1][@a=\'v\']/*', new Map([['x', 'urn:x']]));
    assert.deepEqual(s.steps, [
      { name: { ns: RL, local: 'resource-lists' } },
      { name: { ns: RL, local: 'list' }, attr: { name: { ns: '', local: 'name' }, value: 'friends' } },
      { name: { ns: RL, local: 'entry' }, position: 2 },
      { name: { ns: 'urn:x', local: 'foo' }, position: 1, attr: { name: { ns: '', local: 'a' }, value: 'v' } },
      {},
    ]);
    assert.equal(s.terminal, undefined);
    assert.deepEqual(sel('a/b/@uri').terminal, { kind: 'attribute', name: { ns: '', local: 'uri' } });
    assert.deepEqual(sel('a/namespace::*').terminal, { kind: 'namespace' });
    // a '/' and ']' inside a quoted value are data; references are decoded
    assert.equal(sel('a/b[@u="x/]y&amp;&#65;"]').steps[1].attr?.value, 'x/]y&A');
  });

  it('refuses malformed selectors with a SelectorError', () => {
    for (const bad of ['', 'a/', 'a//b', 'a[0]', 'a[x]', 'a[@b=c]', 'a[@b="c]', 'a[1', 'p:a', 'a/@', 'a/@b/c', '1a', 'a[@b="<"]', 'a[@b="&bogus;"]',
      '@a', 'a/'.repeat(40) + 'a', 'a'.repeat(MAX_SELECTOR + 1)]) {
      assert.throws(() => sel(bad), SelectorError, bad);
    }
  });

  it('reads xmlns() bindings from the query string (RFC 4825 6.4)', () => {
    assert.deepEqual([...parseNamespaceBindings('xmlns(p=urn:a)xmlns(q=urn:b:c)')], [['p', 'urn:a'], ['q', 'urn:b:c']]);
    for (const bad of ['p=urn:a', 'xmlns(p)', 'xmlns(=urn:a)', 'xmlns(p=urn:a', 'xmlns(1=urn:a)']) assert.throws(() => parseNamespaceBindings(bad), SelectorError, bad);
  });

  it('parses in linear time (a hand-written scanner, no backtracking)', () => {
    const parse = (s: string): void => {
      try {
        parseNodeSelector(s, new Map([['p', 'urn:p']]), RL);
      } catch {
        // refusing is fine; the time it takes is what is measured
      }
      try {
        parseNamespaceBindings(s);
      } catch {
        // as above
      }
    };
    const cases = ['a', '[', '[@a="', '"', '&', '&#', 'xmlns(', 'xmlns(p=', '/', 'a[1]/', 'p:'].map((run) => ({
      name: `${JSON.stringify(run)} x n`, input: (n: number) => `r/e[@u="${run.repeat(Math.ceil(n / run.length))}`,
    }));
    const bad = superLinearCases(parse, [...cases, { name: 'long value', input: (n) => `a[@b="${'x'.repeat(n)}"]` }], { base: 250 });
    assert.deepEqual(bad, [], describeResults(bad));
  });

  it('selects the element, attribute or nothing; each step must pick exactly one', () => {
    const doc = parseXml(LISTS);
    const x = new Map([['x', 'urn:example:ext']]);
    const el = select(doc, sel('resource-lists/list[@name="friends"]/entry[@uri="sip:carol@example.com"]'));
    assert.equal(el.kind, 'element');
    assert.equal(el.kind === 'element' && el.element.getAttribute('uri'), 'sip:carol@example.com');
    const att = select(doc, sel('resource-lists/list[1]/entry[2]/@x:tag', x));
    assert.equal(att.kind === 'attribute' && att.value, 'a/b');
    assert.equal(select(doc, sel('resource-lists/list[@name="friends"]/x:note', x)).kind, 'element');
    // entry matches two: not one element
    assert.deepEqual(select(doc, sel('resource-lists/list[1]/entry')), { kind: 'none', parentExists: true });
    assert.deepEqual(select(doc, sel('resource-lists/list[3]/entry')), { kind: 'none', parentExists: false });
    // by-pos-attr: the 2nd entry, only if it has that uri
    assert.equal(select(doc, sel('resource-lists/list[1]/entry[2][@uri="sip:bob@example.com"]')).kind, 'none');
    assert.equal(select(doc, sel('resource-lists/*[2]')).kind, 'element');
    // an unprefixed name is in the usage's namespace: the x:note is not <note>
    assert.equal(select(doc, sel('resource-lists/list[1]/note')).kind, 'none');
  });

  it('puts an element: replaces the selected one, inserts a new one, refuses what the selector would not select', () => {
    const doc = parseXml(LISTS);
    const base = 'resource-lists/list[@name="friends"]';
    assert.deepEqual(putElement(doc, sel(`${base}/entry[@uri="sip:dave@example.com"]`), '<entry uri="sip:dave@example.com"/>'), { created: true });
    const after = select(doc, sel(`${base}/entry[3]`));
    assert.equal(after.kind === 'element' && after.element.getAttribute('uri'), 'sip:dave@example.com');
    // inherits the document's default namespace
    assert.equal(after.kind === 'element' && after.element.namespaceURI, RL);
    assert.deepEqual(putElement(doc, sel(`${base}/entry[@uri="sip:dave@example.com"]`), '<entry uri="sip:dave@example.com"><display-name>D</display-name></entry>'), { created: false });
    assert.match(serialize(doc), /<entry uri="sip:dave@example.com"><display-name>D<\/display-name><\/entry>/);
    // position: entry[1] inserted before the first
    putElement(doc, sel(`${base}/entry[1][@uri="sip:first@example.com"]`), '<entry uri="sip:first@example.com"/>');
    const first = select(doc, sel(`${base}/entry[1]`));
    assert.equal(first.kind === 'element' && first.element.getAttribute('uri'), 'sip:first@example.com');
    assert.equal(conflictTag(() => putElement(doc, sel(`${base}/entry[@uri="sip:x@example.com"]`), '<entry uri="sip:other@example.com"/>')), 'cannot-insert');
    assert.equal(conflictTag(() => putElement(doc, sel(`${base}/entry[9]`), '<entry uri="sip:y@example.com"/>')), 'cannot-insert');
    assert.equal(conflictTag(() => putElement(doc, sel(`${base}/list[@name="nope"]/entry`), '<entry uri="sip:y@example.com"/>')), 'no-parent');
    assert.equal(conflictTag(() => putElement(doc, sel(`${base}/entry[@uri="a"]`), '<entry uri="a"/><entry uri="b"/>')), 'not-xml-frag');
    assert.equal(conflictTag(() => putElement(doc, sel(`${base}/entry[@uri="a"]`), '<entry uri="a">')), 'not-xml-frag');
    assert.equal(conflictTag(() => putElement(doc, sel(`${base}/entry[@uri="a"]`), '</xcap-fragment-wrapper><x/><xcap-fragment-wrapper>')), 'not-xml-frag');
    assert.equal(conflictTag(() => putElement(doc, sel('resource-lists'), '<resource-lists/>')), 'cannot-insert');
  });

  it('puts and deletes attributes and elements, refusing a delete the selector would still select', () => {
    const doc = parseXml(LISTS);
    const base = 'resource-lists/list[@name="friends"]';
    assert.deepEqual(putAttribute(doc, sel(`${base}/entry[1]/@uri`), 'sip:b&amp;b@example.com'), { created: false });
    const a = select(doc, sel(`${base}/entry[1]/@uri`));
    assert.equal(a.kind === 'attribute' && a.value, 'sip:b&b@example.com');
    assert.deepEqual(putAttribute(doc, sel(`${base}/entry[1]/@note`), 'n'), { created: true });
    // changing the attribute its own step tests on would make the URI select nothing
    assert.equal(conflictTag(() => putAttribute(parseXml(LISTS), sel(`${base}/entry[@uri="sip:carol@example.com"]/@uri`), 'sip:z@example.com')), 'cannot-insert');
    assert.equal(conflictTag(() => putAttribute(doc, sel(`${base}/entry[@uri="nobody"]/@uri`), 'x')), 'no-parent');
    assert.equal(conflictTag(() => putAttribute(doc, sel(`${base}/entry[1]/@note`), 'a<b')), 'not-xml-att-value');
    deleteNode(doc, sel(`${base}/entry[1]/@note`));
    assert.equal(select(doc, sel(`${base}/entry[1]/@note`)).kind, 'none');
    assert.throws(() => deleteNode(doc, sel(`${base}/entry[1]/@note`)), NothingSelected);
    // entry[1] would then select the next entry
    assert.equal(conflictTag(() => deleteNode(parseXml(LISTS), sel(`${base}/entry[1]`))), 'cannot-delete');
    deleteNode(doc, sel(`${base}/entry[@uri="sip:carol@example.com"]`));
    assert.equal(select(doc, sel(`${base}/entry[@uri="sip:carol@example.com"]`)).kind, 'none');
  });
});

describe('presence xcap: documents and URIs', () => {
  it('parses only well-formed XML with one root and no DOCTYPE', () => {
    assert.equal(parseXml('<a xmlns="urn:x"><b/></a>').documentElement?.namespaceURI, 'urn:x');
    for (const bad of ['', 'hello', '<a>', '<a><b></a>', '<a/><b/>', '<a x="1" x="2"/>', '<a>&foo;</a>', 'x<a/>', '<a/>x',
      '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>']) {
      assert.throws(() => parseXml(bad), XmlError, bad);
    }
  });

  it('splits an XCAP URI into usage, owner, document and decoded node selector', () => {
    const u = parseXcapUri('/xcap-root/resource-lists/users/sip:alice@Example.com/index/~~/resource-lists/list%5B@name=%22a%2Fb%22%5D?xmlns(p=urn:p)');
    assert.equal(u.usage.auid, 'resource-lists');
    assert.deepEqual(u.owner, { tenant: 'example.com', user: 'alice' });
    assert.equal(u.document, 'index');
    assert.equal(u.selector?.steps[1].attr?.value, 'a/b');
    assert.equal(parseXcapUri('/xcap-root/xcap-caps/global/index').owner, undefined);
    const status = (url: string): number => {
      try {
        parseXcapUri(url);
      } catch (err) {
        if (err instanceof XcapUriError) return err.status;
        throw err;
      }
      return 200;
    };
    assert.equal(status('/xcap-root/nope/users/sip:a@b/index'), 404);
    assert.equal(status('/xcap-root/pres-rules/users/alice/index'), 404);
    assert.equal(status('/xcap-root/pres-rules/users/sip:a@b'), 404);
    assert.equal(status('/xcap-root/pres-rules/users/sip:a@b/index/~~/ruleset[0]'), 400);
    assert.equal(status('/xcap-root/pres-rules/users/sip:a@b/index/~~/%E0%A4%A'), 400);
    assert.equal(status(`/xcap-root/pres-rules/users/sip:a@b/index/~~/${'a'.repeat(2100)}`), 414);
  });
});
