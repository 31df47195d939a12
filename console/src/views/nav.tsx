import { useEffect, useState } from 'preact/hooks';

/** The console's pages, by URL fragment (`#/tenant`): a reload or a bookmark lands on the same page. */
export type Page = 'live' | 'tenant';

function pageOf(hash: string): Page {
  return hash === '#/tenant' ? 'tenant' : 'live';
}

/** The page the URL fragment names, following it as it changes (links, back and forward). */
export function usePage(): Page {
  const [page, setPage] = useState(pageOf(location.hash));
  useEffect(() => {
    const follow = (): void => setPage(pageOf(location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return page;
}

/** Links between the live page and the tenant page; the current one is marked for assistive technology too. */
export function Nav(props: { page: Page }) {
  const link = (page: Page, href: string, label: string) => (
    <a id={`nav-${page}`} href={href} aria-current={props.page === page ? 'page' : undefined}>{label}</a>
  );
  return (
    <nav class="pages" aria-label="pages">
      {link('live', '#/', 'Live calls')}
      {link('tenant', '#/tenant', 'Tenant')}
    </nav>
  );
}
