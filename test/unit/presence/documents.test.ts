import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { checkPidf, composePidf, neutralPidf, PIDF_NS } from '../../../features/presence/pidf';
import { rlmiMessage } from '../../../features/presence/rlmi';
import { watcherinfoXml } from '../../../features/presence/watcherinfo';
import { parseXml, XmlError } from '../../../features/presence/xml';

const pidf = (entity: string, inner: string): string =>
  `<?xml version="1.0"?><presence xmlns="${PIDF_NS}" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${entity}">${inner}</presence>`;
const OPEN = (id: string, note = ''): string => `<tuple id="${id}"><status><basic>open</basic></status>${note ? `<note>${note}</note>` : ''}</tuple>`;

describe('presence documents', () => {
  describe('parseXml / checkPidf', () => {
    it('accepts a status without basic, and basic with surrounding white space', () => {
      checkPidf(pidf('sip:a@t', '<tuple id="t"><status/></tuple>'));
      checkPidf(pidf('sip:a@t', '<tuple id="t"><status><basic> closed\n</basic></status></tuple>'));
    });
    it('accepts a PIDF with RPID person elements', () => {
      checkPidf(pidf('sip:a@t', `${OPEN('t1')}<dm:person id="p"><rpid:activities><rpid:busy/></rpid:activities></dm:person>`));
    });
    it('rejects malformed XML, a DOCTYPE, oversized input, no root, another root, a tuple without id or status', () => {
      const bad = [
        pidf('sip:a@t', '<tuple id="x"><status><basic>open</basic></status>'),
        `<!DOCTYPE presence [<!ENTITY a "aaaa">]>${pidf('sip:a@t', OPEN('t'))}`,
        'not xml at all',
        '<foo xmlns="urn:x"/>',
        pidf('', OPEN('t')),
        pidf('sip:a@t', '<tuple><status><basic>open</basic></status></tuple>'),
        pidf('sip:a@t', '<tuple id="t"><note>n</note></tuple>'),
        pidf('sip:a@t', OPEN('t', 'x'.repeat(20000))),
        pidf('sip:a@t', '<tuple id="t"><status><basic>away</basic></status></tuple>'),
        pidf('sip:a@t', '<tuple id="t"><status><basic></basic></status></tuple>'),
        pidf('sip:a@t', '<tuple id="t"><status><basic>open</basic><basic>closed</basic></status></tuple>'),
        pidf('sip:a@t', '<tuple id="t"><status><basic><b>open</b></basic></status></tuple>'),
        pidf('sip:a@t', '<tuple id="t"><status><basic>open</basic></status><status/></tuple>'),
      ];
      for (const b of bad) assert.throws(() => checkPidf(b), XmlError, b.slice(0, 80));
    });
    it('bounds the size before parsing', () => {
      assert.throws(() => parseXml(`<a>${'b'.repeat(100)}</a>`, 50), /over 50 bytes/);
    });
  });

  describe('composePidf', () => {
    const at = (publishedAt: number, body: string) => ({ publishedAt, body });
    const parse = (doc: string): Element => {
      const root = new DOMParser().parseFromString(doc, 'application/xml').documentElement;
      assert.ok(root);
      return root;
    };
    it('merges every publication and adds the call activity', () => {
      const doc = composePidf('sip:bob@t', [at(1, pidf('sip:bob@t', OPEN('t1', 'desk'))), at(2, pidf('sip:bob@t', OPEN('t2', 'mobile')))], 'on-the-phone');
      const root = parse(doc);
      assert.equal(root.getAttribute('entity'), 'sip:bob@t');
      const tuples = root.getElementsByTagNameNS(PIDF_NS, 'tuple');
      assert.deepEqual([0, 1].map((i) => tuples.item(i)?.getAttribute('id')), ['t1', 't2']);
      assert.equal(root.getElementsByTagNameNS('urn:ietf:params:xml:ns:pidf:rpid', 'on-the-phone').length, 1);
    });
    it('the newest publication wins a tuple id both use, whatever order they are given in', () => {
      const old = at(1, pidf('sip:bob@t', '<tuple id="t1"><status><basic>open</basic></status><note>stale</note></tuple>'));
      const fresh = at(5, pidf('sip:bob@t', '<tuple id="t1"><status><basic>closed</basic></status><note>now</note></tuple>'));
      for (const order of [[old, fresh], [fresh, old]]) {
        const root = parse(composePidf('sip:bob@t', order));
        const tuples = root.getElementsByTagNameNS(PIDF_NS, 'tuple');
        assert.equal(tuples.length, 1);
        assert.equal(tuples.item(0)?.getElementsByTagNameNS(PIDF_NS, 'basic').item(0)?.textContent, 'closed');
        assert.equal(tuples.item(0)?.getElementsByTagNameNS(PIDF_NS, 'note').item(0)?.textContent, 'now');
      }
    });
    it('person elements come from the newest publication that has any (RFC 4479: one presentity)', () => {
      const person = (id: string, act: string): string => `<dm:person id="${id}"><rpid:activities><rpid:${act}/></rpid:activities></dm:person>`;
      const doc = composePidf('sip:bob@t', [
        at(1, pidf('sip:bob@t', OPEN('desk') + person('p-desk', 'busy'))),
        at(3, pidf('sip:bob@t', OPEN('mobile') + person('p-mobile', 'away'))),
        at(4, pidf('sip:bob@t', OPEN('tablet'))),
      ]);
      const root = parse(doc);
      const persons = root.getElementsByTagNameNS('urn:ietf:params:xml:ns:pidf:data-model', 'person');
      assert.equal(persons.length, 1);
      assert.equal(persons.item(0)?.getAttribute('id'), 'p-mobile');
      assert.equal(root.getElementsByTagNameNS(PIDF_NS, 'tuple').length, 3);
    });
    it('says closed with no publication, ringing as an other activity, nothing for idle', () => {
      assert.match(composePidf('sip:a@t', []), /<basic>closed<\/basic>/);
      assert.match(composePidf('sip:a@t', [], 'ringing'), /<rp:other>ringing<\/rp:other>/);
      assert.doesNotMatch(composePidf('sip:a@t', [{ publishedAt: 0, body: pidf('sip:a@t', OPEN('t')) }]), /person/);
    });
    it('escapes the entity', () => {
      assert.match(composePidf('sip:a"b@t', []), /entity="sip:a&quot;b@t"/);
    });
    it('a neutral document is closed and carries nothing else', () => {
      const doc = neutralPidf('sip:a@t');
      assert.match(doc, /<basic>closed<\/basic>/);
      assert.doesNotMatch(doc, /note|person|device|open/);
    });
  });

  describe('watcherinfoXml', () => {
    it('lists watchers with status, event and duration, full or partial', () => {
      const doc = watcherinfoXml('sip:bob@t', 3, 'partial', [
        { id: 'w1', uri: 'sip:alice@t', status: 'pending', event: 'subscribe', durationSubscribed: 12.7 },
      ]);
      const root = new DOMParser().parseFromString(doc, 'application/xml').documentElement;
      assert.ok(root);
      assert.equal(root.getAttribute('version'), '3');
      assert.equal(root.getAttribute('state'), 'partial');
      const list = root.getElementsByTagName('watcher-list').item(0);
      assert.equal(list?.getAttribute('resource'), 'sip:bob@t');
      assert.equal(list?.getAttribute('package'), 'presence');
      const w = root.getElementsByTagName('watcher').item(0);
      assert.equal(w?.getAttribute('status'), 'pending');
      assert.equal(w?.getAttribute('event'), 'subscribe');
      assert.equal(w?.getAttribute('duration-subscribed'), '12');
      assert.equal(w?.textContent, 'sip:alice@t');
      assert.match(watcherinfoXml('sip:b@t', 0, 'full', []), /state="full"/);
    });
  });

  describe('rlmiMessage', () => {
    it('is a multipart/related whose root is the RLMI and whose parts the active resources', () => {
      const m = rlmiMessage('sip:alice-buddies@t', 0, true, [
        { uri: 'sip:bob@t', instanceId: 'i1', state: 'active', body: { contentType: 'application/pidf+xml', text: composePidf('sip:bob@t', []) } },
        { uri: 'sip:carol@t', instanceId: 'i2', state: 'pending' },
        { uri: 'sip:dave@t', instanceId: 'i3', state: 'terminated', reason: 'rejected' },
      ], 't');
      const boundary = /boundary="([^"]+)"/.exec(m.contentType)?.[1];
      const start = /start="<([^>]+)>"/.exec(m.contentType)?.[1];
      assert.ok(boundary && start);
      assert.match(m.contentType, /^multipart\/related;type="application\/rlmi\+xml"/);
      const parts = m.body.split(`--${boundary}`);
      assert.equal(parts.at(-1), '--\r\n', 'closing delimiter');
      const bodies = parts.slice(1, -1);
      assert.equal(bodies.length, 2, 'the RLMI and one PIDF');
      assert.ok(bodies[0].includes(`Content-ID: <${start}>`));
      const rlmi = bodies[0].slice(bodies[0].indexOf('<?xml'));
      const list = new DOMParser().parseFromString(rlmi.trim(), 'application/xml').documentElement;
      assert.equal(list?.getAttribute('fullState'), 'true');
      const inst = list?.getElementsByTagName('instance');
      assert.equal(inst?.length, 3);
      const cid = inst?.item(0)?.getAttribute('cid');
      assert.ok(cid && bodies[1].includes(`Content-ID: <${cid}>`), 'the active instance names its part');
      assert.ok(bodies[1].includes('Content-Type: application/pidf+xml'));
      assert.ok(!inst?.item(1)?.hasAttribute('cid'), 'pending carries no document');
      assert.equal(inst?.item(2)?.getAttribute('reason'), 'rejected');
    });
  });
});
