// A Durable Object has one alarm; this multiplexes it. The engine's waits (the delay between
// purchases, the retry backoff), the jobs (retention, the webhook outbox) and a watchdog over a
// walk in progress each name a time; the alarm is set to the earliest, and when it fires every one
// that is due goes on. Timers alone would not do: an object may be evicted while nobody is
// connected, and only its alarm brings it back. A wait whose object was evicted is gone with it:
// the alarm (the watchdog's, at the latest) then finds nobody waiting and the object recovers the
// run. The jobs' due times are stored, so an instance that starts after an eviction keeps them
// instead of pushing them an interval later each time.
export interface AlarmStorage {
  setAlarm(scheduledTime: number): Promise<void>;
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
}

export interface Job {
  /** Names the job's stored due time. */
  name: string;
  /** Milliseconds between runs. */
  everyMs: number;
  run(): Promise<void>;
  /** When it is next due after a run, if the job knows better than `everyMs` (undefined: not until rescheduled). */
  nextAt?: () => number | undefined;
}

export interface Fired {
  /** How many of the engine's waits this alarm woke. */
  woke: number;
  /** Resolves when the woken walk waits again (registered before anyone woke), else undefined. */
  nextWait?: Promise<void>;
  /** The watchdog was due: a walk may have been lost with an evicted instance. */
  watchdog: boolean;
}

export interface AlarmScheduler {
  /** Resolves once the alarm has fired at or after `ms` from now. */
  sleep(ms: number): Promise<void>;
  /** The alarm handler: wakes whoever is due, runs the due jobs, sets the next alarm. */
  fire(): Promise<Fired>;
  /** Loads the jobs' stored due times and sets the alarm (once, as the object starts). */
  start(): Promise<void>;
  /** Sets the alarm to the earliest due time. */
  arm(): Promise<void>;
  /** Keeps an alarm at `at` at the latest (a walk in progress: its lease's end). */
  watch(at: number): void;
  /** A job's due time from its `nextAt` again (e.g. a webhook delivery was just enqueued). */
  reschedule(name: string): void;
}

interface Sleeper {
  at: number;
  wake: () => void;
}

const dueKey = (name: string) => `alarm-job:${name}`;

export function createAlarmScheduler(storage: AlarmStorage, now: () => number, jobs: readonly Job[], onError: (what: string, error: unknown) => void): AlarmScheduler {
  const sleepers = new Set<Sleeper>();
  const due = new Map(jobs.map((job) => [job.name, { job, at: now() + job.everyMs }]));
  let watchdogAt: number | undefined;
  let waiters: (() => void)[] = [];
  let armedAt: number | undefined;

  const earliest = () => Math.min(...[...sleepers].map((s) => s.at), ...[...due.values()].map((d) => d.at), watchdogAt ?? Infinity);

  const arm = async () => {
    const at = earliest();
    if (!Number.isFinite(at) || at === armedAt) return;
    try {
      await storage.setAlarm(at);
      armedAt = at;
    } catch (error) {
      armedAt = undefined;
      onError('setting the alarm', error);
    }
  };

  const store = (name: string, at: number) => storage.put(dueKey(name), Number.isFinite(at) ? at : null).catch((error: unknown) => onError(`storing ${name}'s due time`, error));

  return {
    sleep(ms) {
      return new Promise<void>((resolve) => {
        sleepers.add({ at: now() + Math.max(0, ms), wake: resolve });
        // The alarm handler that woke the walk waits for this: it returns only once the next alarm
        // is stored (an alarm set after its handler returned may be dropped with the fired one).
        void arm().finally(() => {
          for (const waiter of waiters) waiter();
          waiters = [];
        });
      });
    },
    async fire() {
      armedAt = undefined;
      const t = now();
      const woken = [...sleepers].filter((sleeper) => sleeper.at <= t);
      // Listening before anyone wakes: the woken walk may reach its next wait before this returns.
      const nextWait = woken.length ? new Promise<void>((resolve) => waiters.push(resolve)) : undefined;
      for (const sleeper of woken) {
        sleepers.delete(sleeper);
        sleeper.wake();
      }
      const watchdog = watchdogAt !== undefined && watchdogAt <= t;
      if (watchdog) watchdogAt = undefined;
      for (const entry of due.values()) {
        if (entry.at > t) continue;
        try {
          await entry.job.run();
        } catch (error) {
          onError(entry.job.name, error);
        }
        entry.at = entry.job.nextAt ? (entry.job.nextAt() ?? Infinity) : now() + entry.job.everyMs;
        await store(entry.job.name, entry.at);
      }
      await arm();
      return { woke: woken.length, nextWait, watchdog };
    },
    async start() {
      for (const entry of due.values()) {
        const stored = await storage.get<number | null>(dueKey(entry.job.name)).catch(() => undefined);
        if (entry.job.nextAt) entry.at = entry.job.nextAt() ?? Infinity;
        else if (typeof stored === 'number') entry.at = stored;
        else await store(entry.job.name, entry.at);
      }
      await arm();
    },
    arm,
    watch(at) {
      // Moved only by a meaningful step: not a storage write per event.
      if (watchdogAt !== undefined && at - watchdogAt < 5_000) return;
      watchdogAt = at;
      void arm();
    },
    reschedule(name) {
      const entry = due.get(name);
      if (!entry?.job.nextAt) return;
      entry.at = entry.job.nextAt() ?? Infinity;
      void store(name, entry.at);
      void arm();
    },
  };
}
