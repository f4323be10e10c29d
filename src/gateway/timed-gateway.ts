// A Gateway that times each call for the metrics (account / purchase / lookup) and passes it on
// unchanged: answers, refusals and errors reach the caller as the wrapped gateway gave them.
import type { GatewayCall, GatewayResult, Metrics } from '../domain/metrics.js';
import type { Gateway } from './gateway.js';

export function timedGateway(gateway: Gateway, metrics: Pick<Metrics, 'gatewayCall'>): Gateway {
  const timed = async <T>(call: GatewayCall, run: () => Promise<T>, resultOf: (answer: T) => GatewayResult): Promise<T> => {
    const started = performance.now();
    try {
      const answer = await run();
      metrics.gatewayCall(call, (performance.now() - started) / 1000, resultOf(answer));
      return answer;
    } catch (error) {
      metrics.gatewayCall(call, (performance.now() - started) / 1000, 'error');
      throw error;
    }
  };
  return {
    kind: gateway.kind,
    verifyAccount: (credential, options) => timed('account', () => gateway.verifyAccount(credential, options), (r) => (r.ok ? 'ok' : 'refused')),
    buyPass: (request, options) => timed('purchase', () => gateway.buyPass(request, options), (r) => (r.success ? 'ok' : 'refused')),
    lookupPurchase: (key, options) => timed('lookup', () => gateway.lookupPurchase(key, options), () => 'ok'),
  };
}
