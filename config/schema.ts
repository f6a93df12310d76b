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
  readonly route?: { readonly priority: number; readonly pathPatterns: readonly string[] };
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

function resolveService(field: string, service: ServiceConfig, rootDir: string, route?: ResolvedService['route']): ResolvedService {
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
    route,
  };
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
  const monolith = resolveService('monolith', config.monolith, rootDir);
  const microservices = config.microservices
    .filter((service) => extracted.has(service.name))
    .map((service) =>
      resolveService(`microservices.${service.name}`, service, rootDir, {
        priority: service.priority,
        pathPatterns: service.pathPatterns ?? defaultPathPatterns(service.name),
      }),
    );

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
