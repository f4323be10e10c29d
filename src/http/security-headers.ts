// The security headers every answer carries (API, pages, files, the stream): no MIME sniffing, no
// framing, and a Content-Security-Policy the built admin client runs under.
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

export function securityHeaders(): MiddlewareHandler {
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // Solid's `style={{…}}`, Kobalte and uPlot set styles through the CSSOM, which CSP allows: no
      // 'unsafe-inline' (test/browser/content-security-policy.test.ts walks the pages for violations).
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    // Not `no-referrer`: under it a browser sends `Origin: null` on the page's own POSTs, which the
    // same-origin check on cookie-authenticated requests would refuse.
    referrerPolicy: 'same-origin',
    // HSTS is for whoever terminates TLS (a reverse proxy); this server speaks plain HTTP.
    strictTransportSecurity: false,
  });
  return async (c, next) => {
    await headers(c, next);
    // The watch page's address holds a watch link's token, and it only reads (GETs, no cookie): it
    // sends no Referer at all, not even to this server.
    if (c.req.path.startsWith('/watch/')) c.header('Referrer-Policy', 'no-referrer');
  };
}
