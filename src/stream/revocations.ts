// One AbortSignal per API token with open streams: revoking the token aborts it, and every stream
// of that token in this process closes at once (other processes' streams close at their next
// heartbeat, when they find the token gone).
export interface Revocations {
  signal(tokenId: number): AbortSignal;
  revoke(tokenId: number): void;
}

export function createRevocations(): Revocations {
  const controllers = new Map<number, AbortController>();
  return {
    signal(tokenId) {
      let controller = controllers.get(tokenId);
      if (!controller) {
        controller = new AbortController();
        controllers.set(tokenId, controller);
      }
      return controller.signal;
    },
    revoke(tokenId) {
      controllers.get(tokenId)?.abort();
      controllers.delete(tokenId);
    },
  };
}
