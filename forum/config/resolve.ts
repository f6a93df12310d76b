/**
 * The configuration of one run: the file's values with this run's overrides
 * applied, checked for what only the configuration as a whole can tell
 * (names, priorities, path patterns and test ports that must not collide,
 * build contexts that must exist). What one value may be is checked by the
 * construct that uses it, at synth, with the construct's path in the message.
 */
import { resourcesOf } from '../resources';
import { checkedImage } from './files';
import { keepsDefaultAction } from './routing';
import { ConfigError } from './errors';
import { parseOverrides, type ConfigOverrides } from './overrides';
import type { MicroserviceConfig, ProjectConfig, ResolvedConfig, ResolvedMicroservice, ResolvedService, ServiceConfig } from './types';

const NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;

/** The paths a microservice serves unless its route says otherwise: its `/api/<name>` prefix. */
export function defaultPathPatterns(name: string): readonly string[] {
  return [`/api/${name}`, `/api/${name}/*`];
}

/** Test listeners of blue/green services are numbered from here: 9000 + the rule priority (the monolith: 9000). */
const TEST_PORT_BASE = 9000;

function requireName(field: string, value: string): void {
  if (!NAME.test(value)) throw new ConfigError(field, `"${value}" must be lower-case letters, digits and hyphens, starting with a letter`);
}

/** Names, priorities and path patterns must be unique across every configured service, extracted or not. */
function checkAcrossServices(config: ProjectConfig): void {
  const names = new Set<string>([config.monolith.name]);
  const priorities = new Map<number, string>();
  const patterns = new Map<string, string>();
  for (const service of config.microservices) {
    const field = `microservices.${service.name}`;
    if (names.has(service.name)) throw new ConfigError(`${field}.name`, `duplicate service name "${service.name}"`);
    names.add(service.name);
    const clash = priorities.get(service.route.priority);
    if (clash) throw new ConfigError(`${field}.route.priority`, `priority ${service.route.priority} is already used by "${clash}"`);
    priorities.set(service.route.priority, service.name);
    for (const pattern of service.route.pathPatterns ?? defaultPathPatterns(service.name)) {
      const owner = patterns.get(pattern);
      if (owner) throw new ConfigError(`${field}.route.pathPatterns`, `path pattern "${pattern}" is already routed to "${owner}"`);
      patterns.set(pattern, service.name);
    }
  }
}

function resolveService(field: string, service: ServiceConfig, rootDir: string, blueGreen: boolean, route?: ResolvedMicroservice['route']): ResolvedService {
  requireName(`${field}.name`, service.name);
  return {
    ...service,
    image: checkedImage(field, service.image, rootDir),
    deployment: blueGreen ? 'blue-green' : 'rolling',
    blueGreen: {
      ...service.blueGreen,
      testPort: service.blueGreen?.testPort ?? TEST_PORT_BASE + (route?.priority ?? 0),
      // The pre-traffic hook needs a real route: the first pattern without a wildcard.
      checkPath: service.blueGreen?.checkPath ?? route?.pathPatterns.find((pattern) => !/[*?]/.test(pattern)) ?? '/api',
    },
  };
}

const ACCOUNT_ID = /^\d{12}$/;

/** The stage of this run (STAGE, else the first configured), its settings applied over the project's. */
function applyStage(
  project: ProjectConfig,
  chosen: string | undefined,
): { stage: string; config: ProjectConfig & Pick<ResolvedConfig, 'allowedAccountIds' | 'state'> } {
  const names = Object.keys(project.stages);
  if (names.length === 0) throw new ConfigError('stages', 'configure at least one stage (dev, prod...)');
  for (const name of names) requireName(`stages.${name}`, name);
  const stage = chosen ?? names[0];
  const settings = project.stages[stage];
  if (!settings) throw new ConfigError('STAGE', `unknown stage "${stage}" (configured: ${names.join(', ')})`);
  const accounts = settings.allowedAccountIds;
  if (accounts !== undefined) {
    const field = `stages.${stage}.allowedAccountIds`;
    if (accounts.length === 0) throw new ConfigError(field, 'name at least one account, or leave it out to allow any');
    const bad = accounts.find((account) => !ACCOUNT_ID.test(account));
    if (bad !== undefined) throw new ConfigError(field, `"${bad}" is not a 12-digit AWS account id`);
  }
  const { allowedAccountIds, state, ...overrides } = settings;
  return { stage, config: { ...project, ...overrides, allowedAccountIds, state: state ?? { backend: 'local' } } };
}

/** Applies this run's overrides to the configuration and checks what spans services. */
export function resolveConfig(project: ProjectConfig, overrides: ConfigOverrides = {}, rootDir = process.cwd()): ResolvedConfig {
  requireName('project', project.project);
  checkAcrossServices(project);
  const knownMicroservices = project.microservices.map((service) => service.name);
  const run = parseOverrides(overrides, knownMicroservices, [project.monolith.name, ...knownMicroservices]);
  const { stage, config } = applyStage(project, run.stage);

  const extracted = run.extracted ?? new Set(config.microservices.filter((service) => service.extracted).map((service) => service.name));
  for (const name of run.shares.keys()) {
    if (!extracted.has(name))
      throw new ConfigError('TRAFFIC_SHARES', `"${name}" is not extracted in this run: a share needs its rule (add it to EXTRACTED_SERVICES)`);
  }
  const all: readonly ServiceConfig[] = [config.monolith, ...config.microservices];
  const blueGreen = run.blueGreen ?? new Set(all.filter((service) => service.deployment === 'blue-green').map((service) => service.name));

  let resources: ResolvedConfig['resources'];
  try {
    resources = resourcesOf(rootDir, knownMicroservices);
  } catch (error) {
    throw new ConfigError('microservices', error instanceof Error ? error.message : String(error));
  }
  const facade = run.facade ?? new Set(config.microservices.filter((service) => service.persistence === 'facade').map((service) => service.name));
  for (const name of facade) {
    const field = run.facade ? 'FACADE_SERVICES' : `microservices.${name}.persistence`;
    if (!resources.has(name))
      throw new ConfigError(
        field,
        `"${name}" keeps no data (no services/${name}/src/resource.json): only a resource with a table can use the monolith as its facade`,
      );
    if (config.monolith.internalPort === undefined)
      throw new ConfigError('monolith.internalPort', `"${name}" keeps its items through the monolith, whose facade API needs an internal port`);
  }

  const monolith = resolveService('monolith', config.monolith, rootDir, blueGreen.has(config.monolith.name));
  const microservices = config.microservices
    .filter((service) => extracted.has(service.name))
    .map((service: MicroserviceConfig): ResolvedMicroservice => {
      const route = {
        ...service.route,
        pathPatterns: service.route.pathPatterns ?? defaultPathPatterns(service.name),
        percent: run.shares.get(service.name) ?? service.route.percent,
      };
      return {
        ...resolveService(`microservices.${service.name}`, service, rootDir, blueGreen.has(service.name), route),
        route,
        persistence: facade.has(service.name) ? 'facade' : 'own',
      };
    });

  const monolithRetired = run.retireMonolith ?? config.monolith.retired ?? false;
  const retiredField = run.retireMonolith === undefined ? 'monolith.retired' : 'RETIRE_MONOLITH';
  if (monolithRetired) {
    // The default action becomes a 404: whatever the monolith still serves would be lost.
    const kept = config.microservices.find((service) => !extracted.has(service.name));
    if (kept) throw new ConfigError(retiredField, `the monolith still serves "${kept.name}" (not extracted): extract it before retiring the monolith`);
    const shared = microservices.find((service) => (service.route.percent ?? 100) < 100);
    if (shared) throw new ConfigError(retiredField, `"${shared.name}" shares its paths with the monolith (${shared.route.percent} %): give it 100 % first`);
    const facaded = microservices.find((service) => service.persistence === 'facade');
    if (facaded) throw new ConfigError(retiredField, `"${facaded.name}" keeps its items through the monolith: move it to its own table first`);
  }
  const legacyMonolith = run.legacyTraffic !== undefined ? { ...config.legacyMonolith, trafficPercent: run.legacyTraffic } : config.legacyMonolith;
  if (legacyMonolith && monolithRetired) {
    throw new ConfigError(
      run.legacyTraffic !== undefined ? 'LEGACY_TRAFFIC' : 'legacyMonolith',
      'the monolith on EC2 shares the default action with the Fargate monolith, which is retired: remove it first',
    );
  }

  if (keepsDefaultAction(config)) {
    // The listener's default action stays its owner's: there is no Fargate monolith to share it with, or to keep items for others.
    if (legacyMonolith)
      throw new ConfigError(
        run.legacyTraffic !== undefined ? 'LEGACY_TRAFFIC' : 'legacyMonolith',
        'a weighted cut-over of the default action needs existingLoadBalancer.defaultAction "take-over"',
      );
    const facaded = microservices.find((service) => service.persistence === 'facade');
    if (facaded)
      throw new ConfigError(
        'existingLoadBalancer.defaultAction',
        `"${facaded.name}" keeps its items through the Fargate monolith, which "keep" does not deploy: use "take-over"`,
      );
  }

  const testPorts = new Map<number, string>();
  for (const service of [monolith, ...microservices].filter((candidate) => candidate.deployment === 'blue-green')) {
    const clash = testPorts.get(service.blueGreen.testPort);
    const field = service === monolith ? 'monolith' : `microservices.${service.name}`;
    if (clash) throw new ConfigError(`${field}.blueGreen.testPort`, `port ${service.blueGreen.testPort} is already the test port of "${clash}"`);
    testPorts.set(service.blueGreen.testPort, service.name);
  }

  const { stages: _stages, ...settings } = config;
  return {
    ...settings,
    stage,
    namePrefix: `${config.project}-${stage}`,
    target: run.target,
    imageUriTemplate: run.imageUriTemplate,
    localStateDir: run.localStateDir,
    monolith,
    monolithRetired,
    legacyMonolith,
    microservices,
    knownMicroservices,
    resources,
  };
}
