/**
 * Starting, asking and stopping the local runtime process (local/runtime/daemon.ts)
 * from `npm run deploy:local` and `destroy:local`, and from the tests.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../lib/project-root';
import type { SyncReport } from './local-runtime';
import { runtimeIdOf } from './settings';
import { DockerTaskRunner } from './task-runner';

export interface RuntimeProcess {
  readonly pid: number;
  /** Its control port on 127.0.0.1. */
  readonly port: number;
  readonly mode: 'docker' | 'process';
  /** Its id: the `forum.local` label of its containers. */
  readonly id: string;
}

export type RuntimeReport = SyncReport & { readonly mode: 'docker' | 'process'; readonly id: string };

async function call<T>(runtime: RuntimeProcess, method: string, path: string, timeoutMs: number): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${runtime.port}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `the local runtime answered ${response.status}`);
  return body;
}

/** The runtime this state file names, if it is running and answers. */
export async function runningRuntime(stateFile: string): Promise<RuntimeProcess | undefined> {
  if (!existsSync(stateFile)) return undefined;
  const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as RuntimeProcess;
  try {
    await call(saved, 'GET', '/status', 5_000);
    return saved;
  } catch {
    return undefined;
  }
}

/** Starts the runtime in the background (it outlives this process), logging to `logFile`, and waits until it answers. */
export async function startRuntime(options: { stateFile: string; logFile: string; env: Record<string, string> }): Promise<RuntimeProcess> {
  rmSync(options.stateFile, { force: true });
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [join(projectRoot(), 'build', 'local', 'runtime', 'daemon.js')], {
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
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Converges the runtime on what is deployed now; resolves with what runs. */
export function syncRuntime(runtime: RuntimeProcess): Promise<RuntimeReport> {
  return call<RuntimeReport>(runtime, 'POST', '/sync', 15 * 60_000);
}

export function runtimeStatus(runtime: RuntimeProcess): Promise<RuntimeReport & { readonly deploying: boolean }> {
  return call(runtime, 'GET', '/status', 10_000);
}

/** Stops every task and listener and the runtime itself; then removes any task container still labeled as the runtime's. */
export async function stopRuntime(stateFile: string): Promise<void> {
  const runtime = await runningRuntime(stateFile);
  if (runtime) {
    await call(runtime, 'POST', '/stop', 120_000).catch(() => undefined);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && alive(runtime.pid)) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(runtime.pid)) process.kill(runtime.pid, 'SIGKILL');
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
