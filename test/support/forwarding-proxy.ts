// An HTTP proxy on 127.0.0.1 that forwards every request to a target unchanged (method, path,
// headers, body) and answers with the target's answer. The latency and gate proxies are this one
// with a `hold` that makes some requests wait; a client that goes away aborts the forwarded request.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally } from './local-server.js';

export interface ForwardingProxy {
  url: string;
  /** How many requests were forwarded so far. */
  forwarded(): number;
  /** Closes the server and every open connection; calling it again answers the same promise. */
  close(): Promise<void>;
}

/** Answers how long a request waits before it is forwarded: undefined (not at all) or a promise. */
export type Hold = (path: string) => Promise<void> | undefined;

export async function startForwardingProxy(target: string, hold: Hold = () => undefined): Promise<ForwardingProxy> {
  const upstream = new URL(target);
  let count = 0;
  const forward = (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => {
    if (res.destroyed) return;
    count++;
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    out.end(body);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const path = req.url ?? '/';
      const go = () => forward(req, res, path, Buffer.concat(chunks));
      const held = hold(path);
      if (held) void held.then(go);
      else go();
    });
  });
  const listening = await listenLocally(server);
  return { url: listening.url, forwarded: () => count, close: listening.close };
}
