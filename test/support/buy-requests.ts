// A purchase request for the gateway tests: every call a new invoice and idempotency key, so no
// test meets an answer another one stored.
import type { BuyRequest } from '../../src/gateway/gateway.js';

let counter = 0;

export function buyRequest(overrides: Partial<BuyRequest> = {}): BuyRequest {
  counter += 1;
  return {
    credential: 'sandbox:alice:1000',
    invoiceId: `INV-${counter}`,
    gamepassId: 500 + counter,
    gamepassName: 'Sword pass',
    price: 100,
    sellerId: 77,
    idempotencyKey: `key-${counter}-${crypto.randomUUID()}`,
    ...overrides,
  };
}
