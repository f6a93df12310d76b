/**
 * The suites that run a whole journey on an emulator with a runtime of
 * containers (the refactor step by step, the tour, and the README run as
 * written) run at most two at a time, the lighter suites beside them. Each
 * keeps about a core busy (Terraform and its provider). Measured on the
 * 2-core CI machine: one at a time, `.ci/run` took 28-32 minutes; two at a
 * time, 25.5 (since the runtime runs the container health checks itself and
 * an idle deployed stack keeps 35 % of a core busy, not 67 %: before that,
 * two at once took longer than one after the other and failed requests).
 * All three at once, on four workers, overloaded it (load average 20, plans
 * three times slower) until requests through the local load balancer failed,
 * when the loads that watch a deploy were not yet paced. Since the deploys
 * cost less (-json streams, no cdktf CLI around them) and the loads are paced,
 * the light suites run on another worker beside two journeys (`.ci/run` took
 * 22 minutes with two workers, a fifth of the CPU unused).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How many whole journeys run at once. */
export const JOURNEYS_AT_ONCE = 2;

const slot = (index: number) => join(tmpdir(), `forum-journey-suite.${index}.lock`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Takes the slot (a lock directory) when it is free or held by a process that is gone; else says who holds it. */
function tryTake(lock: string, suite: string): { taken: true } | { taken: false; owner: string } {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), `${process.pid} ${suite}`);
    return { taken: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let owner = '';
  try {
    owner = readFileSync(join(lock, 'owner'), 'utf8');
  } catch {
    // Created, not yet written: its owner is about to.
  }
  if (owner && !alive(Number(owner.split(' ')[0]))) rmSync(lock, { recursive: true, force: true });
  return { taken: false, owner };
}

/** Waits for a free slot, and returns its release. */
export async function takeTurn(suite: string, log: (line: string) => void, timeoutMs = 40 * 60_000): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    const owners: string[] = [];
    for (let index = 0; index < JOURNEYS_AT_ONCE; index++) {
      const lock = slot(index);
      const attempt = tryTake(lock, suite);
      if (attempt.taken) {
        if (Date.now() - started > 1_000) log(`${suite}: its turn came after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        return () => rmSync(lock, { recursive: true, force: true });
      }
      owners.push(attempt.owner || 'nobody known');
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${suite}: no turn within ${timeoutMs / 60_000} min (held by ${owners.join(', ')})`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
