// A Durable Object has one alarm; this multiplexes it. The engine's waits (the delay between
// purchases, the retry backoff) and the periodic jobs (retention, the recovery sweep) each name a
// time; the alarm is set to the earliest, and when it fires every one that is due goes on. Timers
// alone would not do: an object may be evicted while nobody is connected, and only its alarm
// brings it back. A wait whose object was evicted is gone with it; the alarm then finds nobody
// waiting and the object's `onOrphanAlarm` (recovery) takes over.
export interface AlarmStorage {
  setAlarm(scheduledTime: number): Promise<void>;
}

export interface Job {
  /** Milliseconds between runs. */
  everyMs: number;
  run(): Promise<void>;
}

export interface AlarmScheduler {
  /** Resolves once the alarm has fired at or after `ms` from now. */
  sleep(ms: number): Promise<void>;
  /** The alarm handler: wakes whoever is due, runs the due jobs, sets the next alarm. */
  fire(): Promise<{ woke: number }>;
  /** Sets the alarm to the earliest due time (after the object starts, after each change). */
  arm(): Promise<void>;
  /** Resolves when the next wait is registered (the walk is between steps again). */
  nextWait(): Promise<void>;
}

interface Sleeper {
  at: number;
  wake: () => void;
}

export function createAlarmScheduler(storage: AlarmStorage, now: () => number, jobs: readonly Job[]): AlarmScheduler {
  const sleepers = new Set<Sleeper>();
  const due = jobs.map((job) => ({ job, at: now() + job.everyMs }));
  let waiters: (() => void)[] = [];
  let armedAt: number | undefined;

  const earliest = () => Math.min(...[...sleepers].map((s) => s.at), ...due.map((d) => d.at));

  const arm = async () => {
    const at = earliest();
    if (!Number.isFinite(at) || at === armedAt) return;
    armedAt = at;
    await storage.setAlarm(at);
  };

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
      let woke = 0;
      for (const sleeper of [...sleepers]) {
        if (sleeper.at > t) continue;
        sleepers.delete(sleeper);
        sleeper.wake();
        woke++;
      }
      for (const entry of due) {
        if (entry.at > t) continue;
        entry.at = t + entry.job.everyMs;
        await entry.job.run();
      }
      await arm();
      return { woke };
    },
    arm,
    nextWait: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}
