import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Debian's chromium (scripts/ensure-deps.sh); CHROMIUM_BIN names another. No browser is downloaded. */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export interface ConsoleBrowser {
  /** the console's base URL on the fixture's server */
  base(): string;
  text(selector: string): Promise<string>;
  /** waits (on the page's own rendering, not a timer) until `selector` exists and its text satisfies the pattern */
  waitText(selector: string, pattern: RegExp, timeout?: number): Promise<string>;
  /**
   * Opens the console and logs in (the account's token and tenant unless given); resolves
   * once the page is live, or, with `live: false`, once the form is sent (a token the
   * server refuses).
   */
  login(opts?: { token?: string; live?: boolean }): Promise<void>;
}

/** Who the console logs in as. */
export interface ConsoleAccount {
  token: string;
  tenant: string;
}

/**
 * The console browser tests' shared harness (issue 20): one headless chromium for the
 * describe block, a fresh page per test handed to `onPage`, closed after it.
 */
export function consoleBrowser(server: () => { httpPort: number }, viewport: { width: number; height: number },
  onPage: (page: Page) => void, account: ConsoleAccount): ConsoleBrowser {
  let browser: Browser | undefined;
  let page: Page | undefined;
  before(async function () {
    this.timeout(60000);
    if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (scripts/ensure-deps.sh installs it)`);
    // --no-sandbox: test machines and containers run as root, where chromium's sandbox refuses to start
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    if (!browser) throw new Error('no browser');
    page = await browser.newPage();
    await page.setViewport(viewport);
    onPage(page);
  });
  afterEach(async () => page?.close());

  const current = (): Page => {
    if (!page) throw new Error('no page');
    return page;
  };
  const text = (selector: string): Promise<string> => current().$eval(selector, (e) => e.textContent ?? '');
  const base = (): string => `http://127.0.0.1:${server().httpPort}`;
  const waitText = async (selector: string, pattern: RegExp, timeout = 20000): Promise<string> => {
    await current().waitForFunction((sel: string, src: string) => {
      const el = document.querySelector(sel);
      return el !== null && new RegExp(src).test(el.textContent ?? '');
    }, { timeout }, selector, pattern.source);
    return text(selector);
  };
  return {
    base,
    text,
    waitText,
    async login(opts = {}) {
      const p = current();
      await p.goto(`${base()}/console`);
      await p.type('#token', opts.token ?? account.token);
      await p.type('#tenant', account.tenant);
      await p.click('#login');
      if (opts.live !== false) await waitText('#status', /^live$/);
    },
  };
}
