/** The local runtime's settings, from the environment, checked once; a bad value is an error naming the variable. */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { numberSetting, portSetting, setting, type Environment } from '../../lib/settings';
import { EMULATOR_ACCOUNT } from '../aws/emulator-account';
import { LOCAL_IMAGE_URI_TEMPLATE } from '../aws/local-aws';

/**
 * A runtime's identity, from its state file: the value of its containers'
 * `forum.local` label. Two runtimes (a deploy:local and a test, or two test
 * suites) never touch each other's tasks; a runtime restarted on the same
 * state file finds and removes what its predecessor left.
 */
export function runtimeIdOf(stateFile: string | undefined): string {
  return createHash('sha256')
    .update(stateFile ? resolve(stateFile) : 'default')
    .digest('hex')
    .slice(0, 10);
}

export interface RuntimeSettings {
  /** The emulator (AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  /** The emulator's region. */
  readonly region: string;
  /** LOCAL_ALB_PORT: where the production listener serves. @default 8080 */
  readonly albPort: number;
  /** LOCAL_RUNTIME: 'docker' or 'process'. @default - docker when an engine answers, else process (said loudly) */
  readonly mode?: 'docker' | 'process';
  /** LOCAL_TIME_SCALE: multiplies health check intervals, grace periods, deregistration delays and CodeDeploy waits (0.01-10). @default 1 */
  readonly timeScale: number;
  /** IMAGE_URI_TEMPLATE: how the local stack names this project's images. @default LOCAL_IMAGE_URI_TEMPLATE */
  readonly imageTemplate: string;
  /** RUNTIME_STATE_FILE: where the runtime writes its pid and control port. */
  readonly stateFile?: string;
  /** This runtime's identity (runtimeIdOf its state file). */
  readonly runtimeId: string;
  /** RUNTIME_SUPERVISOR: the pid of the supervisor that restarts this runtime when it dies. @default - none: unsupervised */
  readonly supervisor?: number;
  /** RUNTIME_RESTARTED: why the runtime before this one ended, when this one is its restart. @default - a first start */
  readonly restarted?: string;
  /** LOCAL_STATE_DIR: where the local commands keep the certificates HTTPS listeners serve (lib/local-certificate-files.ts). @default - the project root */
  readonly stateDir?: string;
}

export function runtimeSettings(env: Environment): RuntimeSettings {
  const endpoint = setting('AWS_ENDPOINT_URL', env);
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL must name the emulator (npm run deploy:local sets it)');
  const mode = setting('LOCAL_RUNTIME', env);
  if (mode !== undefined && mode !== 'docker' && mode !== 'process') throw new Error(`LOCAL_RUNTIME=${mode} must be "docker" or "process"`);
  const stateFile = setting('RUNTIME_STATE_FILE', env);
  return {
    endpoint,
    region: EMULATOR_ACCOUNT.region,
    albPort: portSetting('LOCAL_ALB_PORT', 8080, env),
    mode,
    timeScale: numberSetting('LOCAL_TIME_SCALE', 1, { min: 0.01, max: 10 }, env),
    imageTemplate: setting('IMAGE_URI_TEMPLATE', env) ?? LOCAL_IMAGE_URI_TEMPLATE,
    stateFile,
    runtimeId: runtimeIdOf(stateFile),
    stateDir: setting('LOCAL_STATE_DIR', env),
    supervisor: setting('RUNTIME_SUPERVISOR', env) === undefined ? undefined : numberSetting('RUNTIME_SUPERVISOR', 0, { min: 1, max: 2 ** 22 }, env),
    restarted: setting('RUNTIME_RESTARTED', env),
  };
}
