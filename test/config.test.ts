// Tests environment parsing: defaults, durations, and one-line messages for bad values.
import { describe, expect, it } from 'vitest';
import { configVariables, parseConfig, type Config, type Environment } from '../src/config.js';
import { parseDuration } from '../src/duration.js';

const VALID_KEY = 'q83vEjRWeJASNFZ4kKvN7xI0VniQq83vEjRWeJASNFY=';
const VALID_URL_SAFE_KEY = '-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8';

function configOf(env: Environment): Config {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.message}`);
  return result.config;
}

function messageOf(env: Environment): string {
  const result = parseConfig(env);
  if (result.ok) throw new Error(`expected a bad config for ${JSON.stringify(env)}`);
  return result.message;
}

describe('parseDuration', () => {
  it.each([
    ['500', 500],
    ['0', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['30d', 2_592_000_000],
  ])('parses %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['soon', '-1', '1.5h', '10 s', '', '1e3', '1h30m', ' 5', '5 ', '5S', 'h', '99999999999999999999d'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('parseConfig', () => {
  it('applies every default when the environment is empty', () => {
    expect(configOf({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      databasePath: './data/autopurchase.db',
      adminToken: undefined,
      credentialKey: undefined,
      gateway: 'sandbox',
      gatewayUrl: undefined,
      gatewaySecret: '',
      gatewayTimeoutMs: 15_000,
      gatewayMaxAttempts: 4,
      purchaseDelayMs: 10_000,
      heartbeatMs: 15_000,
      streamStallMs: 30_000,
      progressRetentionMs: 3_600_000,
      historyRetentionMs: 2_592_000_000,
      cleanupIntervalMs: 600_000,
      notifyWebhookUrl: undefined,
      notifyWebhookSecret: undefined,
      metricsToken: undefined,
      maxConnections: 10_000,
      maxStreamsPerClient: 100,
      watchOrigins: [],
      logLevel: 'info',
    } satisfies Config);
  });

  it('treats an empty string as unset', () => {
    const empty = Object.fromEntries(configVariables.map((name) => [name, '']));
    expect(configOf(empty)).toEqual(configOf({}));
  });

  it('ignores unknown variables', () => {
    expect(configOf({ PATH: '/usr/bin', PORTX: 'abc' })).toEqual(configOf({}));
  });

  it.each([
    ['500', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['30d', 2_592_000_000],
  ])('reads duration %s as %i ms', (text, ms) => {
    expect(configOf({ HEARTBEAT_MS: text }).heartbeatMs).toBe(ms);
    expect(configOf({ HISTORY_RETENTION: text }).historyRetentionMs).toBe(ms);
  });

  it('reads explicit values', () => {
    const config = configOf({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_PATH: '/var/lib/ap.db',
      ADMIN_TOKEN: 'abcdefghijklmnop',
      CREDENTIAL_KEY: VALID_KEY,
      GATEWAY_SECRET: 's3cret',
      GATEWAY_MAX_ATTEMPTS: '20',
      PURCHASE_DELAY_MS: '0',
      NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/run',
      NOTIFY_WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      MAX_CONNECTIONS: '5',
      MAX_STREAMS_PER_CLIENT: '2',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databasePath: '/var/lib/ap.db',
      adminToken: 'abcdefghijklmnop',
      credentialKey: VALID_KEY,
      gatewaySecret: 's3cret',
      gatewayMaxAttempts: 20,
      purchaseDelayMs: 0,
      notifyWebhookUrl: 'https://hooks.example.com/run',
      maxConnections: 5,
      maxStreamsPerClient: 2,
      logLevel: 'debug',
    });
  });

  it('accepts a url-safe credential key', () => {
    expect(configOf({ CREDENTIAL_KEY: VALID_URL_SAFE_KEY }).credentialKey).toBe(VALID_URL_SAFE_KEY);
  });

  it('strips the trailing slash of GATEWAY_URL when GATEWAY=http', () => {
    const config = configOf({ GATEWAY: 'http', GATEWAY_URL: 'https://pay.example.com/api/', GATEWAY_SECRET: 's3cret' });
    expect(config.gateway).toBe('http');
    expect(config.gatewayUrl).toBe('https://pay.example.com/api');
  });

  it.each<[string, Environment]>([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '0' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '30.5' }],
    ['PURCHASE_DELAY_MS', { PURCHASE_DELAY_MS: '-1' }],
    ['GATEWAY', { GATEWAY: 'foo' }],
    ['GATEWAY_URL', { GATEWAY: 'http' }],
    ['GATEWAY_URL', { GATEWAY: 'http', GATEWAY_URL: 'ftp://x' }],
    ['GATEWAY_TIMEOUT_MS', { GATEWAY_TIMEOUT_MS: '0' }],
    ['GATEWAY_MAX_ATTEMPTS', { GATEWAY_MAX_ATTEMPTS: '21' }],
    ['HEARTBEAT_MS', { HEARTBEAT_MS: '0' }],
    ['PROGRESS_RETENTION', { PROGRESS_RETENTION: 'soon' }],
    ['NOTIFY_WEBHOOK_URL', { NOTIFY_WEBHOOK_URL: 'not a url' }],
    ['NOTIFY_WEBHOOK_SECRET', { NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/in' }],
    ['NOTIFY_WEBHOOK_SECRET', { NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/in', NOTIFY_WEBHOOK_SECRET: 'short' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'short' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['MAX_CONNECTIONS', { MAX_CONNECTIONS: '0' }],
    ['MAX_CONNECTIONS', { MAX_CONNECTIONS: 'many' }],
    ['MAX_CONNECTIONS', { MAX_CONNECTIONS: '1000001' }],
    ['MAX_STREAMS_PER_CLIENT', { MAX_STREAMS_PER_CLIENT: '0' }],
    ['MAX_STREAMS_PER_CLIENT', { MAX_STREAMS_PER_CLIENT: '-3' }],
    ['MAX_STREAMS_PER_CLIENT', { MAX_STREAMS_PER_CLIENT: '2.5' }],
    ['CREDENTIAL_KEY', { CREDENTIAL_KEY: 'short' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'abc' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'has a space in the middle' }],
    ['WATCH_ORIGINS', { WATCH_ORIGINS: 'shop.example' }],
    ['WATCH_ORIGINS', { WATCH_ORIGINS: 'https://shop.example/page' }],
    ['WATCH_ORIGINS', { WATCH_ORIGINS: 'https://shop.example, ftp://files.example' }],
    ['WATCH_ORIGINS', { WATCH_ORIGINS: '*' }],
    ['WATCH_ORIGINS', { WATCH_ORIGINS: 'null' }],
    ['WATCH_ORIGINS', { WATCH_ORIGINS: 'https://shop.example?x=1' }],
    ['WATCH_ORIGINS', { WATCH_ORIGINS: 'https://user@shop.example' }],
  ])('rejects a bad %s in %j with a one-line message', (name, env) => {
    const message = messageOf(env);
    expect(message.startsWith(`${name} `)).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('says what each variable accepts and echoes the bad value', () => {
    expect(messageOf({ PORT: 'abc' })).toBe('PORT must be an integer from 1 to 65535 (got "abc")');
    expect(messageOf({ PURCHASE_DELAY_MS: '-1' })).toBe(
      'PURCHASE_DELAY_MS must be a duration: milliseconds like 500 or 30s, 15m, 1h, 30d (got "-1")',
    );
    expect(messageOf({ GATEWAY: 'foo' })).toBe('GATEWAY must be one of: sandbox, http (got "foo")');
    expect(messageOf({ GATEWAY: 'http' })).toBe('GATEWAY_URL is required when GATEWAY=http');
    expect(messageOf({ GATEWAY: 'http', GATEWAY_URL: 'https://pay.example.com' })).toBe(
      'GATEWAY_SECRET is required when GATEWAY=http (sent as x-internal-secret)',
    );
    expect(messageOf({ LOG_LEVEL: 'loud' })).toBe(
      'LOG_LEVEL must be one of: debug, info, warn, error, silent (got "loud")',
    );
    expect(messageOf({ MAX_CONNECTIONS: '0' })).toBe('MAX_CONNECTIONS must be an integer from 1 to 1000000 (got "0")');
    expect(messageOf({ MAX_STREAMS_PER_CLIENT: 'lots' })).toBe('MAX_STREAMS_PER_CLIENT must be an integer from 1 to 100000 (got "lots")');
  });

  it('requires a signing secret with the webhook, and reads both new secrets', () => {
    expect(messageOf({ NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/in' })).toBe(
      'NOTIFY_WEBHOOK_SECRET is required when NOTIFY_WEBHOOK_URL is set (each delivery is signed with it)',
    );
    const config = configOf({
      NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/in',
      NOTIFY_WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      METRICS_TOKEN: 'metrics-0123456789abcdef',
    });
    expect(messageOf({ ADMIN_TOKEN: 'same-token-0123456789', METRICS_TOKEN: 'same-token-0123456789' })).toBe(
      'METRICS_TOKEN must differ from ADMIN_TOKEN (a scraper would otherwise hold the admin token)',
    );
    expect(config.notifyWebhookSecret).toBe('whsec-0123456789abcdef');
    expect(config.metricsToken).toBe('metrics-0123456789abcdef');
  });

  it('keeps a bad value with a newline on one line', () => {
    expect(messageOf({ HOST: 'x', PORT: '80\n80' })).toBe('PORT must be an integer from 1 to 65535 (got "80\\n80")');
  });

  it.each<[string, Environment, string]>([
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'tooShortSecret' }, 'tooShortSecret'],
    ['CREDENTIAL_KEY', { CREDENTIAL_KEY: 'notBase64ButSecret!' }, 'notBase64ButSecret'],
    // 32 bytes of base64 with one extra character: the right alphabet, the wrong length.
    ['CREDENTIAL_KEY', { CREDENTIAL_KEY: `${VALID_KEY.slice(0, 43)}A` }, VALID_KEY.slice(0, 43)],
    ['NOTIFY_WEBHOOK_URL', { NOTIFY_WEBHOOK_URL: 'hooks.example.com/T0/tokenXYZ' }, 'tokenXYZ'],
    ['NOTIFY_WEBHOOK_SECRET', { NOTIFY_WEBHOOK_SECRET: 'hmac key 123' }, 'hmac key 123'],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'scrapeMe!' }, 'scrapeMe!'],
  ])('never echoes the value of %s', (name, env, secret) => {
    const message = messageOf(env);
    expect(message.startsWith(`${name} `)).toBe(true);
    expect(message).not.toContain(secret);
  });

  it('rejects base64 that does not decode to exactly 32 bytes', () => {
    const thirtyOneBytes = 'q83vEjRWeJASNFZ4kKvN7xI0VniQq83vEjRWeJASNA==';
    const nonCanonical = `${VALID_KEY.slice(0, 42)}Z=`;
    expect(messageOf({ CREDENTIAL_KEY: thirtyOneBytes })).toMatch(/^CREDENTIAL_KEY /);
    expect(messageOf({ CREDENTIAL_KEY: nonCanonical })).toMatch(/^CREDENTIAL_KEY /);
  });

  it('reports only the first bad variable, in the documented order', () => {
    const message = messageOf({ LOG_LEVEL: 'loud', PURCHASE_DELAY_MS: '-1', GATEWAY: 'http', PORT: 'abc' });
    expect(message).toMatch(/^PORT /);
    expect(messageOf({ LOG_LEVEL: 'loud', PURCHASE_DELAY_MS: '-1', GATEWAY: 'http' })).toBe(
      'GATEWAY_URL is required when GATEWAY=http',
    );
  });

  it('lists every variable once, in order', () => {
    expect(configVariables[0]).toBe('PORT');
    expect(configVariables.at(-1)).toBe('LOG_LEVEL');
    expect(new Set(configVariables).size).toBe(23);
  });

  it('reads WATCH_ORIGINS as the origins a browser sends: trimmed, lower case, no default port, no trailing slash, once each', () => {
    expect(configOf({ WATCH_ORIGINS: 'https://shop.example' }).watchOrigins).toEqual(['https://shop.example']);
    expect(configOf({ WATCH_ORIGINS: ' https://Shop.Example/ , http://localhost:8080,https://shop.example:443,' }).watchOrigins).toEqual([
      'https://shop.example',
      'http://localhost:8080',
    ]);
    expect(configOf({ WATCH_ORIGINS: 'http://[::1]:5173' }).watchOrigins).toEqual(['http://[::1]:5173']);
  });

  it('names WATCH_ORIGINS and echoes the bad list', () => {
    expect(messageOf({ WATCH_ORIGINS: 'https://shop.example/watch' })).toBe(
      'WATCH_ORIGINS must be a comma-separated list of origins such as https://shop.example (a scheme, a host, an optional port; no path) (got "https://shop.example/watch")',
    );
  });
});
