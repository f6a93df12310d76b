/**
 * Every environment variable the project reads, declared once: its name,
 * what it takes, its default, what it does and which commands read it. Every
 * read goes through `setting()` (a test fails on a read of an undeclared
 * variable, or on one that bypasses this module); docs/configuration.md's
 * table is generated from here. Two kinds of program read their variables
 * themselves, because they are packaged apart from this tree: the services
 * (`services/shared/src/env.ts` validates theirs at start-up) and the
 * pre-traffic hook's Lambda handler; their variables are declared here too.
 */

export interface SettingDeclaration {
  /** What a value looks like. */
  readonly takes: string;
  /** The default, as a reader should read it. @default - none: unset means off, or the command fails naming it */
  readonly default?: string;
  /** What it does. */
  readonly description: string;
  /** Who reads it: npm scripts, the cdktf apps, the services... */
  readonly readBy: string;
}

const CDKTF_APPS = 'the cdktf apps (`npx cdktf ...`), and the npm scripts that run them';
const LOCAL = '`npm run deploy:local`, `diff:local`, `destroy:local`, `env:local`, the local runtime';

export const SETTINGS = {
  // One run of the stack: the refactor as configuration.
  STAGE: {
    takes: 'a stage of `stages`: `dev`, `prod`',
    default: 'the first stage of `stages`',
    description: 'Which configured stage this run synthesizes, plans or deploys: its own stack, state and accounts.',
    readBy: CDKTF_APPS,
  },
  EXTRACTED_SERVICES: {
    takes: '`users,threads`, `none` or `all`',
    default: "each microservice's `extracted`",
    description: 'Which microservices are extracted (have their service and rule) in this run.',
    readBy: CDKTF_APPS,
  },
  TRAFFIC_SHARES: {
    takes: '`users=10,threads=50`',
    default: "each route's `percent` (100)",
    description: 'The share of its paths each extracted service takes; the monolith gets the rest.',
    readBy: CDKTF_APPS,
  },
  BLUE_GREEN_SERVICES: {
    takes: '`users,threads` or `none`',
    default: "each service's `deployment`",
    description: 'Which services deploy blue/green with CodeDeploy.',
    readBy: CDKTF_APPS,
  },
  FACADE_SERVICES: {
    takes: '`posts` or `none`',
    default: "each microservice's `persistence`",
    description: 'The microservices that keep their items through the monolith (the facade); the others use their own tables.',
    readBy: CDKTF_APPS,
  },
  LEGACY_TRAFFIC: {
    takes: 'a percent, 0-100',
    default: '`legacyMonolith.trafficPercent`',
    description: 'The share of the default action the monolith on EC2 takes (turns its block on with its defaults when the configuration has none).',
    readBy: CDKTF_APPS,
  },
  RETIRE_MONOLITH: {
    takes: '`true` or `false`',
    default: '`monolith.retired`',
    description: 'Retire the monolith: no monolith service, the default action a JSON 404.',
    readBy: CDKTF_APPS,
  },
  DEPLOY_TARGET: {
    takes: '`aws` or `local`',
    default: '`aws`',
    description: '`local`: the AWS provider talks to an emulator (no credential or metadata checks); needs IMAGE_URI_TEMPLATE.',
    readBy: CDKTF_APPS,
  },
  IMAGE_URI_TEMPLATE: {
    takes: '`<registry>/{service}:{hash}`',
    default: 'none on AWS: the Docker provider builds and pushes each image; `forum-{service}:{hash}` against the emulator',
    description: "Run ready-made images instead of building them: `{service}` and `{hash}` (the content hash of the service's build inputs) are filled in.",
    readBy: `${CDKTF_APPS}; \`npm run deploy:ci\`; the local runtime`,
  },
  LOCAL_STATE_DIR: {
    takes: 'a folder',
    default: 'the folder cdktf runs in',
    description: "Where the local backend keeps each stack's state, as `terraform.<stack>.tfstate`.",
    readBy: CDKTF_APPS,
  },
  PLAN_FILE: {
    takes: 'a saved plan (`terraform plan -out=...`) in the stack folder under CDKTF_OUTDIR',
    description: '`npm run plan:summary` summarizes this plan instead of synthesizing and planning again: the plan a pipeline has reviewed and will apply.',
    readBy: '`npm run plan:summary`',
  },
  CDKTF_OUTDIR: {
    takes: 'a folder',
    default: '`cdktf.out`',
    description: "cdktf's own: where synth writes the stacks.",
    readBy: `${CDKTF_APPS}; \`npm run deploy:ci\`, \`plan:summary\``,
  },
  DEFAULT_ACTION: {
    takes: '`keep` or `take-over`',
    default: '`keep`',
    description: 'Who answers what no rule of the stack matches on an existing listener.',
    readBy: 'examples/existing-load-balancer',
  },
  LISTENER_ARN: { takes: 'an ALB listener ARN', description: 'The existing listener the stack joins.', readBy: 'examples/existing-load-balancer' },
  LOAD_BALANCER_SECURITY_GROUP_ID: {
    takes: 'a security group id',
    description: "The existing load balancer's security group.",
    readBy: 'examples/existing-load-balancer',
  },
  CERTIFICATE_ARN: { takes: 'an ACM certificate ARN', description: "The certificate the load balancer's listeners serve.", readBy: 'examples/https-domain' },
  DOMAIN_NAME: { takes: 'a host name', description: 'The domain name the certificate names.', readBy: 'examples/https-domain' },
  VPC_ID: { takes: 'a VPC id', description: 'The existing VPC.', readBy: 'examples/existing-load-balancer' },
  PUBLIC_SUBNET_IDS: { takes: 'subnet ids, comma-separated', description: "The existing VPC's public subnets.", readBy: 'examples/existing-load-balancer' },
  PRIVATE_SUBNET_IDS: {
    takes: 'subnet ids, comma-separated',
    description: "The existing VPC's private subnets (the tasks).",
    readBy: 'examples/existing-load-balancer',
  },

  // Deploying from a pipeline.
  CI: {
    takes: 'anything but empty, `false` or `0`',
    description: 'Set by every CI service: `npm run deploy:ci` then refuses a stage whose state is on local disk.',
    readBy: '`npm run deploy:ci`',
  },
  GITHUB_REPOSITORY: {
    takes: '`owner/name`',
    default: '`ci.repository`',
    description: "The repository whose workflows the bootstrap stack's roles trust (GitHub Actions sets it).",
    readBy: 'the bootstrap app (`cd bootstrap && npx cdktf ...`)',
  },
  GITHUB_STEP_SUMMARY: {
    takes: 'a file',
    description: "GitHub Actions' job summary, which `npm run plan:summary` appends its table to.",
    readBy: '`npm run plan:summary`',
  },
  IMAGE_REGISTRY: {
    takes: '`<host>[:port]/<path>`',
    description: "Where `npm run images:push` pushes the images (an ECR registry, logged in from the shell's AWS credentials, or any other).",
    readBy: '`npm run images:push`',
  },
  OUTPUTS_FILE: {
    takes: 'a file',
    default: '`outputs.json`',
    description: "The stack's outputs: `npm run deploy:ci` writes them, `npm run release` reads them.",
    readBy: '`npm run deploy:ci`, `release`',
  },

  // The local stand-in for AWS.
  AWS_ENDPOINT_URL: {
    takes: 'a URL',
    description: "The AWS SDK's and the provider's own: the emulator's endpoint (`npm run env:local` prints it).",
    readBy: `${LOCAL}; the services in the emulator`,
  },
  AWS_REGION: {
    takes: 'a region',
    default: "`us-east-1` (the emulator's)",
    description: "The AWS SDK's own.",
    readBy: `${LOCAL}; examples/ready-made-image; the services`,
  },
  LOCAL_ALB_PORT: { takes: 'a port', default: '8080', description: "The loopback port of the local load balancer's production listener.", readBy: LOCAL },
  LOCAL_AWS_PORT: { takes: 'a port', default: 'a free port', description: 'The loopback port of the emulator.', readBy: `${LOCAL}; \`npm run dev\`` },
  LOCAL_RUNTIME: {
    takes: '`docker` or `process`',
    default: '`docker` when an engine answers, else `process`, said loudly',
    description: 'How the local runtime runs tasks.',
    readBy: LOCAL,
  },
  LOCAL_TIME_SCALE: {
    takes: 'a number, 0.01-10',
    default: '1',
    description: "Multiplies the local runtime's health check intervals, grace periods, deregistration delays and CodeDeploy waits (the tests use 0.05).",
    readBy: LOCAL,
  },
  RUNTIME_STATE_FILE: {
    takes: 'a file',
    description: "Where a local runtime writes its pid and control port; its containers' label is derived from it (set by whoever starts the runtime).",
    readBy: 'the local runtime',
  },
  RUNTIME_SUPERVISOR: {
    takes: 'a pid',
    description: "The local runtime's supervisor, which starts the runtime again when it dies (set by the supervisor).",
    readBy: 'the local runtime',
  },
  RUNTIME_RESTARTED: {
    takes: 'why the runtime before ended, e.g. `killed by SIGKILL`',
    description:
      'Set by the supervisor when it starts the runtime again: the new runtime takes back the task containers it finds and serves on the same ports.',
    readBy: 'the local runtime',
  },
  TF_PROVIDER_MIRROR: {
    takes: 'a folder holding `registry.terraform.io`',
    default: "found: Terraform's plugin folders, then a search of /opt and /usr/local",
    description: 'The filesystem mirror of `hashicorp/aws` 5.100.0 that the local target installs from.',
    readBy: `${LOCAL}; the tests`,
  },
  TF_PLUGIN_CACHE_DIR: {
    takes: 'a folder',
    default: '`~/.terraform.d/plugin-cache`',
    description: "Terraform's own: one copy of the provider for every working folder.",
    readBy: LOCAL,
  },
  GOGC: {
    takes: 'a percent, or off',
    default: '400',
    description:
      "Go's own: how much the heap grows between collections, in the Terraform CLI and provider that the local commands run (less CPU for more memory).",
    readBy: LOCAL,
  },
  MOTO_PYTHON: {
    takes: 'a Python interpreter',
    default: '`python3`',
    description: 'The Python that runs the emulator (moto 5.2.1).',
    readBy: `${LOCAL}; \`npm run dev\``,
  },
  PATH: { takes: 'the search path', description: 'Passed on to the tasks the local runtime runs as processes.', readBy: 'the local runtime' },

  // The other commands.
  GATEWAY_PORT: { takes: 'a port', default: '8080', description: "The loopback port of `npm run dev`'s load balancer.", readBy: '`npm run dev`' },
  TOUR_OUTPUT: { takes: 'a file', default: '`tools/tour/latest.json`', description: 'Where `npm run tour` writes its report.', readBy: '`npm run tour`' },
  BENCH_SECONDS: { takes: 'seconds', default: '5', description: 'How long each load of `npm run bench` lasts.', readBy: '`npm run bench`' },
  BENCH_CONNECTIONS: { takes: 'a number', default: '50', description: 'Concurrent connections of each load.', readBy: '`npm run bench`' },
  BENCH_CROWD_CONNECTIONS: {
    takes: 'a number',
    default: '200',
    description: 'Keep-alive clients of the crowd the local load balancer must carry without a failed request.',
    readBy: '`npm run bench`',
  },
  BENCH_CROWD_SECONDS: { takes: 'seconds', default: '30', description: 'How long that crowd lasts.', readBy: '`npm run bench`' },
  BENCH_SYNTH_RUNS: { takes: 'a number', default: '5', description: 'How many times each synth is timed.', readBy: '`npm run bench`' },
  BENCH_ONLY: {
    takes: '`lists` or `logs`',
    description:
      'Runs one part of `npm run bench` alone and leaves `tools/bench/latest.json` as it is: `lists`, a list over 10 and over 10,000 items; `logs`, the CPU a request line costs.',
    readBy: '`npm run bench`',
  },
  BENCH_LOGGER: {
    takes: '`pino`, `previous` or `none`',
    default: '`pino`',
    description: "How the bench's logging server logs requests: the services' pino, the line writer before it, or not at all.",
    readBy: '`npm run bench` (its servers)',
  },
  BENCH_CPU_REQUESTS: { takes: 'a number', default: '5000', description: 'Requests over which CPU per request is measured.', readBy: '`npm run bench`' },
  TARGET_PORT: { takes: 'a port', description: "The bench's load balancer process: the port of its one target.", readBy: '`npm run bench` (its servers)' },
  SKIP_CONTAINER_TESTS: { takes: '`1`', description: 'Opts out of the container tests, loudly (CI never does).', readBy: '`npm test`' },

  // Read by programs packaged apart: the services (validated by services/shared/src/env.ts) and the pre-traffic hook.
  PORT: { takes: 'a port', default: '3000', description: 'The port a service listens on.', readBy: "the services; the bench's servers" },
  HOST: { takes: 'an interface or host name', default: '0.0.0.0', description: 'The interface a service binds.', readBy: 'the services' },
  WORKERS: {
    takes: 'a number, 1-64',
    default: 'the CPUs Node sees',
    description: "The monolith's cluster workers (the stack sets it to the task's vCPUs); 1 runs in-process.",
    readBy: 'the monolith',
  },
  SHUTDOWN_TIMEOUT_MS: {
    takes: 'milliseconds, 0-25000',
    default: '10000',
    description: 'How long SIGTERM waits for requests in flight.',
    readBy: 'the services',
  },
  LOG_REQUESTS: { takes: '`true` or `false`', default: '`true`', description: 'One JSON log line per request.', readBy: 'the services' },
  SERVED_BY: {
    takes: 'a lower-case name',
    default: "the service's name",
    description: 'The `x-served-by` value (the monolith on EC2 answers `monolith-ec2`).',
    readBy: 'the services',
  },
  USERS_TABLE: { takes: 'a table name', description: 'The users table (set by the stack for the services its task role lets use it).', readBy: 'the services' },
  THREADS_TABLE: { takes: 'a table name', description: 'The threads table.', readBy: 'the services' },
  POSTS_TABLE: { takes: 'a table name', description: 'The posts table.', readBy: 'the services' },
  FACADE_URL: {
    takes: 'an http(s) URL without a path',
    description: "The facade: keep the items through the monolith's facade API at this URL instead of tables.",
    readBy: 'the microservices',
  },
  INTERNAL_PORT: {
    takes: 'a port',
    description: "The monolith also serves the facade's API on this port (never behind the load balancer).",
    readBy: 'the monolith',
  },
  TEST_BASE_URL: {
    takes: 'a URL',
    description: 'Where the pre-traffic hook reaches the test listener (set by its construct).',
    readBy: 'the pre-traffic hook',
  },
  TEST_HOST_NAME: {
    takes: 'a host name',
    default: "the test listener URL's host",
    description: "The name the test listener's certificate names: the pre-traffic hook asks for it over TLS (set by its construct behind HTTPS).",
    readBy: 'the pre-traffic hook',
  },
  CHECK_PATH: {
    takes: 'a path',
    default: '`/`',
    description: 'The API route the pre-traffic hook requests (set by its construct).',
    readBy: 'the pre-traffic hook',
  },
} as const satisfies Readonly<Record<string, SettingDeclaration>>;

export type SettingName = keyof typeof SETTINGS;

/** An environment: the process's, or the variables of one run. */
export type Environment = Readonly<Partial<Record<string, string>>>;

/** A declared variable's value: trimmed, and undefined when unset or empty (twelve-factor tools read `X=` as unset). */
export function setting(name: SettingName, env: Environment = process.env): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A declared variable that holds a TCP port, or `fallback`; anything else is an error naming it. */
export function portSetting(name: SettingName, fallback: number, env: Environment = process.env): number {
  const value = setting(name, env);
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new Error(`${name}=${value} is not a port number`);
  return port;
}

/** A declared variable that holds a number from `min` to `max`, or `fallback`; anything else is an error naming it. */
export function numberSetting(name: SettingName, fallback: number, range: { min: number; max: number }, env: Environment = process.env): number {
  const value = setting(name, env);
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < range.min || number > range.max)
    throw new Error(`${name}=${value} must be a number from ${range.min} to ${range.max}`);
  return number;
}
