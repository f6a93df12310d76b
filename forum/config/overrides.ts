/**
 * The overrides that a single `cdktf synth|diff|deploy` reads from its
 * environment: which services are extracted, their shares, which deploy
 * blue/green, where images come from, and the target. Parsing only: what a
 * value may be is checked where it is used (the constructs).
 */
import { setting, type SettingName } from '../../lib/settings';
import { ConfigError } from './errors';

/** The variables one run of a cdktf app reads (declared, with what each does, in lib/settings.ts), as the environment gives them. */
export const OVERRIDES = [
  'STAGE',
  'EXTRACTED_SERVICES',
  'TRAFFIC_SHARES',
  'BLUE_GREEN_SERVICES',
  'FACADE_SERVICES',
  'LEGACY_TRAFFIC',
  'RETIRE_MONOLITH',
  'DEPLOY_TARGET',
  'IMAGE_URI_TEMPLATE',
  'LOCAL_STATE_DIR',
] as const satisfies readonly SettingName[];
export type ConfigOverrides = { readonly [name in (typeof OVERRIDES)[number]]?: string };

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

/** A comma-separated list of known names, or one of the keywords (`all`, `none`) standing for a set. */
function nameList(
  variable: SettingName,
  given: string | undefined,
  known: readonly string[],
  keywords: Readonly<Record<string, readonly string[]>>,
): ReadonlySet<string> | undefined {
  if (given === undefined) return undefined;
  if (given in keywords) return new Set(keywords[given]);
  const names = given
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!known.includes(name)) {
      const alternatives = Object.keys(keywords)
        .map((keyword) => `"${keyword}"`)
        .join(', ');
      throw new ConfigError(variable, `unknown service "${name}" (known: ${known.join(', ')}; or ${alternatives})`);
    }
  }
  return new Set(names);
}

/** TRAFFIC_SHARES=users=10,threads=50: numbers per known microservice. */
function shares(value: string | undefined, known: readonly string[]): ReadonlyMap<string, number> {
  const parsed = new Map<string, number>();
  for (const entry of (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
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
  const target = setting('DEPLOY_TARGET', overrides) ?? 'aws';
  if (target !== 'aws' && target !== 'local') throw new ConfigError('DEPLOY_TARGET', `"${target}" must be "aws" or "local"`);
  const imageUriTemplate = setting('IMAGE_URI_TEMPLATE', overrides);
  if (imageUriTemplate && !imageUriTemplate.includes('{service}')) {
    throw new ConfigError('IMAGE_URI_TEMPLATE', `"${imageUriTemplate}" must contain {service} (and usually {hash})`);
  }
  if (target === 'local' && !imageUriTemplate) {
    // The emulator has no registry to push to and no Docker provider runs here.
    throw new ConfigError('IMAGE_URI_TEMPLATE', 'DEPLOY_TARGET=local needs ready-made images: set IMAGE_URI_TEMPLATE');
  }
  const legacy = setting('LEGACY_TRAFFIC', overrides);
  if (legacy !== undefined && !/^-?\d+(\.\d+)?$/.test(legacy))
    throw new ConfigError('LEGACY_TRAFFIC', `"${legacy}" is not a number (percent to the monolith on EC2)`);
  const retire = setting('RETIRE_MONOLITH', overrides);
  if (retire !== undefined && !['true', 'false', '1', '0'].includes(retire)) throw new ConfigError('RETIRE_MONOLITH', `"${retire}" must be true or false`);
  return {
    stage: setting('STAGE', overrides),
    legacyTraffic: legacy === undefined ? undefined : Number(legacy),
    retireMonolith: retire === undefined ? undefined : retire === 'true' || retire === '1',
    extracted: nameList('EXTRACTED_SERVICES', setting('EXTRACTED_SERVICES', overrides), microservices, { all: microservices, none: [] }),
    shares: shares(setting('TRAFFIC_SHARES', overrides), microservices),
    blueGreen: nameList('BLUE_GREEN_SERVICES', setting('BLUE_GREEN_SERVICES', overrides), services, { none: [] }),
    facade: nameList('FACADE_SERVICES', setting('FACADE_SERVICES', overrides), microservices, { none: [] }),
    target,
    imageUriTemplate,
    localStateDir: setting('LOCAL_STATE_DIR', overrides),
  };
}
