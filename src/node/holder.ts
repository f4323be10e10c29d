// Names this process in the run lease, and tells whether another holder on this host still lives,
// so a restarted server ends a crashed run at once instead of waiting for its lease to expire.
import { hostname } from 'node:os';

export function processHolder(): string {
  return `${hostname()}/${process.pid}/${crypto.randomUUID()}`;
}

export function holderAlive(holder: string): boolean | undefined {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return undefined;
  // Our own pid under another name: a previous life of this process id (a restarted container
  // often gets the same pid), which is gone. This process's own name never reaches here.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
