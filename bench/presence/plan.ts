/**
 * Who watches whom in bench:presence: P presentities, W watchers, K watchers per
 * presentity. Watcher w watches the S/W presentities that follow w*S/W (modulo P), so
 * every presentity is watched by exactly K distinct watchers and every watcher holds the
 * same number of subscriptions (a phone with that many BLF/buddy lamps).
 */
export interface User {
  user: string;
  password: string;
}

export interface Plan {
  presentities: User[];
  watchers: User[];
  /** per watcher, the indexes of the presentities it watches */
  watches: number[][];
  /** per presentity, the indexes of its watchers */
  watchedBy: number[][];
}

export function makePlan(p: number, w: number, k: number, secret: string): Plan {
  const total = p * k;
  if (total % w !== 0) throw new Error(`${p} presentities x ${k} watchers each do not divide among ${w} watchers`);
  const per = total / w;
  if (per > p) throw new Error(`each watcher would watch ${per} presentities, more than the ${p} there are`);
  const pad = (i: number): string => String(i + 1).padStart(5, '0');
  const presentities = Array.from({ length: p }, (_, i) => ({ user: `p${pad(i)}`, password: `pw-p${pad(i)}-${secret}` }));
  const watchers = Array.from({ length: w }, (_, i) => ({ user: `w${pad(i)}`, password: `pw-w${pad(i)}-${secret}` }));
  const watches = watchers.map((_, i) => Array.from({ length: per }, (__, j) => (i * per + j) % p));
  const watchedBy: number[][] = presentities.map(() => []);
  watches.forEach((list, i) => list.forEach((t) => watchedBy[t].push(i)));
  return { presentities, watchers, watches, watchedBy };
}

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';

/**
 * The presentity's pres-rules (RFC 5025 on RFC 4745): one rule allowing its watchers by
 * identity, with the full document (persons and services), as a user's client writes it.
 */
export function presRules(watcherUris: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><cp:ruleset xmlns:cp="${CP}" xmlns:pr="${PR}">`
    + '<cp:rule id="buddies"><cp:conditions><cp:identity>'
    + watcherUris.map((u) => `<cp:one id="${u}"/>`).join('')
    + '</cp:identity></cp:conditions><cp:actions><pr:sub-handling>allow</pr:sub-handling></cp:actions>'
    + '<cp:transformations><pr:provide-persons><pr:all-persons/></pr:provide-persons>'
    + '<pr:provide-services><pr:all-services/></pr:provide-services></cp:transformations></cp:rule></cp:ruleset>';
}

/** A PIDF (RFC 3863) with RPID (RFC 4480) as a phone publishes it; `marker` in the note tells its NOTIFYs apart. */
export function pidf(entity: string, marker: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\r\n'
    + '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
    + `xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${entity}">\r\n`
    + `<tuple id="t1"><status><basic>open</basic></status><note>${marker}</note></tuple>\r\n`
    + '<dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities></dm:person>\r\n'
    + '</presence>\r\n';
}

/** The marker of a publication found in a NOTIFY's body, if any (a plain search, bounded by the body). */
export function markerIn(body: string): string | undefined {
  const i = body.indexOf(MARKER);
  if (i === -1) return undefined;
  let j = i + MARKER.length;
  while (j < body.length && j < i + 40 && body.charCodeAt(j) >= 48 && body.charCodeAt(j) <= 57) j++;
  return body.slice(i, j);
}

export const MARKER = 'bench-pub-';
