/** The Docker CLI for the container tests and `npm run image-sizes`: build, run, inspect, stop; the service images and the Node.js stand-in base. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectConfig } from '../forum/config/project';
import { resolveConfig } from '../forum/config/resolve';
import { buildInputs } from '../lib/build-inputs';
import { projectRoot } from '../lib/project-root';

const REPO_ROOT = projectRoot();

/** Opting out is explicit and loud; CI never sets it. */
export const OPT_OUT = process.env.SKIP_CONTAINER_TESTS === '1';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** The legacy builder: BuildKit needs buildx, which the newer client here lacks (see README). */
export function docker(args: string[], options: { timeoutMs?: number; input?: string } = {}): Run {
  const result = spawnSync('docker', args, {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 512 * 1024 * 1024,
    input: options.input,
  });
  return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

export function dockerOrThrow(args: string[], options: { timeoutMs?: number } = {}): string {
  const run = docker(args, options);
  if (run.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${run.status}):\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  return run.stdout.trim();
}

export function engineAnswers(): boolean {
  return docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).status === 0;
}

export const NO_ENGINE_MESSAGE =
  'The container tests need a Docker engine and none answers `docker info`. Install and start one ' +
  '(Debian: `apt-get install -y docker.io && dockerd &`; `.ci/run` does this), or opt out explicitly with SKIP_CONTAINER_TESTS=1.';

/** The stand-in for the official Node.js image (tools/node-standin-image.sh), built once and cached by tag. */
export function standInBaseImage(): string {
  const result = spawnSync('bash', [join(REPO_ROOT, 'tools', 'node-standin-image.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`building the Node.js stand-in image failed:\n${result.stderr}`);
  return result.stdout.trim().split('\n').pop()!;
}

export interface ServiceImage {
  readonly service: string;
  readonly context: string;
  readonly dockerfile: string;
  /** `forum-<service>:<content hash>`: the URI the emulator stack uses (IMAGE_URI_TEMPLATE). */
  readonly tag: string;
}

/** Each service's build context and Dockerfile exactly as the infrastructure has them. */
export function serviceImages(): ServiceImage[] {
  const config = resolveConfig(projectConfig, { EXTRACTED_SERVICES: 'all' }, REPO_ROOT);
  return [config.monolith, ...config.microservices].map((service) => {
    if (!('build' in service.image)) throw new Error(`${service.name} has no build in the configuration`);
    const { context, dockerfile } = service.image.build;
    return { service: service.name, context, dockerfile, tag: `forum-${service.name}:${buildInputs(context, dockerfile).hash.slice(0, 16)}` };
  });
}
