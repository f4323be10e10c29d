import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { holderAlive, processHolder } from '../src/node/holder.js';

describe('lease holder liveness (the Node entry)', () => {
  it('names this process by host, pid and a fresh id', () => {
    expect(processHolder()).toMatch(new RegExp(`^${hostname()}/${process.pid}/[0-9a-f-]{36}$`));
    expect(processHolder()).not.toBe(processHolder());
  });

  it('a live process on this host is alive; a gone one is dead; another host cannot be told', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      expect(holderAlive(`${hostname()}/${child.pid}/x`)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
    }
    expect(holderAlive(`${hostname()}/${child.pid}/x`)).toBe(false);
    expect(holderAlive(`some-other-host/${process.pid}/x`)).toBeUndefined();
  });

  it('our own pid under another id is a previous life of this pid (a restarted container): dead', () => {
    expect(holderAlive(`${hostname()}/${process.pid}/a-previous-process`)).toBe(false);
  });
});
