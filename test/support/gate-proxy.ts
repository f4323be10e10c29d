// An HTTP proxy on 127.0.0.1 in front of a gateway, with a gate: while it is shut, /buy-pass
// requests wait (a run stands still on its first purchase, as long as the test needs); opening it
// lets them through. Everything else is forwarded at once, unchanged.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface GateProxy {
  url: string;
  /** Holds the next /buy-pass requests until `open`. */
  shut(): void;
  open(): void;
  /** /buy-pass requests waiting at the gate now. */
  waiting(): number;
  close(): Promise<void>;
}

export async function startGateProxy(target: string): Promise<GateProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let shut = false;
  const held: (() => void)[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    if (res.destroyed) return;
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
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
      const go = () => forward(req, res, Buffer.concat(chunks));
      if (shut && (req.url ?? '').startsWith('/buy-pass')) held.push(go);
      else go();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    shut: () => {
      shut = true;
    },
    open: () => {
      shut = false;
      for (const go of held.splice(0)) go();
    },
    waiting: () => held.length,
    close: () =>
      new Promise<void>((resolve) => {
        held.length = 0;
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
