import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { MicroserviceConfig, ProjectConfig } from '../../forum/config/types';
import { REPO_ROOT } from '../support/processes';
import { synth } from '../support/synth';

const withServices = (microservices: MicroserviceConfig[], extra: Partial<ProjectConfig> = {}): ProjectConfig => ({
  ...projectConfig,
  ...extra,
  microservices,
});
const [users, threads, posts] = projectConfig.microservices;
const resolve =
  (config: ProjectConfig, env: Record<string, string> = {}) =>
  () =>
    resolveConfig(config, env, REPO_ROOT);

describe('EXTRACTED_SERVICES', () => {
  const extracted = (value?: string) => resolveConfig(projectConfig, { EXTRACTED_SERVICES: value }, REPO_ROOT).microservices.map((service) => service.name);

  it('overrides the configured stage for one run', () => {
    expect(extracted(undefined)).toEqual(['users', 'threads', 'posts']);
    expect(extracted('none')).toEqual([]);
    expect(extracted('all')).toEqual(['users', 'threads', 'posts']);
    expect(extracted(' users , posts ')).toEqual(['users', 'posts']);
    expect(extracted('')).toEqual(['users', 'threads', 'posts']);
  });

  it('keeps configuration order, not the order given', () => {
    expect(extracted('posts,users')).toEqual(['users', 'posts']);
  });

  it('rejects an unknown service, naming it and the variable', () => {
    expect(resolve(projectConfig, { EXTRACTED_SERVICES: 'users,likes' })).toThrow(
      'Invalid configuration: EXTRACTED_SERVICES: unknown service "likes" (known: users, threads, posts; or "all", "none")',
    );
  });
});

describe('STAGE: each stage is its own stack, with its own state and accounts', () => {
  it('deploys the first configured stage unless STAGE names another', () => {
    expect(Object.keys(projectConfig.stages)).toEqual(['dev', 'prod']);
    const dev = resolveConfig(projectConfig, {}, REPO_ROOT);
    expect({ stage: dev.stage, namePrefix: dev.namePrefix, state: dev.state, deletionProtection: dev.deletionProtection }).toEqual({
      stage: 'dev',
      namePrefix: 'forum-dev',
      state: { backend: 'local' },
      deletionProtection: false,
    });
    const prod = resolveConfig(projectConfig, { STAGE: 'prod' }, REPO_ROOT);
    expect({
      stage: prod.stage,
      namePrefix: prod.namePrefix,
      backend: prod.state.backend,
      accounts: prod.allowedAccountIds,
      deletionProtection: prod.deletionProtection,
      logRetentionDays: prod.logRetentionDays,
    }).toEqual({
      stage: 'prod',
      namePrefix: 'forum-prod',
      backend: 's3',
      accounts: ['123456789012'],
      deletionProtection: undefined,
      logRetentionDays: 365,
    });
  });

  it('names the stack and every resource after the stage, and gives the provider its accounts', () => {
    const json = synth({ STAGE: 'prod' });
    expect(json.provider.aws).toEqual([
      expect.objectContaining({
        allowed_account_ids: ['123456789012'],
        default_tags: [{ tags: { Project: 'forum', Environment: 'prod', ManagedBy: 'cdktf' } }],
      }),
    ]);
    expect(json.terraform.backend).toEqual({
      s3: { bucket: 'forum-terraform-state-123456789012', key: 'forum-prod/terraform.tfstate', region: 'us-east-1', encrypt: true, use_lockfile: true },
    });
    expect(Object.values(json.resource.aws_lb).map((lb) => lb.name)).toEqual(['forum-prod-alb']);
    expect((synth().provider.aws[0] as Record<string, unknown>).allowed_account_ids).toBeUndefined();
  });

  it.each<[string, ProjectConfig, Record<string, string>, string]>([
    ['an unknown STAGE', projectConfig, { STAGE: 'qa' }, 'STAGE: unknown stage "qa" (configured: dev, prod)'],
    ['no stage at all', { ...projectConfig, stages: {} }, {}, 'stages: configure at least one stage'],
    ['a stage name AWS names cannot take', { ...projectConfig, stages: { Dev_1: {} } }, {}, 'stages.Dev_1: "Dev_1" must be lower-case letters'],
    [
      'an account id that is not one',
      { ...projectConfig, stages: { dev: { allowedAccountIds: ['12345'] } } },
      {},
      'stages.dev.allowedAccountIds: "12345" is not a 12-digit AWS account id',
    ],
    ['an empty account list', { ...projectConfig, stages: { dev: { allowedAccountIds: [] } } }, {}, 'stages.dev.allowedAccountIds: name at least one account'],
  ])('rejects %s, naming the field', (_, config, env, message) => {
    expect(resolve(config, env)).toThrow(`Invalid configuration: ${message}`);
  });
});

describe('configuration errors name the service and the field', () => {
  it.each<[string, ProjectConfig, string]>([
    ['duplicate names', withServices([users, { ...threads, name: 'users' }]), 'microservices.users.name: duplicate service name "users"'],
    [
      'a microservice named like the monolith',
      withServices([{ ...users, name: 'monolith' }]),
      'microservices.monolith.name: duplicate service name "monolith"',
    ],
    [
      'duplicate priorities',
      withServices([users, { ...threads, route: { priority: 10 } }]),
      'microservices.threads.route.priority: priority 10 is already used by "users"',
    ],
    [
      'duplicate path patterns',
      withServices([users, { ...posts, route: { ...posts.route, pathPatterns: ['/api/posts', '/api/users/*'] } }]),
      'microservices.posts.route.pathPatterns: path pattern "/api/users/*" is already routed to "users"',
    ],
    [
      'a missing build context',
      withServices([{ ...users, image: { build: { context: 'nowhere', dockerfile: 'Dockerfile' } } }]),
      'microservices.users.image.build.context: build context "nowhere" does not exist',
    ],
    [
      'a missing Dockerfile',
      withServices([{ ...users, image: { build: { context: '.', dockerfile: 'services/users/Nope' } } }]),
      'microservices.users.image.build.dockerfile: "services/users/Nope" does not exist in the build context "."',
    ],
    ['an invalid name', withServices([{ ...users, name: 'Users_1' }]), 'microservices.Users_1.name: "Users_1" must be lower-case letters'],
  ])('%s', (_, config, message) => {
    expect(resolve(config)).toThrow(`Invalid configuration: ${message}`);
  });

  it('rejects an unknown DEPLOY_TARGET and a local target without ready-made images', () => {
    expect(resolve(projectConfig, { DEPLOY_TARGET: 'gcp' })).toThrow('Invalid configuration: DEPLOY_TARGET: "gcp" must be "aws" or "local"');
    expect(resolve(projectConfig, { DEPLOY_TARGET: 'local' })).toThrow(
      'Invalid configuration: IMAGE_URI_TEMPLATE: DEPLOY_TARGET=local needs ready-made images',
    );
    expect(resolve(projectConfig, { IMAGE_URI_TEMPLATE: 'registry/forum:latest' })).toThrow(
      'IMAGE_URI_TEMPLATE: "registry/forum:latest" must contain {service}',
    );
  });

  it('validates an unextracted service too: a bad config fails before the step that would need it', () => {
    expect(resolve(withServices([users, { ...threads, route: { priority: 10 } }]), { EXTRACTED_SERVICES: 'none' })).toThrow('priority 10 is already used');
  });

  it('resolves build contexts against the project root, not the working directory', () => {
    const cwd = process.cwd();
    process.chdir(mkdtempSync(`${tmpdir()}/elsewhere-`));
    try {
      const resolved = resolveConfig(projectConfig, {}, REPO_ROOT);
      expect(resolved.monolith.image).toEqual({ build: { context: REPO_ROOT, dockerfile: 'services/monolith/Dockerfile' } });
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('limits checked by the constructs at synth, naming the construct and the field', () => {
  it.each<[string, Partial<MicroserviceConfig>, string]>([
    ['a priority out of range', { route: { priority: 0 } }, 'forum-dev/routing: rules.users.priority: 0 must be an integer from 1 to 50000'],
    [
      'inverted scaling bounds',
      { autoScaling: { minCapacity: 5, maxCapacity: 2 } },
      'forum-dev/users/scaling: minCapacity/maxCapacity: 5..2 must be integers with 0 <= min <= max and max >= 1',
    ],
    ['a retention CloudWatch Logs does not offer', { logRetentionDays: 10 }, 'forum-dev/users: logRetentionDays: 10 is not a retention CloudWatch Logs offers'],
    [
      'a health check timeout not below its interval',
      { healthCheck: { intervalSeconds: 5, timeoutSeconds: 5 } },
      'forum-dev/users: healthCheck.timeoutSeconds: 5 must be less than the interval (5)',
    ],
    ['an invalid Fargate cpu', { cpu: 300 }, 'forum-dev/users: cpu: 300 is not a Fargate CPU value'],
    ['memory that does not fit the cpu', { cpu: 256, memory: 4096 }, 'forum-dev/users: memory: 4096 MiB is not valid with cpu 256 on Fargate'],
    [
      "a name too long for a target group's, with the suffix that tells a replacement apart",
      { name: 'users-long-names' },
      `forum-dev/users-long-names: name: "forum-dev-users-long-names" is 26 characters; at most 25 fit (a target group's 32, less the 7 that tell a replacement apart)`,
    ],
    [
      "a blue/green service's name too long for its green target group's",
      { name: 'users-longer', deployment: 'blue-green' },
      'forum-dev/users-longer: name: "forum-dev-users-longer-green" is 28 characters; at most 25 fit',
    ],
  ])('%s', (_, change, message) => {
    expect(() => synth({}, withServices([{ ...users, ...change }]))).toThrow(message);
  });
});

describe('the cdktf app itself', () => {
  it('exits 1 with the message, not a stack trace, on a bad override', () => {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'build', 'main.js')], {
      env: { ...process.env, EXTRACTED_SERVICES: 'users,likes', CDKTF_OUTDIR: mkdtempSync(`${tmpdir()}/synth-`) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('Invalid configuration: EXTRACTED_SERVICES: unknown service "likes" (known: users, threads, posts; or "all", "none")\n');
  });
});
