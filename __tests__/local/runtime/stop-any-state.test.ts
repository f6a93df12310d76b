/**
 * `npm run destroy:local` (and deploy:local, before it starts a runtime)
 * from whatever state a runtime was left in: the runtime and its supervisor
 * dead, their task processes still running in the runtime's process group.
 * Those are ended; a process that only has a recorded number, and is not
 * this checkout's, is never touched (after a reboot a pid names anyone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopRuntime } from '../../../local/runtime/client';
import { groupMembers } from '../../../local/runtime/process-group';
import { writeRuntimeState } from '../../../local/runtime/state-file';
import { freePort, REPO_ROOT } from '../../support/processes';

const dir = mkdtempSync(join(tmpdir(), 'forum-stop-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A process leading a group of its own, as a runtime does, with a child in that group (a task); `args` say whose it is. */
function group(args: readonly string[]): ChildProcess {
  const leader = spawn(
    process.execPath,
    [
      '-e',
      `require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', ...process.argv.slice(1)], { stdio: 'ignore' }); setTimeout(() => {}, 60000)`,
      ...args,
    ],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  started.push(leader);
  return leader;
}

const until = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

it("ends what a dead runtime left in its process group, and nothing that is not this checkout's", async () => {
  // What a runtime of this checkout left: its group, the leader and a task, both naming the checkout.
  const ours = group([join(REPO_ROOT, 'services', 'users', 'dist', 'main.js')]);
  // Someone else's group, whose numbers the state file might name after a reboot.
  const theirs = group(['/srv/someone-else/supervisor.js']);
  await until(() => groupMembers(ours.pid!).length === 2, 'the task of the runtime that died');
  // A state file from before a reboot, whose numbers now name someone else's runtime and supervisor.
  const stale = join(dir, 'stale.json');
  writeRuntimeState(stale, { pid: theirs.pid!, port: await freePort(), mode: 'process', id: 'test', supervisor: theirs.pid });
  await stopRuntime(stale);
  expect(existsSync(stale)).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect({ exitCode: theirs.exitCode, signal: theirs.signalCode }).toEqual({ exitCode: null, signal: null });
  // This checkout's runtime that died: its group is ended.
  const file = join(dir, 'runtime.json');
  writeRuntimeState(file, { pid: ours.pid!, port: await freePort(), mode: 'process', id: 'test' });
  await stopRuntime(file);
  await until(() => groupMembers(ours.pid!).length === 0, 'the runtime group to end');
  expect(existsSync(file)).toBe(false);
  // And a second stop, with nothing recorded, is fine.
  await expect(stopRuntime(file)).resolves.toBeUndefined();
});
