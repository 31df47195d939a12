import type { Page, SerializedAXNode } from 'puppeteer-core';

/** Roles a user operates, which assistive technology must be able to name (WCAG 4.1.2). */
const OPERATED = new Set(['button', 'link', 'textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'switch', 'tab', 'spinbutton', 'slider', 'menuitem', 'img']);

/** Controls and images in the page's accessibility tree (as Chromium exposes it) that have no name. */
export async function namelessControls(page: Page): Promise<string[]> {
  const root = await page.accessibility.snapshot({ interestingOnly: true });
  const out: string[] = [];
  const walk = (n: SerializedAXNode | null | undefined, path: string): void => {
    if (!n) return;
    const here = `${path} > ${n.role}`;
    if (OPERATED.has(n.role) && !(n.name ?? '').trim()) out.push(here);
    for (const c of n.children ?? []) walk(c, here);
  };
  walk(root, 'page');
  return out;
}

/**
 * Text on screen whose contrast with what is behind it is below WCAG 2.1 AA (1.4.3):
 * 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). Disabled controls are exempt,
 * as the criterion says. The background is the nearest opaque one up the tree, with the
 * translucent ones on the way blended in (background images are not used by the console).
 */
export function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (c: string): Rgba => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3];
      return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1];
    };
    const background = (el: Element | null): Rgba => {
      const layers: Rgba[] = [];
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      let result: Rgba = [255, 255, 255, 1]; // the canvas
      for (const l of layers.reverse()) result = over(l, result);
      return result;
    };
    const luminance = (c: Rgba): number => {
      const lin = (v: number): number => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    };
    const out: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const own = Array.from(el.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join('').trim();
      if (!own || el.closest('option, svg, script, style, [aria-hidden="true"]')) continue;
      if (el.closest('button:disabled, input:disabled, select:disabled, textarea:disabled, fieldset:disabled')) continue;
      const style = getComputedStyle(el);
      if (style.visibility !== 'visible' || el.getClientRects().length === 0) continue;
      const bg = background(el);
      const fg = over(parse(style.color), bg);
      const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        const where = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
        out.push(`${where} "${own.slice(0, 40)}": ${ratio.toFixed(2)}:1 (${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(', ')}))`);
      }
    }
    return out;
  });
}

/** What has the focus now: its tag, id and classes (for messages and waits). */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('class') ? `.${el.getAttribute('class')!.trim().split(/\s+/).join('.')}` : ''}`;
  });
}

/**
 * Whether the focused element is on screen and drawn as focused (an outline or a box
 * shadow; WCAG 2.4.7), as a keyboard user sees it after Tab.
 */
export function focusShows(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body || el.getClientRects().length === 0) return false;
    const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  });
}

/**
 * Presses Tab (Shift+Tab with `back`) until the focus is on an element matching
 * `selector`, at most `max` times; every element it stops at on the way must show its
 * focus. Returns the elements that did not.
 */
export async function tabTo(page: Page, selector: string, opts: { back?: boolean; max?: number } = {}): Promise<string[]> {
  const unseen: string[] = [];
  for (let i = 0; i < (opts.max ?? 60); i++) {
    if (opts.back) {
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
    } else {
      await page.keyboard.press('Tab');
    }
    // A stop on the document itself is no element without a ring: the focus was lost (its
    // element re-rendered away) or left the page. Seen once under CI load, cause not yet
    // known; the next Tab starts again from the top, and the walk goes on.
    if (!(await focusShows(page)) && (await focused(page)) !== 'body') unseen.push(await focused(page));
    if (await page.evaluate((sel: string) => document.activeElement?.matches(sel) ?? false, selector)) return unseen;
  }
  throw new Error(`Tab never reached ${selector} (the focus is on ${await focused(page)})`);
}
