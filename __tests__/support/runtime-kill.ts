/**
 * The local runtime killed with SIGKILL while a client keeps using the
 * application: what its supervisor and the runtime it starts again must
 * survive. Bounded: 10 requests a second, 300 at most, 40 s at most.
 */
import { readFileSync } from 'node:fs';
import { runningRuntime } from '../../local/runtime/client';
import { readRuntimeState, type RuntimeProcess } from '../../local/runtime/state-file';

export interface RuntimeKill {
  readonly before: RuntimeProcess;
  readonly after: RuntimeProcess;
  /** From the kill to the first request answered by a service again. */
  readonly downMs: number;
  /** From the kill to the restarted runtime answering on its control port. */
  readonly restartedMs: number;
  readonly sent: number;
  /** Requests that failed before the kill, and after the application answered again: there must be none. */
  readonly failedOutsideTheOutage: readonly string[];
  /** The supervisor's and the runtime's log lines written since the kill. */
  readonly logged: readonly string[];
}

/**
 * Sends `request` every 100 ms; after 1 s kills the runtime the state file
 * names; waits until `request` succeeds again (`withinMs` at most) and the
 * restarted runtime answers; goes on 2 s more.
 */
export async function killRuntimeUnderLoad(options: {
  readonly stateFile: string;
  readonly logFile: string;
  /** One request; true when a service answered it. Never throws. */
  readonly request: () => Promise<boolean>;
  /** How long the application may take to answer again. @default 15 s */
  readonly withinMs?: number;
}): Promise<RuntimeKill> {
  const withinMs = options.withinMs ?? 15_000;
  const before = readRuntimeState(options.stateFile);
  if (!before) throw new Error(`no runtime in ${options.stateFile}`);
  const logOffset = readFileSync(options.logFile, 'utf8').length;
  const started = Date.now();
  /** When each request was sent, when its answer came, and whether a service gave it. */
  const results: { at: number; end: number; ok: boolean }[] = [];
  let killedAt = 0;
  let answeredAgainAt = 0;
  let stop = false;
  const load = (async () => {
    while (!stop && results.length < 300 && Date.now() - started < 40_000) {
      const at = Date.now();
      const ok = await options.request();
      const end = Date.now();
      results.push({ at, end, ok });
      if (ok && killedAt && at > killedAt && !answeredAgainAt) answeredAgainAt = end;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - at))));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  killedAt = Date.now();
  process.kill(before.pid, 'SIGKILL');
  const after = await (async () => {
    while (Date.now() - killedAt < withinMs) {
      const found = await runningRuntime(options.stateFile);
      if (found && found.pid !== before.pid) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no runtime answered within ${withinMs} ms of the SIGKILL of ${before.pid}`);
  })();
  const restartedMs = Date.now() - killedAt;
  while (!answeredAgainAt && Date.now() - killedAt < withinMs) await new Promise((resolve) => setTimeout(resolve, 100));
  const recoveredAt = answeredAgainAt;
  if (recoveredAt) await new Promise((resolve) => setTimeout(resolve, 2_000));
  stop = true;
  await load;
  return {
    before,
    after,
    downMs: recoveredAt ? recoveredAt - killedAt : Number.POSITIVE_INFINITY,
    restartedMs,
    sent: results.length,
    failedOutsideTheOutage: results
      .filter((result) => !result.ok && (result.end < killedAt || (recoveredAt && result.at >= recoveredAt)))
      .map((result) => `${result.end < killedAt ? 'before the kill' : 'after recovery'}: sent at +${result.at - killedAt} ms`),
    logged: readFileSync(options.logFile, 'utf8').slice(logOffset).split('\n').filter(Boolean),
  };
}
