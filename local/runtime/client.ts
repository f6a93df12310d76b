/**
 * Starting, asking and stopping the local runtime process (local/runtime/daemon.ts,
 * under its supervisor, supervisor.ts) from `npm run deploy:local` and
 * `destroy:local`, and from the tests.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../lib/project-root';
import type { SyncReport } from './local-runtime';
import { endGroup, runs } from './process-group';
import { runtimeIdOf } from './settings';
import { readRuntimeState, type RuntimeProcess } from './state-file';
import { DockerTaskRunner } from './task-runner';

export type { RuntimeProcess } from './state-file';

export type RuntimeReport = SyncReport & { readonly mode: 'docker' | 'process'; readonly id: string };

/** How long a supervisor takes at most to have a runtime that died serving again. */
const RESTART_WITHIN_MS = 15_000;

async function call<T>(runtime: RuntimeProcess, method: string, path: string, timeoutMs: number): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${runtime.port}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `the local runtime answered ${response.status}`);
  return body;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The runtime this state file names, if it runs and answers; while its
 * supervisor is starting it again (it died), waits for it up to 15 s.
 */
export async function runningRuntime(stateFile: string): Promise<RuntimeProcess | undefined> {
  const deadline = Date.now() + RESTART_WITHIN_MS;
  for (;;) {
    const saved = readRuntimeState(stateFile);
    if (!saved) return undefined;
    try {
      await call(saved, 'GET', '/status', 5_000);
      return saved;
    } catch {
      if (Date.now() > deadline || !runs(saved.supervisor, 'supervisor.js')) return undefined;
      await sleep(250);
    }
  }
}

/**
 * Starts the runtime in the background under its supervisor (both outlive
 * this process), logging to `logFile`, and waits until it answers. What an
 * earlier runtime on the same state file left is ended first.
 */
export async function startRuntime(options: { stateFile: string; logFile: string; env: Record<string, string> }): Promise<RuntimeProcess> {
  await stopRuntime(options.stateFile);
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [join(projectRoot(), 'build', 'local', 'runtime', 'supervisor.js')], {
    env: { ...process.env, ...options.env, RUNTIME_STATE_FILE: options.stateFile },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runtime = await runningRuntime(options.stateFile);
    if (runtime) {
      child.unref();
      return runtime;
    }
    if (exited || Date.now() > deadline)
      throw new Error(`the local runtime did not start (see ${options.logFile}):\n${readFileSync(options.logFile, 'utf8').split('\n').slice(-15).join('\n')}`);
    await sleep(200);
  }
}

/** Converges the runtime on what is deployed now; resolves with what runs. */
export function syncRuntime(runtime: RuntimeProcess): Promise<RuntimeReport> {
  return call<RuntimeReport>(runtime, 'POST', '/sync', 15 * 60_000);
}

export function runtimeStatus(runtime: RuntimeProcess): Promise<RuntimeReport & { readonly deploying: boolean }> {
  return call(runtime, 'GET', '/status', 10_000);
}

/**
 * Stops the runtime whatever state it is in: a runtime that answers stops
 * every task and listener, then its supervisor ends (so that nothing starts
 * it again), then whatever is left of the runtime's process group and any
 * task container labelled as its own.
 */
export async function stopRuntime(stateFile: string): Promise<void> {
  const saved = readRuntimeState(stateFile);
  if (saved) {
    await call(saved, 'POST', '/stop', 120_000).catch(() => undefined);
    const supervisor = saved.supervisor;
    if (supervisor !== undefined && runs(supervisor, 'supervisor.js')) {
      process.kill(supervisor, 'SIGTERM');
      const deadline = Date.now() + 40_000;
      while (Date.now() < deadline && alive(supervisor)) await sleep(100);
      if (alive(supervisor)) process.kill(supervisor, 'SIGKILL');
    }
    // The runtime the file names now (a restart may have written it meanwhile), and the one it named before.
    for (const pid of new Set([saved.pid, readRuntimeState(stateFile)?.pid ?? saved.pid])) endGroup(pid);
  }
  rmSync(stateFile, { force: true });
  // What a runtime that died without stopping left: its containers, by its id.
  if (await DockerTaskRunner.available()) await new DockerTaskRunner(undefined, undefined, runtimeIdOf(stateFile)).removeAll();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Prints each line the runtime adds to its log from now on, as it comes (a
 * quarter second at most after it was written), until the returned stop is
 * called: what `deploy:local` shows while the runtime converges.
 */
export function followLog(logFile: string, print: (line: string) => void): () => void {
  let offset = existsSync(logFile) ? statSync(logFile).size : 0;
  let partial = '';
  const read = () => {
    if (!existsSync(logFile)) return;
    const size = statSync(logFile).size;
    if (size <= offset) return;
    const fd = openSync(logFile, 'r');
    const chunk = Buffer.alloc(size - offset);
    readSync(fd, chunk, 0, chunk.length, offset);
    closeSync(fd);
    offset = size;
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) print(line);
  };
  const timer = setInterval(read, 250);
  return () => {
    clearInterval(timer);
    read();
    if (partial.trim()) print(partial);
  };
}
