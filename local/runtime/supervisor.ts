/**
 * Keeps the local runtime (daemon.ts) running, as systemd's
 * Restart=on-failure keeps a service: client.ts starts this in the
 * background, and this starts the runtime as the leader of a process group
 * of its own. When the runtime ends other than by a stop (a bug, a
 * `kill -9`), the supervisor ends what is left of its group (task
 * processes, instances, probes: nothing would ever stop them), logs why,
 * and starts it again a second later, told why (RUNTIME_RESTARTED): the
 * new runtime takes back its task containers, starts its task processes
 * again and serves on the same ports. A runtime that never came up (bad
 * settings), or that ended 5 times within a minute, is not started again:
 * that needs a person, as systemd's start limit says. SIGTERM stops the
 * runtime (it stops its tasks), then the supervisor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setting } from '../../lib/settings';
import { endGroup } from './process-group';
import { readRuntimeState } from './state-file';

const RESTART_DELAY_MS = 1_000;
const START_LIMIT = { restarts: 5, withinMs: 60_000 };
/** How long a runtime asked to stop may take before its group is killed. */
const STOP_TIMEOUT_MS = 30_000;

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} supervisor: ${line}\n`);
const stateFile = setting('RUNTIME_STATE_FILE');
const restarts: number[] = [];
let runtime: ChildProcess | undefined;
let stopping = false;

function start(restarted?: string): void {
  const child = spawn(process.execPath, [join(__dirname, 'daemon.js')], {
    env: { ...process.env, RUNTIME_SUPERVISOR: String(process.pid), ...(restarted && { RUNTIME_RESTARTED: restarted }) },
    // Its log is this one (the file client.ts opened), and its group its own.
    stdio: 'inherit',
    detached: true,
  });
  runtime = child;
  child.once('exit', (code, signal) => {
    const pid = child.pid ?? 0;
    // Whether it ever served: it writes the state file then.
    const cameUp = restarted !== undefined || (stateFile !== undefined && readRuntimeState(stateFile)?.pid === pid);
    const left = endGroup(pid);
    const why = signal ? `killed by ${signal}` : `exit code ${code}`;
    if (left > 0) log(`ended ${left} processes the runtime (pid ${pid}) left in its group: task processes, instances, probes`);
    if (stopping || code === 0) return process.exit(0);
    if (!cameUp) {
      log(`the runtime (pid ${pid}) ended before it served (${why}): not started again`);
      return process.exit(code ?? 1);
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0] < now - START_LIMIT.withinMs) restarts.shift();
    if (restarts.length > START_LIMIT.restarts) {
      log(`the runtime (pid ${pid}) ended (${why}), ${restarts.length} times within a minute: not started again (npm run deploy:local starts it)`);
      return process.exit(1);
    }
    log(`the runtime (pid ${pid}) ended (${why}); starting it again in ${RESTART_DELAY_MS / 1000} s`);
    setTimeout(() => {
      if (!stopping) start(why);
      else process.exit(0);
    }, RESTART_DELAY_MS);
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    const child = runtime;
    if (!child || child.exitCode !== null || child.signalCode !== null) return process.exit(0);
    child.kill('SIGTERM');
    setTimeout(() => {
      if (child.pid) endGroup(child.pid);
    }, STOP_TIMEOUT_MS).unref();
  });
}

start();
