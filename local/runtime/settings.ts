/** The local runtime's settings, from the environment, checked once; a bad value is an error naming the variable. */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/**
 * A runtime's identity, from its state file: the value of its containers'
 * `forum.local` label. Two runtimes (a deploy:local and a test, or two test
 * suites) never touch each other's tasks; a runtime restarted on the same
 * state file finds and removes what its predecessor left.
 */
export function runtimeIdOf(stateFile: string | undefined): string {
  return createHash('sha256').update(stateFile ? resolve(stateFile) : 'default').digest('hex').slice(0, 10);
}

export interface RuntimeSettings {
  /** The emulator (AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  readonly region: string;
  /** LOCAL_ALB_PORT: where the production listener serves. @default 8080 */
  readonly albPort: number;
  /** LOCAL_RUNTIME: 'docker' or 'process'. @default - docker when an engine answers, else process (said loudly) */
  readonly mode?: 'docker' | 'process';
  /** LOCAL_TIME_SCALE: multiplies health check intervals, grace periods, deregistration delays and CodeDeploy waits (0.01-10). @default 1 */
  readonly timeScale: number;
  /** IMAGE_URI_TEMPLATE: how the local stack names this project's images. @default 'forum-{service}:{hash}' */
  readonly imageTemplate: string;
  /** RUNTIME_STATE_FILE: where the runtime writes its pid and control port. */
  readonly stateFile?: string;
  /** This runtime's identity (runtimeIdOf its state file). */
  readonly runtimeId: string;
}

export function runtimeSettings(env: NodeJS.ProcessEnv): RuntimeSettings {
  const endpoint = env.AWS_ENDPOINT_URL?.trim();
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL must name the emulator (npm run deploy:local sets it)');
  const albPort = Number(env.LOCAL_ALB_PORT?.trim() || 8080);
  if (!Number.isInteger(albPort) || albPort < 1 || albPort > 65535) throw new Error(`LOCAL_ALB_PORT=${env.LOCAL_ALB_PORT} is not a port number`);
  const mode = env.LOCAL_RUNTIME?.trim() || undefined;
  if (mode !== undefined && mode !== 'docker' && mode !== 'process') throw new Error(`LOCAL_RUNTIME=${mode} must be "docker" or "process"`);
  const timeScale = Number(env.LOCAL_TIME_SCALE?.trim() || 1);
  if (!Number.isFinite(timeScale) || timeScale < 0.01 || timeScale > 10) throw new Error(`LOCAL_TIME_SCALE=${env.LOCAL_TIME_SCALE} must be a number from 0.01 to 10`);
  return {
    endpoint,
    region: env.AWS_REGION?.trim() || 'us-east-1',
    albPort,
    mode,
    timeScale,
    imageTemplate: env.IMAGE_URI_TEMPLATE?.trim() || 'forum-{service}:{hash}',
    stateFile: env.RUNTIME_STATE_FILE?.trim() || undefined,
    runtimeId: runtimeIdOf(env.RUNTIME_STATE_FILE?.trim() || undefined),
  };
}
