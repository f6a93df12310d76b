/**
 * The shape of the project's configuration, its defaults (all in one place),
 * the environment overrides for one run, and validation that names the
 * service and field at fault. `config/project.ts` holds the values.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** Where a service's container image comes from. */
export type ImageSource =
  /** Built by the Terraform Docker provider from a Dockerfile and pushed to the service's ECR repository. */
  | { readonly build: { readonly context: string; readonly dockerfile: string } }
  /** Built and pushed elsewhere (a CI pipeline): used as given, no Docker provider resources. */
  | { readonly uri: string };

export interface ScalingConfig {
  /** @default 1 */
  readonly minCapacity?: number;
  /** @default 4 */
  readonly maxCapacity?: number;
  /** Average CPU utilisation the service scales to hold. @default 60 */
  readonly cpuTargetPercent?: number;
  /** ALB requests per target per minute the service scales to hold. @default 1000 */
  readonly requestsPerTarget?: number;
}

/** How CodeDeploy shifts production traffic to the new (green) tasks. */
export type TrafficShiftStrategy = 'all-at-once' | 'linear-10-percent-every-1-minute' | 'canary-10-percent-5-minutes';

export interface BlueGreenConfig {
  /** Port of this service's test listener, which serves the green tasks before the switch. @default 9000 + priority (monolith: 9000) */
  readonly testPort?: number;
  /** @default 'canary-10-percent-5-minutes' */
  readonly strategy?: TrafficShiftStrategy;
  /** Minutes the old (blue) tasks keep running after a successful switch, for a fast manual rollback. @default 5 */
  readonly terminateAfterMinutes?: number;
  /** Route the pre-traffic hook requests (besides /health) and expects a 200 from. @default the first path pattern without a wildcard, else '/api' */
  readonly checkPath?: string;
}

export interface AlarmConfig {
  /** Target 5xx responses per minute that raise the alarm (and roll a deployment back). @default 5 */
  readonly target5xxPerMinute?: number;
  /** Unhealthy targets, for two minutes, that raise the alarm. @default 1 */
  readonly unhealthyHosts?: number;
}

export interface ServiceConfig {
  /** Lower-case name; also the path prefix `/api/<name>` of a microservice and the folder `services/<name>`. */
  readonly name: string;
  readonly image: ImageSource;
  /** Port the container listens on (its PORT). @default 3000 */
  readonly containerPort?: number;
  /** Fargate task CPU units. @default 256 */
  readonly cpu?: number;
  /** Fargate task memory in MiB; must be valid for the CPU. @default 512 */
  readonly memory?: number;
  /** Tasks at first deploy; Application Auto Scaling owns it afterwards. @default 2 */
  readonly desiredCount?: number;
  readonly scaling?: ScalingConfig;
  /** Extra environment variables of the container. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** 'rolling' (ECS, with circuit breaker and alarm rollback) or 'blue-green' (CodeDeploy). @default 'rolling' */
  readonly deployment?: 'rolling' | 'blue-green';
  /** Settings of a blue/green deployment. @default see BlueGreenConfig */
  readonly blueGreen?: BlueGreenConfig;
  /** @default see AlarmConfig */
  readonly alarms?: AlarmConfig;
}

export interface MicroserviceConfig extends ServiceConfig {
  /**
   * Listener rule priority. Fixed per service, never derived from list order,
   * so adding or removing a service never renumbers the others.
   */
  readonly priority: number;
  /** Whether the ALB sends this service's paths to it yet (the strangler step). */
  readonly extracted: boolean;
  /** @default ['/api/<name>', '/api/<name>/*'] */
  readonly pathPatterns?: readonly string[];
  /**
   * Percent of this service's paths that the ALB sends to it; the rest still
   * goes to the monolith (a weighted canary). 0 keeps the rule but sends
   * everything back to the monolith: the instant rollback. @default 100
   */
  readonly trafficPercent?: number;
  /** Keep a client on the side it first landed on, for this many seconds, while the share is between 1 and 99. @default - no stickiness */
  readonly stickinessSeconds?: number;
}

export type NetworkConfig =
  | {
      readonly kind: 'new';
      /** @default '10.0.0.0/16' */
      readonly cidr?: string;
      /** Availability zones to span (2 or more). @default 2 */
      readonly azCount?: number;
      /** One NAT gateway shared by all private subnets (cheaper), or one per zone (survives a zone outage). @default 'single' */
      readonly natGateways?: 'single' | 'per-az';
    }
  | {
      readonly kind: 'existing';
      readonly vpcId: string;
      readonly publicSubnetIds: readonly string[];
      readonly privateSubnetIds: readonly string[];
    };

export type StateConfig =
  | { readonly backend: 'local' }
  | { readonly backend: 's3'; readonly bucket: string; readonly key: string; readonly region: string };

export interface ProjectConfig {
  /** Short project name, first part of every resource name. */
  readonly project: string;
  /** Environment name (dev, prod...), second part of every resource name and a default tag. */
  readonly environment: string;
  readonly region: string;
  readonly network: NetworkConfig;
  /** ACM certificate ARN: adds an HTTPS listener that carries the rules, and HTTP redirects to it. @default none */
  readonly certificateArn?: string;
  /** CIDRs the load balancer admits. @default ['0.0.0.0/0'] */
  readonly ingressCidrs?: readonly string[];
  /** Days CloudWatch keeps container logs. @default 30 */
  readonly logRetentionDays?: number;
  /** Images each ECR repository keeps. @default 10 */
  readonly keepImages?: number;
  /** @default { backend: 'local' } */
  readonly state?: StateConfig;
  /**
   * CIDRs admitted to the test listeners of blue/green services, besides the
   * NAT gateways' addresses (the pre-traffic hook's way out). @default []
   */
  readonly testListenerCidrs?: readonly string[];
  /** The monolith: the listener's default action. */
  readonly monolith: ServiceConfig;
  readonly microservices: readonly MicroserviceConfig[];
}

/** A service with every default filled in. */
export interface ResolvedService {
  readonly name: string;
  readonly image: ImageSource;
  readonly containerPort: number;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly scaling: Required<ScalingConfig>;
  readonly environment: Readonly<Record<string, string>>;
  /** Absent for the monolith, which is the listener's default. */
  readonly route?: {
    readonly priority: number;
    readonly pathPatterns: readonly string[];
    /** Share of the paths sent to this service; the rest goes to the monolith. */
    readonly trafficPercent: number;
    readonly stickinessSeconds?: number;
  };
  readonly deployment: 'rolling' | 'blue-green';
  readonly blueGreen: Required<BlueGreenConfig>;
  readonly alarms: Required<AlarmConfig>;
}

export interface ResolvedConfig {
  readonly project: string;
  readonly environment: string;
  /** `<project>-<environment>`: the first part of every name. */
  readonly namePrefix: string;
  readonly region: string;
  readonly network: NetworkConfig;
  readonly certificateArn?: string;
  readonly ingressCidrs: readonly string[];
  readonly logRetentionDays: number;
  readonly keepImages: number;
  readonly state: StateConfig;
  readonly testListenerCidrs: readonly string[];
  /** 'local': the provider talks to an emulator (skips credential and metadata checks). */
  readonly target: 'aws' | 'local';
  /** IMAGE_URI_TEMPLATE of this run: every built image is taken as ready-made from there instead. */
  readonly imageUriTemplate?: string;
  /** LOCAL_STATE_FILE of this run, for the local backend. */
  readonly localStateFile?: string;
  readonly monolith: ResolvedService;
  /** Extracted microservices only, in configuration order. */
  readonly microservices: readonly ResolvedService[];
  /** Every microservice configured, extracted or not. */
  readonly knownMicroservices: readonly string[];
}

export const DEFAULTS = {
  containerPort: 3000,
  cpu: 256,
  memory: 512,
  desiredCount: 2,
  scaling: { minCapacity: 1, maxCapacity: 4, cpuTargetPercent: 60, requestsPerTarget: 1000 },
  trafficPercent: 100,
  blueGreen: { strategy: 'canary-10-percent-5-minutes', terminateAfterMinutes: 5, testPortBase: 9000 },
  alarms: { target5xxPerMinute: 5, unhealthyHosts: 1 },
  ingressCidrs: ['0.0.0.0/0'],
  logRetentionDays: 30,
  keepImages: 10,
} as const;

/** Bad configuration: the message names the service (or setting) and the field. */
export class ConfigError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`Invalid configuration: ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** The run-time overrides that a single `cdktf synth/diff/deploy` reads from its environment. */
export interface ConfigOverrides {
  /** EXTRACTED_SERVICES: `users,threads`, `none` or `all`. */
  readonly EXTRACTED_SERVICES?: string;
  /** DEPLOY_TARGET: `aws` (default) or `local`. */
  readonly DEPLOY_TARGET?: string;
  /**
   * IMAGE_URI_TEMPLATE: use ready-made images for every service, e.g.
   * `123456789012.dkr.ecr.us-east-1.amazonaws.com/forum/{service}:{hash}`;
   * `{service}` and `{hash}` (the content hash of the service's build inputs) are filled in.
   */
  readonly IMAGE_URI_TEMPLATE?: string;
  /** LOCAL_STATE_FILE: where the local backend keeps state. @default terraform.<stack>.tfstate in the project root */
  readonly LOCAL_STATE_FILE?: string;
  /** TRAFFIC_SHARES: `users=10,threads=50` overrides the extracted services' trafficPercent. */
  readonly TRAFFIC_SHARES?: string;
  /** BLUE_GREEN_SERVICES: `users,threads` (or `none`) overrides which services deploy blue/green. */
  readonly BLUE_GREEN_SERVICES?: string;
}

const NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;

function parseExtracted(value: string | undefined, known: readonly string[], configured: ReadonlySet<string>): ReadonlySet<string> {
  if (value === undefined || value.trim() === '') return configured;
  const trimmed = value.trim();
  if (trimmed === 'all') return new Set(known);
  if (trimmed === 'none') return new Set();
  const names = trimmed.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!known.includes(name)) {
      throw new ConfigError('EXTRACTED_SERVICES', `unknown service "${name}" (known: ${known.join(', ')}; or "all", "none")`);
    }
  }
  return new Set(names);
}

/** Checks the image source and makes its build context absolute. */
function checkImage(field: string, image: ImageSource, rootDir: string): ImageSource {
  if ('uri' in image) {
    if (!/^\S+$/.test(image.uri)) throw new ConfigError(`${field}.image.uri`, `"${image.uri}" is not an image URI`);
    return image;
  }
  const context = isAbsolute(image.build.context) ? image.build.context : resolve(rootDir, image.build.context);
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    throw new ConfigError(`${field}.image.build.context`, `build context "${image.build.context}" does not exist`);
  }
  if (!existsSync(join(context, image.build.dockerfile))) {
    throw new ConfigError(`${field}.image.build.dockerfile`, `"${image.build.dockerfile}" does not exist in the build context "${image.build.context}"`);
  }
  return { build: { context, dockerfile: image.build.dockerfile } };
}

interface ServiceRun {
  readonly route?: ResolvedService['route'];
  readonly blueGreen: boolean;
}

function resolveService(field: string, service: ServiceConfig, rootDir: string, run: ServiceRun): ResolvedService {
  if (!NAME.test(service.name)) {
    throw new ConfigError(`${field}.name`, `"${service.name}" must be lower-case letters, digits and hyphens, starting with a letter`);
  }
  const image = checkImage(field, service.image, rootDir);
  const scaling = { ...DEFAULTS.scaling, ...service.scaling };
  if (scaling.minCapacity < 0 || scaling.maxCapacity < scaling.minCapacity) {
    throw new ConfigError(`${field}.scaling`, `minCapacity ${scaling.minCapacity} and maxCapacity ${scaling.maxCapacity} must satisfy 0 <= min <= max`);
  }
  return {
    name: service.name,
    image,
    containerPort: service.containerPort ?? DEFAULTS.containerPort,
    cpu: service.cpu ?? DEFAULTS.cpu,
    memory: service.memory ?? DEFAULTS.memory,
    desiredCount: service.desiredCount ?? DEFAULTS.desiredCount,
    scaling,
    environment: service.environment ?? {},
    route: run.route,
    deployment: run.blueGreen ? 'blue-green' : 'rolling',
    blueGreen: {
      testPort: service.blueGreen?.testPort ?? DEFAULTS.blueGreen.testPortBase + (run.route?.priority ?? 0),
      strategy: service.blueGreen?.strategy ?? DEFAULTS.blueGreen.strategy,
      terminateAfterMinutes: service.blueGreen?.terminateAfterMinutes ?? DEFAULTS.blueGreen.terminateAfterMinutes,
      checkPath: service.blueGreen?.checkPath ?? run.route?.pathPatterns.find((pattern) => !/[*?]/.test(pattern)) ?? '/api',
    },
    alarms: { ...DEFAULTS.alarms, ...service.alarms },
  };
}

function percent(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 100) throw new ConfigError(field, `${value} must be a whole percent from 0 to 100`);
  return value;
}

/** TRAFFIC_SHARES=users=10,threads=50, checked against the services extracted in this run. */
function parseShares(value: string | undefined, known: readonly string[], extracted: ReadonlySet<string>): ReadonlyMap<string, number> {
  const shares = new Map<string, number>();
  for (const entry of (value ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z][a-z0-9-]*)=(.*)$/.exec(entry);
    if (!match) throw new ConfigError('TRAFFIC_SHARES', `"${entry}" must be <service>=<percent>`);
    const [, name, raw] = match;
    if (!known.includes(name)) throw new ConfigError('TRAFFIC_SHARES', `unknown service "${name}" (known: ${known.join(', ')})`);
    if (!extracted.has(name)) throw new ConfigError('TRAFFIC_SHARES', `"${name}" is not extracted in this run: a share needs its rule (add it to EXTRACTED_SERVICES)`);
    shares.set(name, percent(`TRAFFIC_SHARES.${name}`, raw.trim() === '' ? Number.NaN : Number(raw)));
  }
  return shares;
}

/** BLUE_GREEN_SERVICES=users,threads or none; unset keeps each service's `deployment`. */
function parseBlueGreen(value: string | undefined, known: readonly string[], configured: ReadonlySet<string>): ReadonlySet<string> {
  if (value === undefined || value.trim() === '') return configured;
  if (value.trim() === 'none') return new Set();
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!known.includes(name)) throw new ConfigError('BLUE_GREEN_SERVICES', `unknown service "${name}" (known: ${known.join(', ')}; or "none")`);
  }
  return new Set(names);
}

/**
 * Applies defaults and this run's overrides, and validates what only the
 * configuration as a whole can tell (duplicates, unknown names, missing build
 * contexts). Per-service limits (Fargate sizes, AWS name lengths) are checked
 * by the constructs themselves, so they hold however the constructs are used.
 */
export function resolveConfig(config: ProjectConfig, overrides: ConfigOverrides = {}, rootDir = process.cwd()): ResolvedConfig {
  for (const [field, value] of [['project', config.project], ['environment', config.environment]] as const) {
    if (!NAME.test(value)) throw new ConfigError(field, `"${value}" must be lower-case letters, digits and hyphens, starting with a letter`);
  }
  const target = overrides.DEPLOY_TARGET?.trim() || 'aws';
  if (target !== 'aws' && target !== 'local') throw new ConfigError('DEPLOY_TARGET', `"${target}" must be "aws" or "local"`);

  const names = new Set<string>([config.monolith.name]);
  const priorities = new Map<number, string>();
  const patterns = new Map<string, string>();
  for (const service of config.microservices) {
    const field = `microservices.${service.name}`;
    if (names.has(service.name)) throw new ConfigError(`${field}.name`, `duplicate service name "${service.name}"`);
    names.add(service.name);
    if (!Number.isInteger(service.priority) || service.priority < 1 || service.priority > 50_000) {
      throw new ConfigError(`${field}.priority`, `${service.priority} must be an integer from 1 to 50000`);
    }
    const clash = priorities.get(service.priority);
    if (clash) throw new ConfigError(`${field}.priority`, `priority ${service.priority} is already used by "${clash}"`);
    priorities.set(service.priority, service.name);
    for (const pattern of service.pathPatterns ?? defaultPathPatterns(service.name)) {
      const owner = patterns.get(pattern);
      if (owner) throw new ConfigError(`${field}.pathPatterns`, `path pattern "${pattern}" is already routed to "${owner}"`);
      patterns.set(pattern, service.name);
    }
  }

  const knownMicroservices = config.microservices.map((service) => service.name);
  const extracted = parseExtracted(
    overrides.EXTRACTED_SERVICES,
    knownMicroservices,
    new Set(config.microservices.filter((service) => service.extracted).map((service) => service.name)),
  );
  const template = overrides.IMAGE_URI_TEMPLATE?.trim() || undefined;
  if (template && !template.includes('{service}')) {
    throw new ConfigError('IMAGE_URI_TEMPLATE', `"${template}" must contain {service} (and usually {hash})`);
  }
  if (target === 'local' && !template) {
    // The emulator has no registry to push to and no Docker provider runs here.
    throw new ConfigError('IMAGE_URI_TEMPLATE', 'DEPLOY_TARGET=local needs ready-made images: set IMAGE_URI_TEMPLATE');
  }
  const shares = parseShares(overrides.TRAFFIC_SHARES, knownMicroservices, extracted);
  const allServices = [config.monolith, ...config.microservices];
  const blueGreen = parseBlueGreen(
    overrides.BLUE_GREEN_SERVICES,
    allServices.map((service) => service.name),
    new Set(allServices.filter((service) => service.deployment === 'blue-green').map((service) => service.name)),
  );
  const monolith = resolveService('monolith', config.monolith, rootDir, { blueGreen: blueGreen.has(config.monolith.name) });
  const microservices = config.microservices
    .filter((service) => extracted.has(service.name))
    .map((service) => {
      const field = `microservices.${service.name}`;
      const trafficPercent = shares.get(service.name) ?? percent(`${field}.trafficPercent`, service.trafficPercent ?? DEFAULTS.trafficPercent);
      if (blueGreen.has(service.name) && trafficPercent !== 100) {
        throw new ConfigError(`${field}.trafficPercent`, `${trafficPercent}: a blue-green service gets all of its paths (CodeDeploy shifts the traffic); use 100`);
      }
      if (service.stickinessSeconds !== undefined && (!Number.isInteger(service.stickinessSeconds) || service.stickinessSeconds < 1 || service.stickinessSeconds > 604_800)) {
        throw new ConfigError(`${field}.stickinessSeconds`, `${service.stickinessSeconds} must be from 1 to 604800 seconds`);
      }
      const route = { priority: service.priority, pathPatterns: service.pathPatterns ?? defaultPathPatterns(service.name), trafficPercent, stickinessSeconds: service.stickinessSeconds };
      return resolveService(field, service, rootDir, { route, blueGreen: blueGreen.has(service.name) });
    });
  const weighted = microservices.find((service) => service.route!.trafficPercent > 0 && service.route!.trafficPercent < 100);
  if (monolith.deployment === 'blue-green' && weighted) {
    // CodeDeploy would move the monolith to its green target group under a weighted rule that still names the blue one.
    throw new ConfigError('monolith.deployment', `blue-green cannot be combined with the weighted share of "${weighted.name}" (${weighted.route!.trafficPercent} %)`);
  }
  const testPorts = new Map<number, string>();
  for (const service of [monolith, ...microservices].filter((s) => s.deployment === 'blue-green')) {
    const port = service.blueGreen.testPort;
    const field = `${service === monolith ? 'monolith' : `microservices.${service.name}`}.blueGreen.testPort`;
    if (!Number.isInteger(port) || port < 1 || port > 65535 || port === 80 || port === 443) throw new ConfigError(field, `${port} must be a TCP port other than 80 and 443`);
    const clash = testPorts.get(port);
    if (clash) throw new ConfigError(field, `port ${port} is already the test port of "${clash}"`);
    testPorts.set(port, service.name);
  }

  const logRetentionDays = config.logRetentionDays ?? DEFAULTS.logRetentionDays;
  return {
    project: config.project,
    environment: config.environment,
    namePrefix: `${config.project}-${config.environment}`,
    region: config.region,
    network: config.network,
    certificateArn: config.certificateArn,
    ingressCidrs: config.ingressCidrs ?? DEFAULTS.ingressCidrs,
    logRetentionDays,
    keepImages: config.keepImages ?? DEFAULTS.keepImages,
    state: config.state ?? { backend: 'local' },
    testListenerCidrs: config.testListenerCidrs ?? [],
    target,
    imageUriTemplate: template,
    localStateFile: overrides.LOCAL_STATE_FILE?.trim() || undefined,
    monolith,
    microservices,
    knownMicroservices,
  };
}

export function defaultPathPatterns(name: string): readonly string[] {
  return [`/api/${name}`, `/api/${name}/*`];
}
