import assert from 'node:assert/strict';
import { ListReferences } from '../../../features/presence/xcap/list-references';
import { expandList, MAX_REFERENCES } from '../../../features/presence/xcap/resource-lists';
import { parseXml, type XmlDocument } from '../../../features/presence/xcap/xml';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const lists = (inner: string): string => `<resource-lists xmlns="${RL}">${inner}</resource-lists>`;
const external = (user: string, name: string, tenant = 't'): string =>
  `<external anchor="http://xcap.${tenant}/xcap-root/resource-lists/users/sip:${user}@${tenant}/index/~~/resource-lists/list%5b@name=%22${name}%22%5d"/>`;

/** documents by user, and the reads made */
function store(docs: Record<string, string>) {
  const reads: string[] = [];
  const read = async (_t: string, user: string): Promise<XmlDocument | undefined> => {
    reads.push(user);
    return docs[user] === undefined ? undefined : parseXml(docs[user]);
  };
  return { read, reads };
}

describe('presence: resource list references (RFC 4826 3.2)', () => {
  it('an external cycle is expanded once, and the sources are the other users read', async () => {
    const s = store({
      alice: lists(`<list name="l"><entry uri="sip:a@t"/>${external('bob', 'm')}</list>`),
      bob: lists(`<list name="m"><entry uri="sip:b@t"/>${external('alice', 'l')}${external('bob', 'm')}</list>`),
    });
    assert.deepEqual(await expandList('t', 'alice', 'l', s.read), { entries: ['sip:a@t', 'sip:b@t'], sources: ['bob'] });
    assert.ok(s.reads.length <= 4, s.reads.join());
  });

  it('follows at most MAX_REFERENCES references, and none into another tenant or a non-list', async () => {
    const many = Array.from({ length: MAX_REFERENCES + 10 }, (_, i) => external(`u${i}`, 'x')).join('');
    const docs: Record<string, string> = { alice: lists(`<list name="l">${many}${external('bob', 'x', 'other')}</list>`) };
    for (let i = 0; i < MAX_REFERENCES + 10; i++) docs[`u${i}`] = lists(`<list name="x"><entry uri="sip:u${i}@t"/></list>`);
    const s = store(docs);
    const r = await expandList('t', 'alice', 'l', s.read);
    assert.equal(r?.entries.length, MAX_REFERENCES);
    assert.equal(s.reads.length, MAX_REFERENCES + 1);
    assert.ok(!s.reads.includes('bob'));
    const entryNotList = store({ alice: lists(`<list name="l"><external anchor="http://x/xcap-root/resource-lists/users/sip:bob@t/index/~~/resource-lists/list%5b@name=%22m%22%5d/entry"/></list>`),
      bob: lists('<list name="m"><entry uri="sip:b@t"/></list>') });
    assert.deepEqual((await expandList('t', 'alice', 'l', entryNotList.read))?.entries, []);
  });

  it('notes which lists reference whom, each expansion replacing the last, bounded', () => {
    const r = new ListReferences(2);
    r.note('t', 'alice', 'team', ['bob', 'carol']);
    r.note('t', 'dave', 'x', ['bob']);
    assert.deepEqual(r.dependents('t', 'bob').sort(), ['alice', 'dave']);
    assert.deepEqual(r.dependents('other', 'bob'), []);
    r.note('t', 'alice', 'team', ['carol']);
    assert.deepEqual(r.dependents('t', 'bob'), ['dave']);
    r.note('t', 'erin', 'y', ['carol']);
    r.note('t', 'frank', 'z', ['carol']);
    assert.deepEqual(r.dependents('t', 'carol').sort(), ['erin', 'frank'], 'the oldest noted list was forgotten');
  });
});
