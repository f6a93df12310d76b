/**
 * A local runtime's state file (RUNTIME_STATE_FILE): written by the runtime
 * once it serves, and again after each sync; read by whoever asks, stops or
 * restarts it (client.ts, supervisor.ts). It outlives the runtime, so that
 * what a runtime that died left behind can be found from it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface RuntimeProcess {
  /** The runtime's pid, which is also its process group's: its task processes and instances are in that group. */
  readonly pid: number;
  /** Its control port on 127.0.0.1. */
  readonly port: number;
  readonly mode: 'docker' | 'process';
  /** Its id: the `forum.local` label of its containers. */
  readonly id: string;
  /** The pid of its supervisor (supervisor.ts), which starts it again when it dies. */
  readonly supervisor?: number;
  /** The loopback port each listener serves on, by the listener's ARN: a restarted runtime takes them again. */
  readonly listeners?: Readonly<Record<string, number>>;
}

/** What the file says; undefined when there is none, or half of one. */
export function readRuntimeState(file: string): RuntimeProcess | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RuntimeProcess;
  } catch {
    return undefined;
  }
}

/** Replaces the file whole (a reader never sees half of it). */
export function writeRuntimeState(file: string, state: RuntimeProcess): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
