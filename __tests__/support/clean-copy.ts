/**
 * A clean copy of the commit under test, as a user gets it: `git archive` of
 * the repository into a temporary folder (no build/, dist/ or cdktf.out
 * output of the working tree), then `npm ci` from the local cache. Commands
 * run in it as a user types them in a terminal: through `script`, so that
 * they get a pseudo-terminal (cdktf asks to approve a plan, and refuses to
 * ask without one), with cdktf's approval answered by Enter, as a user would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface CommandResult {
  readonly status: number | null;
  /** What the terminal showed, ANSI sequences and carriage returns removed. */
  readonly output: string;
}

/** ANSI escape sequences and the carriage returns of a terminal's output. */
// eslint-disable-next-line no-control-regex -- a terminal's escape sequences are what it removes
const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007|\r/g, '');

/** cdktf's approval prompt: the selected first choice, approve, is taken by Enter. */
const APPROVAL = /❯ Approve\s/;

/** The environment of a user's shell: this process's, without what npm or jest set for the test run, and without this checkout's tools on PATH. */
export function userEnvironment(repoRoot: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|INIT_CWD$|FORUM_TEST_|JEST_|CI$)/.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.startsWith(repoRoot))
    .join(delimiter);
  env.SHELL = '/bin/bash';
  return env;
}

export class CleanCopy {
  readonly dir = mkdtempSync(join(tmpdir(), 'forum-readme-'));
  /** The commit copied: the working tree's tracked state (`git stash create`), or HEAD when it has no change. */
  readonly commit: string;

  constructor(readonly repoRoot: string) {
    const stash = spawnSync('git', ['stash', 'create'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim();
    this.commit = stash || spawnSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim();
    const archive = spawnSync('sh', ['-c', `git archive ${this.commit} | tar -x -C ${JSON.stringify(this.dir)}`], { cwd: repoRoot, encoding: 'utf8' });
    if (archive.status !== 0) throw new Error(`git archive failed: ${archive.stderr}`);
  }

  /** Runs one command line in a terminal, in `cwd` below the copy; approves cdktf's plans; resolves when it exits or the time is up (then killed). */
  run(command: string, env: Record<string, string>, timeoutMs: number): Promise<CommandResult> {
    const child = this.spawn(command, env);
    return new Promise((resolve) => {
      let output = '';
      let approved = 0;
      const timer = setTimeout(() => this.kill(child), timeoutMs);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const prompts = plain(output).split(APPROVAL).length - 1;
        if (prompts > approved) {
          approved = prompts;
          child.stdin!.write('\r');
        }
      });
      child.once('exit', (status) => {
        clearTimeout(timer);
        resolve({ status, output: plain(output) });
      });
    });
  }

  /** Starts a command that serves until Ctrl-C (`npm run dev`), in a terminal; `stop()` presses Ctrl-C and waits for it to exit. */
  serve(command: string, env: Record<string, string>): { output: () => string; exited: () => boolean; stop: () => Promise<number | null> } {
    const child = this.spawn(command, env);
    let output = '';
    let status: number | null | undefined;
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((status = code))));
    return {
      output: () => plain(output),
      exited: () => status !== undefined,
      stop: async () => {
        if (status !== undefined) return status;
        child.stdin!.write('\u0003');
        const timer = setTimeout(() => this.kill(child), 30_000);
        const code = await exit;
        clearTimeout(timer);
        return code;
      },
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(command: string, env: Record<string, string>): ChildProcess {
    // -q quiet, -e the command's exit status, -f flush as it comes; the transcript goes nowhere.
    return spawn('script', ['-qefc', command, '/dev/null'], { cwd: this.dir, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  }

  private kill(child: ChildProcess): void {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
