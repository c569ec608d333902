/**
 * The domain allow-list: which pages may load a widget and mint visitor credentials. A browser
 * names the page in `Origin` (fetches) or `Referer` (script tags); either must be an allowed host,
 * or this platform's own host (the hosted share page). Neither header: refused, since every
 * browser sends one and the widget is for browsers.
 */

/** The page's origin, from `Origin` else `Referer`; undefined when neither parses. */
export function pageOrigin(origin: string | undefined, referer: string | undefined): URL | undefined {
  for (const v of [origin, referer]) {
    if (!v || v === 'null') continue;
    try {
      const u = new URL(v);
      if (u.protocol === 'http:' || u.protocol === 'https:') return u;
    } catch {
      /* try the next header */
    }
  }
  return undefined;
}

/**
 * Is `page` allowed? An entry matches its host name exactly (any port); `*.example.com` matches
 * its subdomains. `ownHost` (the request's `Host`, host:port) is always allowed: our own pages.
 */
export function originAllowed(allowedDomains: readonly string[], page: URL | undefined, ownHost: string | undefined): boolean {
  if (!page) return false;
  if (ownHost && page.host.toLowerCase() === ownHost.toLowerCase()) return true;
  const host = page.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return allowedDomains.some((d) => {
    const entry = d.toLowerCase();
    return entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry;
  });
}

/** A host name the allow-list accepts: `example.com`, `*.example.com`, `localhost`, an IPv4 address. */
export const ALLOWED_DOMAIN_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
