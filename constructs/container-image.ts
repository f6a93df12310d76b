import { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { resolve } from 'node:path';
import { buildInputs } from '../lib/build-inputs';
import { ValidationError } from '../lib/validation';

/** Build an image from a Dockerfile with the Terraform Docker provider and push it to the service's own ECR repository. */
export interface ImageBuild {
  /** Build context directory (absolute, or relative to the working directory). */
  readonly context: string;
  /** Dockerfile path inside the context. */
  readonly dockerfile: string;
  /** Docker build arguments. @default {} */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Target platform of the build. @default 'linux/amd64' (what Fargate's X86_64 tasks run) */
  readonly platform?: string;
}

/** Where a service's container image comes from. */
export type ImageSource =
  /** Built here and pushed to the service's ECR repository, tagged with the content hash of its build inputs. */
  | { readonly build: ImageBuild }
  | {
      /** A ready-made image from any registry (built and pushed elsewhere); no Docker provider resources. */
      readonly uri: string;
      /** Create an ECR repository for the service anyway (for a pipeline to push to). @default false */
      readonly repository?: boolean;
      /**
       * ARN of the ECR repository the tasks pull from, when the URI alone does not tell it (a token).
       * @default - parsed from the URI when it is an ECR URI; none for other registries (public ones need no permission)
       */
      readonly pullRepositoryArn?: string;
    };

export interface ContainerImageProps {
  /** Where the image comes from: a build, or a ready-made URI. */
  readonly source: ImageSource;
  /** ECR repository name, e.g. `forum-dev/users` (used when a repository is created). */
  readonly repositoryName: string;
  /** Images the repository keeps; older ones expire. @default 10 */
  readonly keepImages?: number;
  /**
   * Turns a build's content hash into a ready-made URI instead of building it
   * here (a CI pipeline built and pushed it: IMAGE_URI_TEMPLATE).
   * @default - build and push with the Docker provider
   */
  readonly uriFromHash?: (hash: string) => string;
}

const ECR_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(?::[\w.-]+|@sha256:[0-9a-f]{64})?$/;

/** The repository ARN of an ECR image URI, or undefined for any other registry. */
export function ecrRepositoryArn(uri: string): string | undefined {
  const match = ECR_URI.exec(uri);
  if (!match) return undefined;
  const [, account, region, china, repository] = match;
  return `arn:${china ? 'aws-cn' : 'aws'}:ecr:${region}:${account}:repository/${repository}`;
}

/**
 * The image a service's tasks run. Built from a Dockerfile: an ECR repository
 * (scan on push, immutable tags, bounded history, deletable by destroy) and
 * the build and push, or the URI a pipeline pushed to. Ready-made: used as
 * given, with a repository only when asked.
 */
export class ContainerImage extends Construct {
  /** The service's own repository, when the image is built or one was asked for. */
  readonly repository?: EcrRepository;
  /** The URI that task definitions use. */
  readonly imageUri: string;
  /** Content hash of the build inputs (the image tag), when built from a Dockerfile. */
  readonly contentHash?: string;
  /** The push, when the image is built here: task definitions depend on it. */
  readonly pushed?: RegistryImage;
  /** The ECR repository the tasks pull from (their execution role may pull from it only); undefined when not ECR. */
  readonly pullRepositoryArn?: string;

  constructor(scope: Construct, id: string, props: ContainerImageProps) {
    super(scope, id);
    const keepImages = props.keepImages ?? 10;
    if (!Number.isInteger(keepImages) || keepImages < 1) throw new ValidationError(this, 'keepImages', `${keepImages} must be a positive integer`);
    const source = props.source;
    if ('uri' in source && !/^\S+$/.test(source.uri)) throw new ValidationError(this, 'source.uri', `"${source.uri}" is not an image URI`);

    if ('uri' in source) {
      this.repository = source.repository ? this.newRepository(props.repositoryName, keepImages) : undefined;
      this.imageUri = source.uri;
      this.pullRepositoryArn = source.pullRepositoryArn ?? ecrRepositoryArn(source.uri);
      return;
    }
    const repository = this.newRepository(props.repositoryName, keepImages);
    this.repository = repository;
    const build = source.build;
    const context = resolve(build.context);
    const hash = buildInputs(context, build.dockerfile, build.buildArgs).tag;
    this.contentHash = hash;
    if (props.uriFromHash) {
      this.imageUri = props.uriFromHash(hash);
      this.pullRepositoryArn = ecrRepositoryArn(this.imageUri);
      return;
    }
    const image = new Image(this, 'image', {
      name: `${repository.repositoryUrl}:${hash}`,
      keepLocally: true,
      buildAttribute: { context, dockerfile: build.dockerfile, platform: build.platform ?? 'linux/amd64', buildArgs: { ...build.buildArgs } },
      // The name holds the content hash: a changed input means a new name, hence a rebuild.
      triggers: { content_hash: hash },
    });
    this.pushed = new RegistryImage(this, 'push', { name: image.name, keepRemotely: true, triggers: { content_hash: hash } });
    this.imageUri = this.pushed.name;
    this.pullRepositoryArn = repository.arn;
  }

  private newRepository(name: string, keepImages: number): EcrRepository {
    const repository = new EcrRepository(this, 'repository', {
      name,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
      // Destroy removes the repository with its images instead of failing on them.
      forceDelete: true,
    });
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the last ${keepImages} images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keepImages },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    return repository;
  }
}
