/**
 * Adding a microservice is its folder and one entry in forum/config/project.ts.
 * In a scratch copy of the project, a service `likes` is added to the
 * configuration alone; `npm run generate` gives it a starting folder and
 * lists it everywhere it must be listed, `npm install` links the workspace,
 * and then it builds, synthesizes with its own rule, serves through the
 * local gateway, and builds as an image.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerOrThrow, engineAnswers, NO_ENGINE_MESSAGE, OPT_OUT, standInBaseImage } from '../../tools/docker';
import { freePort, httpGet, REPO_ROOT } from '../support/processes';

jest.setTimeout(5 * 60_000);

const NEW = 'likes';
const scratch = mkdtempSync(join(tmpdir(), 'forum-new-service-'));
const say = (message: string) => process.stdout.write(`  [new service] ${message}\n`);

function run(command: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd: scratch, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * The project's files as git has them, and a node_modules that shares the
 * installed packages' files (hard links: fast, no download) but owns the
 * files npm rewrites: the hidden lockfile and the workspace links.
 */
function scratchCopy(): void {
  const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(REPO_ROOT, file))) continue;
    mkdirSync(join(scratch, file, '..'), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(scratch, file));
  }
  const modules = join(REPO_ROOT, 'node_modules');
  for (const entry of readdirSync(modules)) {
    if (entry === '@forum' || entry === '.package-lock.json') continue;
    linkTree(join(modules, entry), join(scratch, 'node_modules', entry));
  }
  cpSync(join(modules, '.package-lock.json'), join(scratch, 'node_modules', '.package-lock.json'));
  mkdirSync(join(scratch, 'node_modules', '@forum'));
  for (const link of readdirSync(join(modules, '@forum'))) {
    // Relative links (../../services/<name>): they point into the scratch copy.
    symlinkSync(readlinkSync(join(modules, '@forum', link)), join(scratch, 'node_modules', '@forum', link));
  }
}

function linkTree(from: string, to: string): void {
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) return symlinkSync(readlinkSync(from), to);
  if (stat.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) linkTree(join(from, entry), join(to, entry));
    return;
  }
  linkSync(from, to);
}

beforeAll(() => {
  const started = Date.now();
  scratchCopy();
  const project = join(scratch, 'forum', 'config', 'project.ts');
  const text = readFileSync(project, 'utf8');
  const entry = `    { ...forumService('${NEW}'), extracted: true, route: { priority: 40 } },\n`;
  const after = text.replace(/( {2}microservices: \[\n)/, `$1${entry}`);
  expect(after).not.toBe(text);
  writeFileSync(project, after);
  say(`scratch copy ${scratch} in ${Date.now() - started} ms; forum/config/project.ts gained one entry: ${entry.trim()}`);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe(`a new microservice, "${NEW}", from one configuration entry`, () => {
  it('npm run generate gives it a folder and lists it everywhere, and npm install links it', () => {
    run('npm', ['run', '-s', 'generate']);
    for (const file of ['package.json', 'tsconfig.json', 'Dockerfile', 'src/plugin.ts', 'src/main.ts', 'src/index.ts'])
      expect(existsSync(join(scratch, 'services', NEW, file))).toBe(true);
    expect(JSON.parse(readFileSync(join(scratch, 'package.json'), 'utf8')).workspaces).toContain(`services/${NEW}`);
    expect(JSON.parse(readFileSync(join(scratch, 'tsconfig.json'), 'utf8')).references).toContainEqual({ path: `services/${NEW}` });
    expect(JSON.parse(readFileSync(join(scratch, 'services', 'monolith', 'package.json'), 'utf8')).dependencies).toHaveProperty(`@forum/${NEW}`);
    expect(readFileSync(join(scratch, 'services', 'monolith', 'src', 'plugins.ts'), 'utf8')).toContain(`import { resource as ${NEW} } from '@forum/${NEW}';`);
    expect(readFileSync(join(scratch, 'services', 'monolith', 'Dockerfile'), 'utf8')).toContain(`COPY services/${NEW}/ services/${NEW}/`);
    expect(readFileSync(join(scratch, 'docs', 'infrastructure.md'), 'utf8')).toContain(`priority 40: /api/${NEW}, /api/${NEW}/*`);
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts']);
    expect(readFileSync(join(scratch, 'package-lock.json'), 'utf8')).toContain(`"node_modules/@forum/${NEW}"`);
    // Once it is linked and built, the API's document gains its route.
    run('npm', ['run', '-s', 'generate']);
    expect(JSON.parse(readFileSync(join(scratch, 'docs', 'openapi.json'), 'utf8')).paths).toHaveProperty([`/api/${NEW}`, 'get']);
    run('npm', ['run', '-s', 'generate', '--', '--check']);
    say(
      'generate: folder, workspaces, references, monolith plugins and dependencies, Dockerfiles, compose, the routing diagram in docs/; npm install linked it; generate again: its route in docs/openapi.json; generate --check passes',
    );
  });

  it('builds, and synthesizes its own service and rule', () => {
    run('node', ['node_modules/typescript/bin/tsc', '-b']);
    expect(existsSync(join(scratch, 'services', NEW, 'dist', 'main.js'))).toBe(true);
    const out = join(scratch, 'synth');
    run('node', ['build/main.js'], { CDKTF_OUTDIR: out, EXTRACTED_SERVICES: '' });
    const json = JSON.parse(readFileSync(join(out, 'stacks', 'forum-dev', 'cdk.tf.json'), 'utf8')) as {
      resource: Record<string, Record<string, Record<string, unknown> & { '//': { metadata: { path: string } } }>>;
    };
    const at = (type: string, path: string) => Object.values(json.resource[type]).find((body) => body['//'].metadata.path === `forum-dev/${path}`);
    expect(at('aws_lb_listener_rule', `routing/${NEW}`)).toMatchObject({
      priority: 40,
      condition: [{ path_pattern: { values: [`/api/${NEW}`, `/api/${NEW}/*`] } }],
    });
    expect(at('aws_ecs_service', `${NEW}/service`)).toMatchObject({ name: `forum-dev-${NEW}` });
    say(`tsc -b built it; synth: rule priority 40 for /api/${NEW}, ECS service forum-dev-${NEW}`);
  });

  it('serves its route through the local gateway, and the monolith serves it too', async () => {
    const port = await freePort();
    const dev = spawn(process.execPath, ['build/tools/dev/run.js'], {
      cwd: scratch,
      env: { ...process.env, GATEWAY_PORT: String(port), EXTRACTED_SERVICES: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    dev.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('Gateway on')) {
        if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`npm run dev did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const likes = await httpGet(port, `/api/${NEW}`);
      expect({ status: likes.status, servedBy: likes.headers['x-served-by'], body: likes.body }).toEqual({ status: 200, servedBy: NEW, body: '[]' });
      expect((await httpGet(port, '/api/users/1')).headers['x-served-by']).toBe('users');
      const monolithPort = Number(/monolith \(127\.0\.0\.1:(\d+)\)/.exec(output)![1]);
      expect((await httpGet(monolithPort, `/api/${NEW}`)).body).toBe('[]');
      say(`npm run dev: GET /api/${NEW} answered by ${NEW} through the gateway; the monolith answers it alike`);
    } finally {
      const exited = new Promise((resolve) => dev.once('exit', resolve));
      dev.kill('SIGINT');
      await exited;
    }
  });

  (OPT_OUT ? it.skip : it)('builds its image from the generated Dockerfile', () => {
    if (!engineAnswers()) throw new Error(NO_ENGINE_MESSAGE);
    const base = standInBaseImage();
    const tag = `forum-${NEW}:scratch-test`;
    try {
      dockerOrThrow(['build', '-q', '--build-arg', `NODE_IMAGE=${base}`, '-f', join(scratch, 'services', NEW, 'Dockerfile'), '-t', tag, scratch], {
        timeoutMs: 300_000,
      });
      expect(dockerOrThrow(['image', 'inspect', '--format', '{{json .Config.Cmd}}', tag])).toBe(`["node","/app/services/${NEW}/dist/main.js"]`);
      say(`docker build of services/${NEW}/Dockerfile: ${tag}`);
    } finally {
      dockerOrThrow(['image', 'rm', '-f', tag]);
    }
  });
});
