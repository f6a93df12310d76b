/**
 * The suites that run a whole journey on an emulator with a runtime of
 * containers (the refactor step by step, the tour, and the README run as
 * written) take turns. Run at
 * once on a 2-core machine, with everything else, each starved the other's
 * emulator until Terraform's calls failed (a retried CreateRule found its own
 * priority taken). The lighter suites still run beside whichever has its turn.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'forum-journey-suite.lock');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits for the turn (a lock directory; one left by a process that is gone is taken over), and returns the release. */
export async function takeTurn(suite: string, log: (line: string) => void, timeoutMs = 40 * 60_000): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'owner'), `${process.pid} ${suite}`);
      if (Date.now() - started > 1_000) log(`${suite}: its turn came after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner = '';
    try {
      owner = readFileSync(join(LOCK, 'owner'), 'utf8');
    } catch {
      // Created, not yet written: its owner is about to.
    }
    const pid = Number(owner.split(' ')[0]);
    if (owner && !alive(pid)) rmSync(LOCK, { recursive: true, force: true });
    if (Date.now() - started > timeoutMs) throw new Error(`${suite}: no turn within ${timeoutMs / 60_000} min (held by ${owner || 'nobody known'})`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
