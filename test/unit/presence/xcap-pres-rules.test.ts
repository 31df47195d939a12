import assert from 'node:assert/strict';
import { authorize, compileRules, identityOf } from '../../../features/presence/xcap/pres-rules';
import { USAGES } from '../../../features/presence/xcap/usages';
import { XcapConflict } from '../../../features/presence/xcap/conflict';
import { parseXml } from '../../../features/presence/xcap/xml';

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';

/** a ruleset of `rules`: [id, conditions xml, sub-handling or undefined] */
function ruleset(...rules: Array<[string, string, string?]>): string {
  return `<?xml version="1.0" encoding="UTF-8"?><cr:ruleset xmlns:cr="${CP}" xmlns:pr="${PR}">${rules.map(([id, cond, sh]) =>
    `<cr:rule id="${id}"><cr:conditions>${cond}</cr:conditions>${sh ? `<cr:actions><pr:sub-handling>${sh}</pr:sub-handling></cr:actions>` : ''}<cr:transformations/></cr:rule>`).join('')}</cr:ruleset>`;
}

function decide(doc: string, watcher: string, now?: number): string {
  const parsed = parseXml(doc);
  USAGES['pres-rules'].validate(parsed);
  return authorize(compileRules(parsed), watcher, now);
}

describe('presence xcap: pres-rules evaluation (RFC 5025, RFC 4745)', () => {
  it('applies each sub-handling value to the identity it names', () => {
    for (const sh of ['allow', 'block', 'polite-block', 'confirm']) {
      const doc = ruleset(['r1', '<cr:identity><cr:one id="sip:bob@example.com"/></cr:identity>', sh]);
      assert.equal(decide(doc, 'sip:bob@example.com', undefined), sh);
      assert.equal(decide(doc, 'sip:carol@example.com'), 'confirm', `${sh}: another watcher matches no rule`);
    }
  });

  it('compares identities as SIP URIs: host case and parameters ignored, user case kept', () => {
    const doc = ruleset(['r1', '<cr:identity><cr:one id="sip:bob@Example.COM"/></cr:identity>', 'allow']);
    assert.equal(decide(doc, '<sip:bob@example.com:5060;transport=tcp>'), 'allow');
    assert.equal(decide(doc, 'sips:bob@example.com'), 'allow');
    assert.equal(decide(doc, 'sip:Bob@example.com'), 'confirm');
    assert.deepEqual(identityOf('sip:a@[::1]:5060;x'), { id: 'sip:a@[::1]', domain: '[::1]' });
  });

  it('matches <many domain> with its <except> entries, and <many/> alone as everyone', () => {
    const doc = ruleset(
      ['dom', '<cr:identity><cr:many domain="example.com"><cr:except id="sip:eve@example.com"/></cr:many></cr:identity>', 'allow'],
      ['all', '<cr:identity><cr:many><cr:except domain="spam.example"/></cr:many></cr:identity>', 'polite-block'],
    );
    assert.equal(decide(doc, 'sip:bob@example.com'), 'allow');
    assert.equal(decide(doc, 'sip:eve@example.com'), 'polite-block', 'excepted from the domain, caught by many');
    assert.equal(decide(doc, 'sip:x@other.example'), 'polite-block');
    assert.equal(decide(doc, 'sip:x@spam.example'), 'confirm', 'excepted by domain from <many/>');
  });

  it('combines the sub-handling of every matching rule to the most permissive (RFC 4745 10.2)', () => {
    const one = '<cr:identity><cr:one id="sip:bob@example.com"/></cr:identity>';
    assert.equal(decide(ruleset(['a', one, 'block'], ['b', '', 'allow']), 'sip:bob@example.com'), 'allow');
    assert.equal(decide(ruleset(['a', one, 'polite-block'], ['b', '', 'confirm']), 'sip:bob@example.com'), 'polite-block');
    assert.equal(decide(ruleset(['a', one, 'block'], ['b', '', 'block']), 'sip:bob@example.com'), 'block');
    assert.equal(decide(ruleset(['a', one, 'block'], ['b', '', 'confirm']), 'sip:bob@example.com'), 'confirm');
    // a rule without sub-handling says nothing; an empty <conditions> holds for everyone
    assert.equal(decide(ruleset(['a', one]), 'sip:bob@example.com'), 'confirm');
    assert.equal(decide(ruleset(['a', '', 'block']), 'sip:anyone@example.com'), 'block');
  });

  it('needs every condition of a rule; validity by time, an unknown or sphere condition never holds', () => {
    const who = '<cr:identity><cr:one id="sip:bob@example.com"/></cr:identity>';
    const validity = '<cr:validity><cr:from>2026-01-01T00:00:00Z</cr:from><cr:until>2026-02-01T00:00:00Z</cr:until></cr:validity>';
    const doc = ruleset(['a', who + validity, 'allow']);
    assert.equal(decide(doc, 'sip:bob@example.com', Date.parse('2026-01-15T00:00:00Z')), 'allow');
    assert.equal(decide(doc, 'sip:bob@example.com', Date.parse('2026-03-01T00:00:00Z')), 'confirm');
    assert.equal(decide(ruleset(['a', `${who}<cr:sphere value="work"/>`, 'allow']), 'sip:bob@example.com'), 'confirm');
    assert.equal(decide(ruleset(['a', `${who}<z:odd xmlns:z="urn:z"/>`, 'allow']), 'sip:bob@example.com'), 'confirm');
  });

  it('refuses a document with duplicate rule ids or a bad sub-handling value (409 bodies)', () => {
    const check = (doc: string): string => {
      try {
        USAGES['pres-rules'].validate(parseXml(doc));
        return 'valid';
      } catch (err) {
        if (err instanceof XcapConflict) return err.body();
        throw err;
      }
    };
    assert.match(check(ruleset(['a', ''], ['a', ''])), /<uniqueness-failure phrase="[^"]*"><exists field="ruleset\/rule\[@id=&quot;a&quot;\]\/@id"\/><\/uniqueness-failure>/);
    assert.match(check(ruleset(['a', '', 'maybe'])), /<schema-validation-error phrase="&lt;sub-handling&gt; must be one of/);
    assert.match(check(ruleset(['a', '<cr:identity><cr:one/></cr:identity>'])), /schema-validation-error/);
    assert.match(check(ruleset(['a', '<cr:identity><cr:many><cr:except/></cr:many></cr:identity>'])), /schema-validation-error/);
    assert.match(check(`<ruleset xmlns="urn:wrong"/>`), /schema-validation-error/);
    assert.match(check(`<?xml version="1.0"?><ruleset xmlns="${CP}"><rule/></ruleset>`), /needs an id/);
    assert.equal(check(ruleset(['a', ''], ['b', ''])), 'valid');
  });
});
