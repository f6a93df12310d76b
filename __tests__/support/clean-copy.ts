/**
 * A clean copy of the commit under test, as a user gets it: `git archive` of
 * the repository into a temporary folder (no build/, dist/ or cdktf.out
 * output of the working tree), then `npm ci` from the local cache. Commands
 * run in it as a user types them in a terminal: through `script`, so that
 * they get a pseudo-terminal (cdktf asks to approve a plan, and refuses to
 * ask without one), with cdktf's approval answered by Enter, as a user would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
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

/** cdktf's approval prompt, its cursor on a choice: Approve is taken by Enter. */
const CHOICE = /❯\s*(Approve|Dismiss|Stop)\b/g;

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

/**
 * Reads cdktf's approval prompt off a terminal's output as it grows, each part once: cdktf redraws its whole
 * screen for every line Terraform prints (12 MB for one plan of this stack), so reading all of the output again
 * at each chunk took minutes of CPU per command and, by not draining the terminal, held the command back.
 */
export class PromptWatch {
  /** The output from the start of the last line that may still grow: complete lines before it were read. */
  private pending = '';
  /** The choice the prompt's cursor (❯) was on when last drawn. */
  choice?: string;

  /** Reads one more chunk; whether it drew the prompt. */
  add(chunk: string): boolean {
    this.pending += chunk;
    const choices = [...plain(this.pending).matchAll(CHOICE)];
    if (choices.length > 0) this.choice = choices[choices.length - 1][1];
    // An escape sequence never spans a line break: cutting after the last one keeps every sequence whole.
    const lineEnd = this.pending.lastIndexOf('\n');
    if (lineEnd !== -1) this.pending = this.pending.slice(lineEnd + 1);
    return choices.length > 0;
  }
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
      const prompt = new PromptWatch();
      let output = '';
      let outputAt = 0;
      /** When the prompt was first drawn since the last key was pressed (0: not since). */
      let drawnAt = 0;
      let keyAt = 0;
      const timer = setTimeout(() => this.kill(child), timeoutMs);
      // A key once the prompt has been on the screen for a second, as a user reads it first: a key that comes before
      // the prompt reads its terminal raw is taken by the line discipline (Enter becomes a line feed, which the
      // prompt reads as Ctrl-J, "down"). Enter on Approve, else up towards it; again if nothing moved for 5 s.
      const press = () => {
        keyAt = Date.now();
        drawnAt = 0;
        child.stdin!.write(prompt.choice === 'Approve' ? '\r' : '\u001b[A');
      };
      const approver = setInterval(() => {
        const now = Date.now();
        if (drawnAt > 0 && now - drawnAt >= 1_000) press();
        else if (drawnAt === 0 && keyAt > 0 && outputAt < keyAt && now - keyAt >= 5_000) press();
      }, 250);
      // Decoded as a stream: a chunk may end inside a character (the prompt's ❯ is three bytes).
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (text: string) => {
        output += text;
        outputAt = Date.now();
        if (prompt.add(text) && drawnAt === 0) drawnAt = outputAt;
      });
      child.once('exit', (status) => {
        clearTimeout(timer);
        clearInterval(approver);
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

  /**
   * The copy's `npm ci`, when the checkout already holds exactly what that
   * command installs from the copy's lockfile (on a CI runner, `.ci/run`'s
   * own `npm ci` of a clean clone): the checkout's node_modules, hard-linked
   * into the copy in about a second instead of a minute of CPU (npm unpacks
   * 1,000 packages). npm's record of what it installed
   * (node_modules/.package-lock.json) must match the lockfile package by
   * package, but for optional packages of other platforms, which it leaves
   * out. Resolves with why it did not, else undefined; the caller then runs
   * `npm ci` itself.
   */
  linkInstall(): string | undefined {
    const installed = join(this.repoRoot, 'node_modules', '.package-lock.json');
    if (!existsSync(installed)) return 'the checkout has no npm install record (node_modules/.package-lock.json)';
    type Packages = Record<string, { optional?: boolean }>;
    const wanted = (JSON.parse(readFileSync(join(this.dir, 'package-lock.json'), 'utf8')) as { packages: Packages }).packages;
    const have = (JSON.parse(readFileSync(installed, 'utf8')) as { packages: Packages }).packages;
    const differs = [
      ...Object.keys(have).filter((name) => !(name in wanted)),
      ...Object.entries(wanted)
        .filter(([name, entry]) => name !== '' && (name in have ? !isDeepStrictEqual(have[name], entry) : !entry.optional))
        .map(([name]) => name),
    ];
    if (differs.length > 0) return `the checkout's node_modules is not what npm ci makes of this lockfile (${differs.slice(0, 3).join(', ')})`;
    const link = spawnSync('cp', ['-al', join(this.repoRoot, 'node_modules'), join(this.dir, 'node_modules')], { encoding: 'utf8' });
    if (link.status !== 0) return `cp -al failed: ${link.stderr}`;
    // Caches that tools made in the checkout's node_modules are not part of an install.
    rmSync(join(this.dir, 'node_modules', '.cache'), { recursive: true, force: true });
    return undefined;
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
