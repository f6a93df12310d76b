/**
 * The images a task definition names, made present in the local Docker
 * engine: already there; or one of this project's images (a configured
 * service's build, tagged with the content hash the stack computes), built
 * from its Dockerfile on the official Node.js image where it can be pulled,
 * else on the Node.js stand-in (said loudly); or pulled from its registry.
 * An image named with a registry host is always pulled, as Fargate (which
 * keeps no image cache) does: what runs is what the registry holds.
 */
import type Docker from 'dockerode';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectConfig } from '../../forum/config/project';
import { checkedImage } from '../../forum/config/files';
import { NODE_IMAGE_DEFAULT } from '../../lib/node-image';
import { buildInputs, imageUri } from '../../lib/build-inputs';
import { LOCAL_IMAGE_URI_TEMPLATE } from '../aws/local-aws';
import { projectRoot } from '../../lib/project-root';

export type Log = (line: string) => void;

/** This project's images, as the local stack names them (LOCAL_IMAGE_URI_TEMPLATE unless given), with their build inputs. */
export function projectImages(
  template = LOCAL_IMAGE_URI_TEMPLATE,
  root = projectRoot(),
): Map<string, { service: string; context: string; dockerfile: string; files: readonly string[] }> {
  const images = new Map<string, { service: string; context: string; dockerfile: string; files: readonly string[] }>();
  for (const service of [projectConfig.monolith, ...projectConfig.microservices]) {
    const image = checkedImage(service.name, service.image, root);
    if (!('build' in image)) continue;
    const inputs = buildInputs(image.build.context, image.build.dockerfile, image.build.buildArgs);
    const tag = imageUri(template, service.name, inputs.tag);
    images.set(tag, { service: service.name, context: image.build.context, dockerfile: image.build.dockerfile, files: inputs.files });
  }
  return images;
}

/** Follows a pull, build or push stream to its end; rejects on an error the stream reports. */
export async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
      const failed = error ?? output.find((event) => event.error || event.errorDetail);
      if (failed) reject(failed instanceof Error ? failed : new Error(failed.errorDetail?.message ?? failed.error));
      else resolve();
    });
  });
}

async function exists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

/** The base image to build on, found once per engine (builds run in parallel). */
const bases = new WeakMap<Docker, Promise<string>>();
function baseImage(docker: Docker, log: Log): Promise<string> {
  let base = bases.get(docker);
  if (!base) {
    base = findBaseImage(docker, log);
    bases.set(docker, base);
  }
  return base;
}

/** The official Node.js image if it is here or can be pulled, else the stand-in. */
async function findBaseImage(docker: Docker, log: Log): Promise<string> {
  if (await exists(docker, NODE_IMAGE_DEFAULT)) return NODE_IMAGE_DEFAULT;
  try {
    await follow(docker, await docker.pull(NODE_IMAGE_DEFAULT));
    return NODE_IMAGE_DEFAULT;
  } catch (error) {
    log(`!! ${NODE_IMAGE_DEFAULT} cannot be pulled here (${error instanceof Error ? error.message.split('\n')[0] : error}):`);
    log('!! building on the Node.js stand-in instead (the official Node.js binary in a minimal image; see README, "The container tests")');
    const result = spawnSync('bash', [join(projectRoot(), 'tools', 'node-standin-image.sh')], { encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) throw new Error(`building the Node.js stand-in image failed:\n${result.stderr}`, { cause: error });
    return result.stdout.trim().split('\n').pop()!;
  }
}

/** Whether an image reference names a registry host (`127.0.0.1:5000/forum/users:tag`, `<account>.dkr.ecr...`), as Docker decides it. */
export function isRegistryReference(image: string): boolean {
  const first = image.split('/')[0];
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/** Builds one of this project's images from its Dockerfile, on the base the engine can have, under `tag`. */
export async function buildProjectImage(
  docker: Docker,
  tag: string,
  build: { context: string; dockerfile: string; files: readonly string[] },
  log: Log,
): Promise<void> {
  const started = Date.now();
  const base = await baseImage(docker, log);
  log(`building ${tag} from ${build.dockerfile} on ${base}`);
  const stream = await docker.buildImage(
    { context: build.context, src: [...new Set([build.dockerfile, ...build.files])] },
    { t: tag, dockerfile: build.dockerfile, buildargs: { NODE_IMAGE: base }, rm: true },
  );
  await follow(docker, stream);
  log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Makes `image` present in the engine: pulled from its registry, there already, built from this project's sources, or pulled. */
export async function ensureImage(docker: Docker, image: string, log: Log, options: { template?: string; pull?: boolean } = {}): Promise<void> {
  if (isRegistryReference(image)) {
    log(`pulling ${image}`);
    await follow(docker, await docker.pull(image));
    return;
  }
  if (!options.pull && (await exists(docker, image))) {
    log(`${image}: in the engine already`);
    return;
  }
  const build = projectImages(options.template).get(image);
  if (build) {
    await buildProjectImage(docker, image, build, log);
    return;
  }
  const sameService = [...projectImages(options.template).keys()].find((tag) => tag.split(':')[0] === image.split(':')[0] && !image.includes('/'));
  if (sameService)
    throw new Error(`${image} is not in the engine, and this checkout's sources build ${sameService}: deploy again to roll out what the sources are now`);
  log(`pulling ${image}`);
  await follow(docker, await docker.pull(image));
}
