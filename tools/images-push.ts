/**
 * `npm run images:push`: every service image, built once from the same
 * Dockerfiles and tagged with the same content hash the stack computes, pushed
 * to IMAGE_REGISTRY (`<host>/<path>`: the stack's ECR repositories are
 * `<account>.dkr.ecr.<region>.amazonaws.com/<project>-<environment>`; any
 * other registry works, e.g. `127.0.0.1:5000/forum`). A tag the registry
 * already has is neither rebuilt nor pushed again: tags are immutable, as the
 * ECR repositories are. A deploy then takes the images by reference:
 * IMAGE_URI_TEMPLATE=<IMAGE_REGISTRY>/{service}:{hash}, printed at the end.
 */
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import Docker from 'dockerode';
import { buildProjectImage, follow, projectImages } from '../local/runtime/images';
import { setting } from '../lib/settings';

export interface PushOptions {
  /** `<host>[:port]/<path>` */
  readonly registry: string;
  readonly log?: (line: string) => void;
  readonly docker?: Docker;
}

export interface PushResult {
  readonly service: string;
  readonly uri: string;
  /** 'pushed', or 'present' when the registry already had the tag. */
  readonly outcome: 'pushed' | 'present';
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** IMAGE_REGISTRY split into its host and repository path; a bad value is named. */
export function parseRegistry(value: string | undefined): { host: string; path: string } {
  const match = /^([a-zA-Z0-9.-]+(?::\d+)?)\/([a-z0-9]+(?:[._/-][a-z0-9]+)*)$/.exec(value?.trim() ?? '');
  if (!match)
    throw new Error(
      `IMAGE_REGISTRY=${JSON.stringify(value ?? '')} must be <host>[:port]/<path>, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/forum-dev or 127.0.0.1:5000/forum`,
    );
  return { host: match[1], path: match[2] };
}

/** Credentials for the registry: ECR's from the AWS credentials of this shell; none for others (docker login is the engine's). */
async function credentials(host: string): Promise<{ username: string; password: string } | undefined> {
  const ecr = ECR_HOST.exec(host);
  if (!ecr) return undefined;
  const client = new ECRClient({ region: ecr[2] });
  const { authorizationData } = await client.send(new GetAuthorizationTokenCommand({}));
  const [username, password] = Buffer.from(authorizationData?.[0]?.authorizationToken ?? '', 'base64')
    .toString()
    .split(':');
  return { username, password };
}

/** Whether the registry has `repository:tag`, by the Registry HTTP API (a manifest HEAD). */
async function hasTag(host: string, repository: string, tag: string, auth?: { username: string; password: string }): Promise<boolean> {
  const scheme = /^(127\.|localhost(:|$))/.test(host) ? 'http' : 'https';
  const response = await fetch(`${scheme}://${host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
      ].join(', '),
      ...(auth && { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }),
    },
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw new Error(`the registry ${host} answered ${response.status} for ${repository}:${tag}`);
}

export async function pushImages(options: PushOptions): Promise<PushResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const docker = options.docker ?? new Docker();
  const { host, path } = parseRegistry(options.registry);
  const auth = await credentials(host);
  const results: PushResult[] = [];
  for (const [uri, build] of projectImages(`${host}/${path}/{service}:{hash}`)) {
    const [repository, tag] = [uri.slice(host.length + 1, uri.lastIndexOf(':')), uri.slice(uri.lastIndexOf(':') + 1)];
    if (await hasTag(host, repository, tag, auth)) {
      log(`${uri}: already in the registry (tags are immutable): not rebuilt, not pushed`);
      results.push({ service: build.service, uri, outcome: 'present' });
      continue;
    }
    await buildProjectImage(docker, uri, build, log);
    const started = Date.now();
    // The engine wants an X-Registry-Auth header even for a registry without login.
    await follow(docker, await docker.getImage(uri).push({ authconfig: { ...auth, serveraddress: host } }));
    log(`${uri}: pushed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    results.push({ service: build.service, uri, outcome: 'pushed' });
  }
  return results;
}

if (require.main === module) {
  const registry = setting('IMAGE_REGISTRY');
  pushImages({ registry: registry ?? '' })
    .then((results) => {
      const pushed = results.filter((result) => result.outcome === 'pushed').length;
      console.log(`\n${pushed} pushed, ${results.length - pushed} already there. Deploy them by reference:`);
      console.log(`  IMAGE_URI_TEMPLATE=${registry!.trim()}/{service}:{hash} npx cdktf deploy`);
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
