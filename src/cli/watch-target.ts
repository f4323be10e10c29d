// What `autopurchase watch <arg>` follows: a session id on the configured server, or a watch link as
// copied (the page `…/watch/<id>?access_token=…`, or its `eventsUrl`), which needs no admin token.

/** The query parameter a watch link carries its capability in (src/http/access.ts reads the same). */
export const accessTokenParam = 'access_token';

export interface WatchTarget {
  /** The run's event stream. */
  streamUrl: string;
  sessionId: string;
  /** A watch link's capability (always non-empty for a link; then no Authorization header is sent). */
  accessToken?: string;
  /** What to show for the stream in a message: the URL without its query. */
  shown: string;
}

const PAGE = /^\/watch\/([^/]+)\/?$/;
const PROGRESS = /^\/api\/auto-purchase\/progress\/([^/]+)(?:\/events)?\/?$/;

/** True when `arg` is a URL rather than a session id. */
export function looksLikeUrl(arg: string): boolean {
  return /^https?:\/\//i.test(arg);
}

/** The stream of run `sessionId` on the server at `serverUrl`. */
export function sessionTarget(serverUrl: string, sessionId: string): WatchTarget {
  const streamUrl = `${serverUrl.replace(/\/$/, '')}/api/auto-purchase/progress/${encodeURIComponent(sessionId)}/events`;
  return { streamUrl, sessionId, shown: withoutQuery(streamUrl) };
}

/** The stream a watch link (page, snapshot or events URL) opens; an error message when it is no such
 *  link, including a URL with no or an empty access_token. */
export function linkTarget(link: string): WatchTarget | { error: string } {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return { error: 'not a URL' };
  }
  const match = PAGE.exec(url.pathname) ?? PROGRESS.exec(url.pathname);
  if (!match) return { error: `not a watch link: expected …/watch/<sessionId>?${accessTokenParam}=… (got ${withoutQuery(link)})` };
  let sessionId: string;
  try {
    sessionId = decodeURIComponent(match[1]!);
  } catch {
    return { error: `not a watch link: its session id is not valid percent-encoding (got ${withoutQuery(link)})` };
  }
  // A URL is only ever followed with its own capability: the admin token is never sent to a host a
  // pasted URL names (it could be anyone's), so a URL without a non-empty access_token is refused.
  const accessToken = url.searchParams.get(accessTokenParam);
  if (!accessToken) return { error: `this is not a watch link: it has no ${accessTokenParam} (got ${withoutQuery(link)}); to follow a run with the admin token, pass its session id (and --url)` };
  const stream = new URL(`/api/auto-purchase/progress/${encodeURIComponent(sessionId)}/events`, url);
  // Only the capability travels on: the page's other parameters mean nothing to the stream.
  stream.searchParams.set(accessTokenParam, accessToken);
  return { streamUrl: stream.href, sessionId, accessToken, shown: withoutQuery(stream.href) };
}

/** A URL as it may be printed: no query, no fragment, no user:password. */
export function withoutQuery(text: string): string {
  try {
    const url = new URL(text);
    return `${url.origin}${url.pathname}`;
  } catch {
    return text.replace(/[?#].*$/s, '');
  }
}
