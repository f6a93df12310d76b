/** The Docker CLI for the container tests and `npm run image-sizes`: build, run, inspect, stop; the service images and the Node.js stand-in base. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LOCAL_IMAGE_URI_TEMPLATE } from '../local/aws/local-aws';
import { projectImages } from '../local/runtime/images';
import { projectRoot } from '../lib/project-root';
import { setting } from '../lib/settings';

const REPO_ROOT = projectRoot();

/** Opting out is explicit and loud; CI never sets it. */
export const OPT_OUT = setting('SKIP_CONTAINER_TESTS') === '1';

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
  /** The URI the emulator stack uses (LOCAL_IMAGE_URI_TEMPLATE): `forum-<service>:<content hash>`. */
  readonly tag: string;
}

/** Each service's build context and Dockerfile exactly as the infrastructure has them, under the tag the emulator stack uses. */
export function serviceImages(): ServiceImage[] {
  return [...projectImages(LOCAL_IMAGE_URI_TEMPLATE, REPO_ROOT)].map(([tag, { service, context, dockerfile }]) => ({ service, context, dockerfile, tag }));
}
