// An HTTP proxy on 127.0.0.1 in front of a gateway, with a gate: while it is shut, /buy-pass
// requests wait (a run stands still on its first purchase, as long as the test needs); opening it
// lets them through. Everything else is forwarded at once, unchanged.
import { startForwardingProxy } from './forwarding-proxy.js';

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
  let shut = false;
  const held: (() => void)[] = [];
  const proxy = await startForwardingProxy(target, (path) =>
    shut && path.startsWith('/buy-pass') ? new Promise<void>((release) => held.push(release)) : undefined,
  );
  return {
    url: proxy.url,
    shut: () => {
      shut = true;
    },
    open: () => {
      shut = false;
      for (const release of held.splice(0)) release();
    },
    waiting: () => held.length,
    close: () => {
      // The requests still held never go out: their connections are closed with the proxy.
      held.length = 0;
      return proxy.close();
    },
  };
}
