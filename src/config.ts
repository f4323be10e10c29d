// Reads and validates the server's settings from a plain environment object (SPEC §7); no I/O here.
import { logLevels, type LogLevel } from './logger.js';
import * as v from 'valibot';
import { parseDuration } from './duration.js';

/** Every variable the server reads, in the order they are validated and documented. */
export const configVariables = [
  'PORT',
  'HOST',
  'DATABASE_PATH',
  'ADMIN_TOKEN',
  'CREDENTIAL_KEY',
  'GATEWAY',
  'GATEWAY_URL',
  'GATEWAY_SECRET',
  'GATEWAY_TIMEOUT_MS',
  'GATEWAY_MAX_ATTEMPTS',
  'PURCHASE_DELAY_MS',
  'HEARTBEAT_MS',
  'STREAM_STALL_MS',
  'PROGRESS_RETENTION',
  'HISTORY_RETENTION',
  'CLEANUP_INTERVAL_MS',
  'NOTIFY_WEBHOOK_URL',
  'NOTIFY_WEBHOOK_SECRET',
  'METRICS_TOKEN',
  'MAX_CONNECTIONS',
  'MAX_STREAMS_PER_CLIENT',
  'WATCH_ORIGINS',
  'LOG_LEVEL',
] as const;

export type ConfigVariable = (typeof configVariables)[number];

export const gatewayKinds = ['sandbox', 'http'] as const;
export type GatewayKind = (typeof gatewayKinds)[number];


export type Environment = Record<string, string | undefined>;

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databasePath: string;
  /** Undefined when unset: start-up generates one. */
  readonly adminToken: string | undefined;
  /** Base64 of 32 bytes; undefined when unset: start-up generates one. */
  readonly credentialKey: string | undefined;
  readonly gateway: GatewayKind;
  /** Without trailing slash; always set when `gateway` is `http`. */
  readonly gatewayUrl: string | undefined;
  readonly gatewaySecret: string;
  readonly gatewayTimeoutMs: number;
  readonly gatewayMaxAttempts: number;
  readonly purchaseDelayMs: number;
  readonly heartbeatMs: number;
  readonly streamStallMs: number;
  readonly progressRetentionMs: number;
  readonly historyRetentionMs: number;
  readonly cleanupIntervalMs: number;
  readonly notifyWebhookUrl: string | undefined;
  /** The HMAC key each webhook delivery is signed with; set whenever `notifyWebhookUrl` is. */
  readonly notifyWebhookSecret: string | undefined;
  /** A bearer token that may read GET /metrics only (besides the admin credentials). */
  readonly metricsToken: string | undefined;
  /** Open sockets the server accepts at once; more are closed as they arrive (SPEC §11). */
  readonly maxConnections: number;
  /** Open progress streams one credential may hold; more answer 429. */
  readonly maxStreamsPerClient: number;
  /** Origins (`https://shop.example`) whose pages may follow a run by watch link (CORS); none by default. */
  readonly watchOrigins: readonly string[];
  readonly logLevel: LogLevel;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

/** Values never echoed in messages (webhook URLs often carry a token in their path). */
const SENSITIVE_VARIABLES: ReadonlySet<string> = new Set<ConfigVariable>([
  'ADMIN_TOKEN',
  'CREDENTIAL_KEY',
  'GATEWAY_SECRET',
  'NOTIFY_WEBHOOK_URL',
  'NOTIFY_WEBHOOK_SECRET',
  'METRICS_TOKEN',
]);

const DURATION_FORMS = 'milliseconds like 500 or 30s, 15m, 1h, 30d';

// 32 bytes are 43 base64 characters (the last one ends in 2 zero bits) plus an optional "=".
const BASE64_32_BYTES = /^(?:[A-Za-z0-9+/]{42}|[A-Za-z0-9_-]{42})[AEIMQUYcgkosw048]=?$/;

/** Turns a string into a value with `parse`, or reports `message` when it gives undefined. */
function parsedWith<T>(parse: (text: string) => T | undefined, message: string) {
  return v.rawTransform<string, T>(({ dataset, addIssue, NEVER }) => {
    const value = parse(dataset.value);
    if (value === undefined) {
      addIssue({ message });
      return NEVER;
    }
    return value;
  });
}

function parseIntegerIn(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

function integerSetting(name: ConfigVariable, min: number, max: number) {
  const message = `${name} must be an integer from ${min} to ${max}`;
  return v.pipe(v.string(), parsedWith((text) => parseIntegerIn(text, min, max), message));
}

function durationSetting(name: ConfigVariable, { allowZero }: { allowZero: boolean }) {
  const message = allowZero
    ? `${name} must be a duration: ${DURATION_FORMS}`
    : `${name} must be a positive duration: ${DURATION_FORMS}`;
  const parse = (text: string) => {
    const ms = parseDuration(text);
    return ms !== undefined && (allowZero || ms > 0) ? ms : undefined;
  };
  return v.pipe(v.string(), parsedWith(parse, message));
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function httpUrlSetting(name: ConfigVariable) {
  return v.pipe(v.string(), v.check(isHttpUrl, `${name} must be an http(s) URL`));
}

/**
 * `https://shop.example` or `http://localhost:8080`: a scheme, a host, an optional port, no path
 * (a trailing slash is forgiven). Given back as a browser sends it in `Origin` (lower case, no
 * default port, punycode).
 */
function parseOrigin(text: string): string | undefined {
  if (!/^https?:\/\/[^/?#@\s]+\/?$/i.test(text)) return undefined;
  try {
    return new URL(text).origin;
  } catch {
    return undefined;
  }
}

/** A comma-separated list of origins, spaces around the commas and empty items allowed. */
function parseOriginList(text: string): readonly string[] | undefined {
  const origins = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map(parseOrigin);
  return origins.every((origin) => origin !== undefined) ? [...new Set(origins as string[])] : undefined;
}

/** A shared secret: long enough not to be guessed, no spaces (it travels in headers). */
function secretSetting(name: ConfigVariable) {
  return v.pipe(v.string(), v.regex(/^\S{16,}$/, `${name} must be at least 16 characters with no spaces`));
}

function choiceSetting<const T extends readonly string[]>(name: ConfigVariable, options: T) {
  return v.picklist(options, `${name} must be one of: ${options.join(', ')}`);
}

// Empty values never reach the schema (they count as unset), so plain strings are non-empty.
const EnvironmentSchema = v.object({
  PORT: v.optional(integerSetting('PORT', 1, 65535), '3000'),
  HOST: v.optional(v.string(), '0.0.0.0'),
  DATABASE_PATH: v.optional(v.string(), './data/autopurchase.db'),
  ADMIN_TOKEN: v.optional(
    v.pipe(v.string(), v.regex(/^\S{16,}$/, 'ADMIN_TOKEN must be at least 16 characters with no spaces')),
  ),
  CREDENTIAL_KEY: v.optional(
    v.pipe(
      v.string(),
      v.regex(BASE64_32_BYTES, 'CREDENTIAL_KEY must be base64 (standard or url-safe) of exactly 32 bytes'),
    ),
  ),
  GATEWAY: v.optional(choiceSetting('GATEWAY', gatewayKinds), 'sandbox'),
  GATEWAY_URL: v.optional(
    v.pipe(
      httpUrlSetting('GATEWAY_URL'),
      v.transform((url) => url.replace(/\/+$/, '')),
    ),
  ),
  GATEWAY_SECRET: v.optional(v.string(), ''),
  GATEWAY_TIMEOUT_MS: v.optional(durationSetting('GATEWAY_TIMEOUT_MS', { allowZero: false }), '15000'),
  GATEWAY_MAX_ATTEMPTS: v.optional(integerSetting('GATEWAY_MAX_ATTEMPTS', 1, 20), '4'),
  PURCHASE_DELAY_MS: v.optional(durationSetting('PURCHASE_DELAY_MS', { allowZero: true }), '10000'),
  HEARTBEAT_MS: v.optional(durationSetting('HEARTBEAT_MS', { allowZero: false }), '15000'),
  STREAM_STALL_MS: v.optional(durationSetting('STREAM_STALL_MS', { allowZero: false }), '30000'),
  PROGRESS_RETENTION: v.optional(durationSetting('PROGRESS_RETENTION', { allowZero: false }), '1h'),
  HISTORY_RETENTION: v.optional(durationSetting('HISTORY_RETENTION', { allowZero: false }), '30d'),
  CLEANUP_INTERVAL_MS: v.optional(durationSetting('CLEANUP_INTERVAL_MS', { allowZero: false }), '10m'),
  NOTIFY_WEBHOOK_URL: v.optional(httpUrlSetting('NOTIFY_WEBHOOK_URL')),
  NOTIFY_WEBHOOK_SECRET: v.optional(secretSetting('NOTIFY_WEBHOOK_SECRET')),
  METRICS_TOKEN: v.optional(secretSetting('METRICS_TOKEN')),
  MAX_CONNECTIONS: v.optional(integerSetting('MAX_CONNECTIONS', 1, 1_000_000), '10000'),
  MAX_STREAMS_PER_CLIENT: v.optional(integerSetting('MAX_STREAMS_PER_CLIENT', 1, 100_000), '100'),
  WATCH_ORIGINS: v.optional(
    v.pipe(
      v.string(),
      parsedWith(parseOriginList, 'WATCH_ORIGINS must be a comma-separated list of origins such as https://shop.example (a scheme, a host, an optional port; no path)'),
    ),
    '',
  ),
  LOG_LEVEL: v.optional(choiceSetting('LOG_LEVEL', logLevels), 'info'),
});

type ParsedEnvironment = v.InferOutput<typeof EnvironmentSchema>;

function toConfig(env: ParsedEnvironment): Config {
  return {
    port: env.PORT,
    host: env.HOST,
    databasePath: env.DATABASE_PATH,
    adminToken: env.ADMIN_TOKEN,
    credentialKey: env.CREDENTIAL_KEY,
    gateway: env.GATEWAY,
    gatewayUrl: env.GATEWAY_URL,
    gatewaySecret: env.GATEWAY_SECRET,
    gatewayTimeoutMs: env.GATEWAY_TIMEOUT_MS,
    gatewayMaxAttempts: env.GATEWAY_MAX_ATTEMPTS,
    purchaseDelayMs: env.PURCHASE_DELAY_MS,
    heartbeatMs: env.HEARTBEAT_MS,
    streamStallMs: env.STREAM_STALL_MS,
    progressRetentionMs: env.PROGRESS_RETENTION,
    historyRetentionMs: env.HISTORY_RETENTION,
    cleanupIntervalMs: env.CLEANUP_INTERVAL_MS,
    notifyWebhookUrl: env.NOTIFY_WEBHOOK_URL,
    notifyWebhookSecret: env.NOTIFY_WEBHOOK_SECRET,
    metricsToken: env.METRICS_TOKEN,
    maxConnections: env.MAX_CONNECTIONS,
    maxStreamsPerClient: env.MAX_STREAMS_PER_CLIENT,
    watchOrigins: env.WATCH_ORIGINS,
    logLevel: env.LOG_LEVEL,
  };
}

const ConfigSchema = v.pipe(
  EnvironmentSchema,
  v.forward(
    v.partialCheck(
      [['GATEWAY'], ['GATEWAY_URL']],
      (env) => env.GATEWAY !== 'http' || env.GATEWAY_URL !== undefined,
      'GATEWAY_URL is required when GATEWAY=http',
    ),
    ['GATEWAY_URL'],
  ),
  v.forward(
    v.partialCheck(
      [['GATEWAY'], ['GATEWAY_SECRET']],
      (env) => env.GATEWAY !== 'http' || (env.GATEWAY_SECRET ?? '') !== '',
      'GATEWAY_SECRET is required when GATEWAY=http (sent as x-internal-secret)',
    ),
    ['GATEWAY_SECRET'],
  ),
  v.forward(
    v.partialCheck(
      [['NOTIFY_WEBHOOK_URL'], ['NOTIFY_WEBHOOK_SECRET']],
      (env) => env.NOTIFY_WEBHOOK_URL === undefined || env.NOTIFY_WEBHOOK_SECRET !== undefined,
      'NOTIFY_WEBHOOK_SECRET is required when NOTIFY_WEBHOOK_URL is set (each delivery is signed with it)',
    ),
    ['NOTIFY_WEBHOOK_SECRET'],
  ),
  v.forward(
    v.partialCheck(
      [['ADMIN_TOKEN'], ['METRICS_TOKEN']],
      (env) => env.METRICS_TOKEN === undefined || env.METRICS_TOKEN !== env.ADMIN_TOKEN,
      'METRICS_TOKEN must differ from ADMIN_TOKEN (a scraper would otherwise hold the admin token)',
    ),
    ['METRICS_TOKEN'],
  ),
  v.transform(toConfig),
);

/** The known variables that are set; an empty string counts as unset. */
function setVariables(env: Environment): Partial<Record<ConfigVariable, string>> {
  const set: Partial<Record<ConfigVariable, string>> = {};
  for (const name of configVariables) {
    const value = env[name];
    if (value !== undefined && value !== '') set[name] = value;
  }
  return set;
}

function variableOf(issue: v.BaseIssue<unknown>): ConfigVariable | undefined {
  const key = issue.path?.[0]?.key;
  return configVariables.find((name) => name === key);
}

function orderOf(issue: v.BaseIssue<unknown>): number {
  const name = variableOf(issue);
  return name === undefined ? configVariables.length : configVariables.indexOf(name);
}

/** One line for the issue of the earliest variable, echoing its value unless it is sensitive. */
function describeFirstIssue(
  issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]],
  set: Partial<Record<ConfigVariable, string>>,
): string {
  const first = issues.reduce((best, issue) => (orderOf(issue) < orderOf(best) ? issue : best));
  const name = variableOf(first);
  const value = name === undefined ? undefined : set[name];
  if (name === undefined || value === undefined || SENSITIVE_VARIABLES.has(name)) return first.message;
  return `${first.message} (got ${JSON.stringify(value)})`;
}

/** Validates the environment; on failure gives a one-line message naming the first bad variable. */
export function parseConfig(env: Environment): ConfigResult {
  const set = setVariables(env);
  const result = v.safeParse(ConfigSchema, set);
  if (result.success) return { ok: true, config: result.output };
  return { ok: false, message: describeFirstIssue(result.issues, set) };
}
