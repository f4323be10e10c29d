// The few Cloudflare runtime shapes this code touches, declared here instead of pulling in
// @cloudflare/workers-types (whose globals clash with the DOM library the rest of the project uses).

export interface SqlStorageCursor {
  toArray(): Record<string, unknown>[];
  one(): Record<string, unknown>;
}

export interface DurableObjectStorage {
  sql: { exec(query: string, ...bindings: unknown[]): SqlStorageCursor; databaseSize: number };
  transactionSync<T>(closure: () => T): T;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
}

export interface DurableObjectState {
  storage: DurableObjectStorage;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  waitUntil(promise: Promise<unknown>): void;
  /** Resets the object (its next request gets a new instance): tests use it as a crash. */
  abort?(reason?: string): void;
}

export interface DurableObjectId {
  toString(): string;
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub;
}

export interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

/** The Worker's environment: bindings, plus every variable and secret as a string. */
export interface EdgeEnv {
  SHOP: DurableObjectNamespace;
  ASSETS?: Fetcher;
  [variable: string]: unknown;
}
