/**
 * The README is a test. Every shell block of README.md and of the documents
 * it links to is read from them (never copied here), and:
 *
 * - every command of every block is checked: its program is an npm script,
 *   workspace, cdktf command or tool that exists, each variable it sets is
 *   one the project's code reads, each file it names exists;
 * - every block without a marking is run as written, in order, in a clean copy
 *   of the commit under test (`git archive`, then the README's own `npm ci`
 *   from the local cache, or, when the checkout holds exactly what it would
 *   install, as on a CI runner whose `.ci/run` just ran that `npm ci` on a
 *   clean clone, those packages linked in: CleanCopy.linkInstall), in a
 *   terminal, as a user types it. Only the
 *   environment differs from a user's shell, and only as the README says:
 *   after `npm run deploy:local`, the variables of `npm run -s env:local`
 *   (the emulator's endpoint and test credentials, the provider mirror, the
 *   deployed state), which point every AWS command at the emulator; and
 *   cdktf's plan approvals are answered by Enter; and the local runtime's
 *   clock runs ten times faster (LOCAL_TIME_SCALE: its health check intervals,
 *   grace periods and draining), which changes no command's outcome; and
 *   `npm run deploy:local` writes to a pipe, as into a CI log, whose progress
 *   lines are checked (no terminal redraws, the runtime's steps as they come);
 * - a block marked `not run` (it needs what cannot exist here: an AWS account,
 *   GitHub) or `checked, not run` (another test runs it, or it is this test's
 *   own command) is checked, and says why in its marking.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { SETTINGS } from '../../lib/settings';
import { CleanCopy, userEnvironment, type CommandResult } from '../support/clean-copy';
import { REPO_ROOT } from '../support/processes';
import { takeTurn } from '../support/turns';
import { blockCommands, documentedBlocks, shellWords, type ShellBlock, type ShellCommand, type SimpleCommand } from '../support/shell-blocks';

jest.setTimeout(40 * 60_000);

const { files, blocks } = documentedBlocks(REPO_ROOT);
const say = (message: string) => process.stdout.write(`  [readme] ${message}\n`);
const where = (block: ShellBlock) => `${block.file}:${block.line}`;

/** Tools a block may call besides npm and npx, each a prerequisite the documentation names. */
const TOOLS = new Set(['curl', 'docker', 'aws', 'terraform', 'git', 'cp']);
/** cdktf's commands that the documentation may use. */
const CDKTF_COMMANDS = new Set(['synth', 'diff', 'deploy', 'destroy', 'output', 'list']);

const rootPackage = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  workspaces: string[];
  devDependencies: Record<string, string>;
};

/** Whether the project reads this environment variable: every one it reads is declared in lib/settings.ts (a test holds the code to it). */
const codeReads = (name: string): boolean => name in SETTINGS;

/** What is wrong with one simple command, run in `cwd` (relative to the root); the folder it leaves the shell in. */
function checkSimple(command: SimpleCommand, cwd: string): { problems: string[]; cwd: string } {
  const problems: string[] = [];
  for (const name of command.assignments.keys()) if (!codeReads(name)) problems.push(`sets ${name}, which no code of the project reads`);
  const [program, ...args] = command.words;
  const here = (path: string) => resolve(REPO_ROOT, cwd, path);
  for (const arg of args) {
    // A relative path whose first part exists here must exist as a whole (a typo in services/users/Dockerfil).
    if (/^[\w.-]+(\/[\w.-]*)+$/.test(arg) && existsSync(here(arg.split('/')[0])) && !existsSync(here(arg))) problems.push(`names ${arg}, which does not exist`);
  }
  switch (program) {
    case 'cd': {
      const target = args[0] ?? '';
      if (!existsSync(here(target)) || !statSync(here(target)).isDirectory()) problems.push(`cd ${target}: no such folder`);
      return { problems, cwd: join(cwd, target) };
    }
    case 'npm': {
      const workspace = args.indexOf('-w') === -1 ? undefined : args[args.indexOf('-w') + 1];
      const scriptsOf = (folder?: string) =>
        (JSON.parse(readFileSync(join(REPO_ROOT, folder ?? '.', 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
      if (workspace !== undefined && !rootPackage.workspaces.includes(workspace)) problems.push(`-w ${workspace} is not a workspace`);
      const [sub, ...rest] = args.filter((arg, index) => arg !== '-s' && arg !== '-w' && args[index - 1] !== '-w');
      if (sub === 'run' || sub === 'start') {
        const script = sub === 'start' ? 'start' : rest[0];
        if (!(script in scriptsOf(workspace))) problems.push(`npm ${sub} ${script ?? ''}: no such script${workspace ? ` in ${workspace}` : ''}`);
      } else if (!['ci', 'test', 'install'].includes(sub ?? '')) {
        problems.push(`npm ${sub ?? ''}: not a command the documentation should need`);
      }
      return { problems, cwd };
    }
    case 'npx': {
      const [tool, sub] = args;
      if (tool !== 'cdktf' || !('cdktf-cli' in rootPackage.devDependencies)) problems.push(`npx ${tool}: not a tool the project installs`);
      else if (!CDKTF_COMMANDS.has(sub ?? '')) problems.push(`cdktf ${sub ?? ''}: not a cdktf command`);
      return { problems, cwd };
    }
    case 'eval': {
      // eval "$(npm run -s env:local)": the command inside.
      const inner = /^\$\((.*)\)$/.exec(args.join(' '));
      if (!inner) problems.push(`eval of something other than a command's output: ${args.join(' ')}`);
      else problems.push(...checkSimple({ assignments: new Map(), words: shellWords(inner[1]) }, cwd).problems);
      return { problems, cwd };
    }
    default:
      if (!TOOLS.has(program ?? '')) problems.push(`${program}: not a command or tool the project documents`);
      return { problems, cwd };
  }
}

function checkCommand(command: ShellCommand): string[] {
  let cwd = '.';
  const problems: string[] = [];
  for (const simple of command.simple) {
    const checked = checkSimple(simple, cwd);
    problems.push(...checked.problems);
    cwd = checked.cwd;
  }
  return problems.map((problem) => `${command.text}: ${problem}`);
}

describe("the documentation's shell blocks", () => {
  it('are found in README.md and the pages it links to, and most of what a user runs is run here', () => {
    expect(files[0]).toBe('README.md');
    expect(files).toEqual(expect.arrayContaining(['docs/ci.md', 'docs/migration.md', 'docs/application.md']));
    const run = blocks.filter((block) => !block.marking);
    say(
      `${blocks.length} shell blocks in ${files.length} files: ${run.length} run as written, ${blocks.length - run.length} checked only (${blocks.filter((block) => block.marking?.kind === 'not run').length} need what cannot exist here)`,
    );
    expect(run.map(where)).toEqual(expect.arrayContaining([expect.stringMatching(/^README\.md:/)]));
  });

  it.each(blocks.map((block) => [where(block), block] as const))('%s: every command, script, variable and file it names exists', (_, block) => {
    expect(block.commands.length).toBeGreaterThan(0);
    expect(block.commands.flatMap(checkCommand)).toEqual([]);
  });

  it.each(blocks.map((block) => [where(block), block] as const))('%s: is run here, or its marking says why not', (_, block) => {
    if (block.marking) expect(block.marking.reason.length).toBeGreaterThan(10);
    // `npm test` runs this very test: it can only be checked.
    if (block.commands.some((command) => command.text === 'npm test')) expect(block.marking?.kind).toBe('checked, not run');
  });

  it('catches what it should: a missing script, an unread variable, a file that is not there', () => {
    const bad = blockCommands([
      'npm run deploy:locale',
      'EXTRACTED_SERVISES=all npx cdktf diff',
      'docker build -f services/users/Dockerfil .',
      'cd nowhere && npx cdktf deploy',
    ]);
    expect(bad.map((command) => checkCommand(command).length)).toEqual([1, 1, 1, 1]);
    expect(checkCommand(blockCommands(['EXTRACTED_SERVICES=users npx cdktf diff   # a comment'])[0])).toEqual([]);
  });
});

/** A command that serves until Ctrl-C: the commands after it run beside it, and the block's end stops it. */
const serves = (command: ShellCommand) => {
  const [words] = command.simple.map((simple) => simple.words).slice(-1);
  return (
    (words[0] === 'npm' && (words[1] === 'start' || (words[1] === 'run' && words[2] === 'dev'))) ||
    (words[0] === 'docker' && words[1] === 'run' && !words.includes('-d'))
  );
};

/** Waits (at most `ms`) until something accepts connections on the loopback port. */
async function listening(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return true;
    await new Promise((wake) => setTimeout(wake, 500));
  }
  return false;
}

/** What a curl line's comment promises, checked on its output: `x-served-by: <service>`, a status. */
function checkCurl(command: ShellCommand, result: CommandResult): void {
  const servedBy = /x-served-by:\s*([a-z0-9-]+)/i.exec(command.comment)?.[1];
  if (servedBy) expect({ command: command.text, servedBy: /^x-served-by:\s*(\S+)/im.exec(result.output)?.[1] }).toEqual({ command: command.text, servedBy });
  const status = /\b([1-5]\d\d)\b/.exec(command.comment)?.[1];
  if (status) expect({ command: command.text, status: /^HTTP\/[\d.]+ (\d{3})/m.exec(result.output)?.[1] }).toEqual({ command: command.text, status });
}

describe("the documentation's blocks, run as written in a clean copy", () => {
  const runnable = blocks.filter((block) => !block.marking);
  let copy: CleanCopy;
  let env: Record<string, string>;
  /** The variables `npm run -s env:local` exported, while the emulator of deploy:local runs. */
  let emulatorEnv: Record<string, string> = {};
  const failures: string[] = [];

  /** The whole-journey suites take turns (support/turns.ts): this one deploys and destroys a stack too. */
  let releaseTurn: (() => void) | undefined;

  beforeAll(async () => {
    releaseTurn = await takeTurn('the README, run as written', say);
    copy = new CleanCopy(REPO_ROOT);
    // Only the environment differs from a user's: npm takes packages from its cache when it has them, and the
    // runtime drains a target in 1.5 s instead of 15 (the deploys that remove a service, the clean-up's destroy).
    env = {
      ...userEnvironment(REPO_ROOT),
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      CHECKPOINT_DISABLE: '1',
      LOCAL_TIME_SCALE: '0.1',
    };
    say(`clean copy of ${copy.commit.slice(0, 12)} in ${copy.dir}`);
  });

  afterAll(async () => {
    if (Object.keys(emulatorEnv).length > 0) {
      // A block failed before the README's own clean-up: stop what deploy:local left running.
      const result = await copy.run('npm run destroy:local', env, 10 * 60_000);
      say(`clean-up after a failure: npm run destroy:local exited ${result.status}`);
    }
    copy.remove();
    releaseTurn?.();
  });

  /**
   * `npm run deploy:local` is run with its output to a pipe, as a CI log
   * takes it (the cdktf commands show the terminal's): its progress comes
   * line by line as it happens, the runtime's among them, with not one
   * terminal redraw, and cdktf's whole output is kept in .local/.
   */
  function checkPipedDeploy(result: CommandResult): void {
    const log = readFileSync(join(copy.dir, '.local', 'cdktf-deploy.log'), 'utf8');
    // Terminal redraws: cursor up, erase line, and the spinner's braille frames.
    const redraw = new RegExp(`${String.fromCharCode(27)}\\[\\d*[AGK]|[\u2800-\u28ff]`, 'g');
    expect({ redraws: log.match(redraw)?.length ?? 0 }).toEqual({ redraws: 0 });
    expect(log).toMatch(/aws_lb\.\S+: Creation complete after/);
    const at = (pattern: RegExp) => result.output.search(pattern);
    for (const event of [/^ {2}.*: started task /m, /^ {2}.*: task \S+ is healthy/m, /^ {2}listener forum-dev-alb:80 \(HTTP\) serves on /m])
      expect({ event: String(event), before: at(event) !== -1 && at(event) < at(/^Application: http:\/\/127\.0\.0\.1:/m) }).toEqual({
        event: String(event),
        before: true,
      });
  }

  async function runCommand(command: ShellCommand): Promise<CommandResult> {
    const started = Date.now();
    if (command.text === 'npm ci') {
      const why = copy.linkInstall();
      if (why === undefined) {
        say(
          `$ npm ci  (not run again: the checkout's node_modules is what npm ci installs from this lockfile, linked into the copy in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
        return { status: 0, output: '' };
      }
      say(`npm ci runs in the copy: ${why}`);
    }
    const words = command.simple[command.simple.length - 1].words.join(' ');
    const typed = words === 'npm run deploy:local' ? `bash -o pipefail -c '${command.text} | cat'` : command.text;
    const result = await copy.run(typed, { ...env, ...emulatorEnv }, 15 * 60_000);
    say(`$ ${command.text}  (exit ${result.status}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (result.status !== 0) failures.push(command.text);
    expect({ command: command.text, status: result.status, output: result.status === 0 ? '' : result.output.slice(-6000) }).toEqual({
      command: command.text,
      status: 0,
      output: '',
    });
    if (command.simple[0]?.words[0] === 'curl') checkCurl(command, result);
    if (words === 'npm run deploy:local') {
      // The README's next instruction: eval "$(npm run -s env:local)".
      const exported = await copy.run('npm run -s env:local', env, 120_000);
      emulatorEnv = Object.fromEntries(
        [...exported.output.matchAll(/^export ([A-Z_0-9]+)=(".*")$/gm)].map((match) => [match[1], JSON.parse(match[2]) as string]),
      );
      expect(emulatorEnv.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      checkPipedDeploy(result);
    }
    if (words === 'npm run destroy:local') emulatorEnv = {};
    return result;
  }

  it.each(runnable.map((block) => [where(block), block] as const))('%s', async (_, block) => {
    if (failures.length > 0) throw new Error(`not run: an earlier command failed (${failures[0]})`);
    let server: ReturnType<CleanCopy['serve']> | undefined;
    try {
      for (const command of block.commands) {
        if (serves(command)) {
          say(`$ ${command.text}  (serving until Ctrl-C, beside the next commands)`);
          server = copy.serve(command.text, { ...env, ...emulatorEnv });
          continue;
        }
        if (server && command.simple[0]?.words[0] === 'curl') {
          const port = Number(/:(\d+)\//.exec(command.text)?.[1] ?? 80);
          const up = await listening(port, 120_000);
          expect({ serving: command.text, up, exited: server.exited(), output: up ? '' : server.output().slice(-4000) }).toEqual({
            serving: command.text,
            up: true,
            exited: false,
            output: '',
          });
        }
        await runCommand(command);
      }
    } finally {
      if (server) {
        const status = await server.stop();
        say(`Ctrl-C: it exited ${status}`);
        expect(server.exited()).toBe(true);
      }
    }
  });
});
