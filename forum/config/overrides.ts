/**
 * The overrides that a single `cdktf synth|diff|deploy` reads from its
 * environment: which services are extracted, their shares, which deploy
 * blue/green, where images come from, and the target. Parsing only: what a
 * value may be is checked where it is used (the constructs).
 */
import { ConfigError } from './errors';

/** The variables, as the environment gives them. */
export interface ConfigOverrides {
  /** STAGE: which of the configured stages (dev, prod...) this run synthesizes, plans or deploys. @default the first in `stages` */
  readonly STAGE?: string;
  /** EXTRACTED_SERVICES: `users,threads`, `none` or `all`. */
  readonly EXTRACTED_SERVICES?: string;
  /** DEPLOY_TARGET: `aws` (default) or `local`. */
  readonly DEPLOY_TARGET?: string;
  /**
   * IMAGE_URI_TEMPLATE: use ready-made images for every built service, e.g.
   * `123456789012.dkr.ecr.us-east-1.amazonaws.com/forum/{service}:{hash}`;
   * `{service}` and `{hash}` (the content hash of the service's build inputs) are filled in.
   */
  readonly IMAGE_URI_TEMPLATE?: string;
  /** LOCAL_STATE_DIR: the folder where the local backend keeps each stack's state, as `terraform.<stack>.tfstate`. @default the folder cdktf runs in */
  readonly LOCAL_STATE_DIR?: string;
  /** TRAFFIC_SHARES: `users=10,threads=50` overrides the extracted services' route percent. */
  readonly TRAFFIC_SHARES?: string;
  /** BLUE_GREEN_SERVICES: `users,threads` (or `none`) overrides which services deploy blue/green. */
  readonly BLUE_GREEN_SERVICES?: string;
  /** FACADE_SERVICES: `posts` (or `none`): the microservices that keep their items through the monolith; the others use their own tables. */
  readonly FACADE_SERVICES?: string;
  /** LEGACY_TRAFFIC: percent of the default action's requests to the monolith on EC2 (turns its block on with the defaults if the configuration has none). */
  readonly LEGACY_TRAFFIC?: string;
  /** RETIRE_MONOLITH: `true` or `false`, overrides `monolith.retired`. */
  readonly RETIRE_MONOLITH?: string;
}

/** What the overrides of one run say, parsed. Undefined: the configuration file decides. */
export interface RunOverrides {
  readonly stage?: string;
  readonly extracted?: ReadonlySet<string>;
  readonly shares: ReadonlyMap<string, number>;
  readonly blueGreen?: ReadonlySet<string>;
  readonly facade?: ReadonlySet<string>;
  readonly legacyTraffic?: number;
  readonly retireMonolith?: boolean;
  readonly target: 'aws' | 'local';
  readonly imageUriTemplate?: string;
  readonly localStateDir?: string;
}

const present = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/** A comma-separated list of known names, or one of the keywords (`all`, `none`) standing for a set. */
function nameList(variable: string, value: string | undefined, known: readonly string[], keywords: Readonly<Record<string, readonly string[]>>): ReadonlySet<string> | undefined {
  const given = present(value);
  if (given === undefined) return undefined;
  if (given in keywords) return new Set(keywords[given]);
  const names = given.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!known.includes(name)) {
      const alternatives = Object.keys(keywords).map((keyword) => `"${keyword}"`).join(', ');
      throw new ConfigError(variable, `unknown service "${name}" (known: ${known.join(', ')}; or ${alternatives})`);
    }
  }
  return new Set(names);
}

/** TRAFFIC_SHARES=users=10,threads=50: numbers per known microservice. */
function shares(value: string | undefined, known: readonly string[]): ReadonlyMap<string, number> {
  const parsed = new Map<string, number>();
  for (const entry of (value ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z][a-z0-9-]*)=(.*)$/.exec(entry);
    if (!match) throw new ConfigError('TRAFFIC_SHARES', `"${entry}" must be <service>=<percent>`);
    const [, name, raw] = match;
    if (!known.includes(name)) throw new ConfigError('TRAFFIC_SHARES', `unknown service "${name}" (known: ${known.join(', ')})`);
    if (!/^\s*-?\d+(\.\d+)?\s*$/.test(raw)) throw new ConfigError(`TRAFFIC_SHARES.${name}`, `"${raw}" is not a number`);
    parsed.set(name, Number(raw));
  }
  return parsed;
}

/**
 * Parses this run's overrides against the configured service names.
 * `microservices`: every configured microservice; `services`: those and the monolith.
 */
export function parseOverrides(overrides: ConfigOverrides, microservices: readonly string[], services: readonly string[]): RunOverrides {
  const target = present(overrides.DEPLOY_TARGET) ?? 'aws';
  if (target !== 'aws' && target !== 'local') throw new ConfigError('DEPLOY_TARGET', `"${target}" must be "aws" or "local"`);
  const imageUriTemplate = present(overrides.IMAGE_URI_TEMPLATE);
  if (imageUriTemplate && !imageUriTemplate.includes('{service}')) {
    throw new ConfigError('IMAGE_URI_TEMPLATE', `"${imageUriTemplate}" must contain {service} (and usually {hash})`);
  }
  if (target === 'local' && !imageUriTemplate) {
    // The emulator has no registry to push to and no Docker provider runs here.
    throw new ConfigError('IMAGE_URI_TEMPLATE', 'DEPLOY_TARGET=local needs ready-made images: set IMAGE_URI_TEMPLATE');
  }
  const legacy = present(overrides.LEGACY_TRAFFIC);
  if (legacy !== undefined && !/^-?\d+(\.\d+)?$/.test(legacy)) throw new ConfigError('LEGACY_TRAFFIC', `"${legacy}" is not a number (percent to the monolith on EC2)`);
  const retire = present(overrides.RETIRE_MONOLITH);
  if (retire !== undefined && !['true', 'false', '1', '0'].includes(retire)) throw new ConfigError('RETIRE_MONOLITH', `"${retire}" must be true or false`);
  return {
    stage: present(overrides.STAGE),
    legacyTraffic: legacy === undefined ? undefined : Number(legacy),
    retireMonolith: retire === undefined ? undefined : retire === 'true' || retire === '1',
    extracted: nameList('EXTRACTED_SERVICES', overrides.EXTRACTED_SERVICES, microservices, { all: microservices, none: [] }),
    shares: shares(overrides.TRAFFIC_SHARES, microservices),
    blueGreen: nameList('BLUE_GREEN_SERVICES', overrides.BLUE_GREEN_SERVICES, services, { none: [] }),
    facade: nameList('FACADE_SERVICES', overrides.FACADE_SERVICES, microservices, { none: [] }),
    target,
    imageUriTemplate,
    localStateDir: present(overrides.LOCAL_STATE_DIR),
  };
}
