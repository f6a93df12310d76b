/**
 * Terraform's dependency lock file is kept in git for every stack a user
 * deploys (`<app>/provider-locks/<stack>.terraform.lock.hcl`, which the app
 * places in the stack's working folder at synth, where cdktf and Terraform
 * read and update it), so that `npx cdktf diff|deploy` install
 * exactly the providers that were reviewed, and so that they need no
 * `terraform providers lock` from a registry first. This fails when a
 * provider changes (a new @cdktf/provider-* pins another version) without
 * its lock, when a stack has no lock, or when a lock is left for a stack that
 * is gone; and it checks the recorded hash against the provider mirror.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { providerLockOf } from '../../forum/synth-app';
import { findProviderMirror, writeCliConfig } from '../../local/aws/local-aws';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), 'forum-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every stack a user deploys with `npx cdktf`, by the folder of its cdktf.json and the variables it is run with. */
interface App {
  readonly folder: string;
  readonly script: string;
  readonly env: Record<string, string>;
}
const APPS: readonly App[] = [
  ...['dev', 'prod'].flatMap((STAGE): App[] => [
    { folder: '.', script: 'build/main.js', env: { STAGE } },
    { folder: 'bootstrap', script: 'build/bootstrap/main.js', env: { STAGE, GITHUB_REPOSITORY: 'example-org/forum' } },
  ]),
  { folder: 'examples/ready-made-image', script: 'build/examples/ready-made-image/main.js', env: {} },
  {
    folder: 'examples/https-domain',
    script: 'build/examples/https-domain/main.js',
    env: { CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:123456789012:certificate/example', DOMAIN_NAME: 'forum.example.com', BLUE_GREEN_SERVICES: 'users' },
  },
  {
    folder: 'examples/existing-load-balancer',
    script: 'build/examples/existing-load-balancer/main.js',
    env: {
      LISTENER_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2',
      LOAD_BALANCER_SECURITY_GROUP_ID: 'sg-1',
      VPC_ID: 'vpc-1',
      PUBLIC_SUBNET_IDS: 'subnet-1,subnet-2',
      PRIVATE_SUBNET_IDS: 'subnet-3,subnet-4',
    },
  },
];

/** The Docker provider builds images on a developer's machine; no mirror here has it, so its hashes are added by the first `cdktf deploy` that builds. */
const NOT_IN_MIRROR = new Set(['registry.terraform.io/kreuzwerker/docker']);

interface Required {
  readonly stack: string;
  readonly lockFile: string;
  /** Whether the synth put that lock file in the stack's working folder. */
  readonly placed: boolean;
  readonly providers: ReadonlyMap<string, string>;
}

const fullSource = (source: string) => `registry.terraform.io/${source.includes('/') ? source : `hashicorp/${source}`}`;

/** What each stack of each app requires, from a real synth of the compiled app. */
const required: Required[] = APPS.flatMap((app, index) => {
  const outdir = join(dir, String(index));
  const run = spawnSync(process.execPath, [join(REPO_ROOT, app.script)], {
    cwd: join(REPO_ROOT, app.folder),
    env: { ...process.env, EXTRACTED_SERVICES: '', IMAGE_URI_TEMPLATE: '', DEPLOY_TARGET: '', ...app.env, CDKTF_OUTDIR: outdir },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`${app.script} failed: ${run.stderr}`);
  return readdirSync(join(outdir, 'stacks')).map((stack) => {
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as {
      terraform: { required_providers: Record<string, { source: string; version: string }> };
    };
    const providers = new Map(Object.values(json.terraform.required_providers).map(({ source, version }) => [fullSource(source), version]));
    // The synth placed the tracked lock file where Terraform reads it.
    const placed = join(outdir, 'stacks', stack, '.terraform.lock.hcl');
    const lockFile = relative(REPO_ROOT, providerLockOf(join(REPO_ROOT, app.folder), stack));
    return {
      stack,
      lockFile,
      placed: existsSync(placed) && existsSync(join(REPO_ROOT, lockFile)) && readFileSync(placed, 'utf8') === readFileSync(join(REPO_ROOT, lockFile), 'utf8'),
      providers,
    };
  });
});

/** provider source → { version, hashes } from a lock file. */
function readLock(path: string): Map<string, { version: string; hashes: string[] }> {
  const text = readFileSync(join(REPO_ROOT, path), 'utf8');
  const locked = new Map<string, { version: string; hashes: string[] }>();
  for (const match of text.matchAll(/provider "([^"]+)" \{([^}]*)\}/g)) {
    const body = match[2];
    locked.set(match[1], {
      version: /version\s*=\s*"([^"]+)"/.exec(body)?.[1] ?? '',
      hashes: [...body.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((hash) => hash[1]),
    });
  }
  return locked;
}

it('every stack has its lock file, and no lock file is left for a stack that is gone', () => {
  const tracked = spawnSync('git', ['ls-files', '--', '*.terraform.lock.hcl'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
  expect(required.map(({ stack, lockFile }) => ({ stack, locked: existsSync(join(REPO_ROOT, lockFile)) }))).toEqual(
    required.map(({ stack }) => ({ stack, locked: true })),
  );
  expect(tracked).toEqual([...new Set(required.map(({ lockFile }) => lockFile))].sort());
});

it("every synth places its stacks' lock files where Terraform reads them, and a synth of one stage leaves the other's in git", () => {
  expect(required.map(({ stack, placed }) => ({ stack, placed }))).toEqual(required.map(({ stack }) => ({ stack, placed: true })));
  // The cdktf CLI removes the working folder of every stack a synth leaves out: here, the prod stage's by a dev synth.
  const out = join(dir, 'cli-synth');
  const synth = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', out], {
    cwd: REPO_ROOT,
    env: { ...process.env, STAGE: 'prod', EXTRACTED_SERVICES: '', CHECKPOINT_DISABLE: '1' },
    encoding: 'utf8',
  });
  expect(synth.status).toBe(0);
  spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', out], {
    cwd: REPO_ROOT,
    env: { ...process.env, STAGE: 'dev', EXTRACTED_SERVICES: '', CHECKPOINT_DISABLE: '1' },
    encoding: 'utf8',
  });
  expect({ prodFolder: existsSync(join(out, 'stacks', 'forum-prod')), prodLock: existsSync(providerLockOf(REPO_ROOT, 'forum-prod')) }).toEqual({
    prodFolder: false,
    prodLock: true,
  });
  expect(readdirSync(join(out, 'stacks', 'forum-dev'))).toContain('.terraform.lock.hcl');
});

it.each(required.map((entry) => [entry.lockFile, entry] as const))(
  '%s locks every provider its stack requires, at the required version',
  (_, { providers, lockFile }) => {
    const locked = readLock(lockFile);
    for (const [source, version] of providers) {
      if (NOT_IN_MIRROR.has(source) && !locked.has(source)) continue;
      expect({ source, version: locked.get(source)?.version }).toEqual({ source, version });
    }
    // Nothing locked that the stack does not use.
    expect([...locked.keys()].filter((source) => !providers.has(source))).toEqual([]);
  },
);

it('the recorded hashes include the one of the provider in the mirror, so that init verifies it', () => {
  const work = join(dir, 'mirror-lock');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const [source, version] = [...required[0].providers].find(([candidate]) => candidate.endsWith('/hashicorp/aws'))!;
  writeFileSync(join(work, 'main.tf'), `terraform {\n  required_providers {\n    aws = { source = "${source}", version = "${version}" }\n  }\n}\n`);
  const env = { ...process.env, TF_CLI_CONFIG_FILE: writeCliConfig(join(work, 'terraform.rc'), findProviderMirror()) };
  const lock = spawnSync('terraform', ['providers', 'lock', `-fs-mirror=${findProviderMirror()}`, '-platform=linux_amd64', '-no-color'], {
    cwd: work,
    env,
    encoding: 'utf8',
  });
  expect(lock.stderr).toBe('');
  const [mirrorHash] = readLock(relative(REPO_ROOT, join(work, '.terraform.lock.hcl'))).get(source)!.hashes;
  expect(mirrorHash).toMatch(/^h1:/);
  for (const { lockFile } of required)
    expect({ lockFile, hashes: readLock(lockFile).get(source)?.hashes }).toEqual({ lockFile, hashes: expect.arrayContaining([mirrorHash]) });
});
