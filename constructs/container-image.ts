import { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { resolve } from 'node:path';
import { buildInputs } from '../lib/build-inputs';
import { ValidationError } from '../lib/validation';

export interface ContainerImageProps {
  /** ECR repository name, e.g. `forum-dev/users`. */
  readonly repositoryName: string;
  /**
   * Build from this Dockerfile with the Terraform Docker provider and push to
   * the repository, tagged with the content hash of the build inputs. Exactly
   * one of `build` and `uri` is given.
   */
  readonly build?: {
    /** Build context directory (absolute, or relative to the working directory). */
    readonly context: string;
    /** Dockerfile path inside the context. */
    readonly dockerfile: string;
    /** @default {} */
    readonly buildArgs?: Readonly<Record<string, string>>;
    /** @default 'linux/amd64' (what Fargate's X86_64 tasks run) */
    readonly platform?: string;
  };
  /** A ready-made image URI (built and pushed elsewhere); no Docker provider resources are created. */
  readonly uri?: string;
  /** Turns the build's content hash into a ready-made URI instead of building (IMAGE_URI_TEMPLATE). @default - build */
  readonly uriFromHash?: (hash: string) => string;
  /** Images the repository keeps; older ones expire. @default 10 */
  readonly keepImages?: number;
}

/**
 * A service's ECR repository (scan on push, immutable tags, bounded history,
 * deletable by destroy) and the image its tasks run: built and pushed, or
 * given.
 */
export class ContainerImage extends Construct {
  readonly repository: EcrRepository;
  /** The URI that task definitions use. */
  readonly imageUri: string;
  /** Content hash of the build inputs (the image tag), when built. */
  readonly contentHash?: string;
  /** The push, when the image is built here: task definitions depend on it. */
  readonly pushed?: RegistryImage;

  constructor(scope: Construct, id: string, props: ContainerImageProps) {
    super(scope, id);
    if ((props.build === undefined) === (props.uri === undefined)) throw new ValidationError(this, 'build/uri', 'give exactly one of build and uri');
    const keepImages = props.keepImages ?? 10;
    if (!Number.isInteger(keepImages) || keepImages < 1) throw new ValidationError(this, 'keepImages', `${keepImages} must be a positive integer`);

    this.repository = new EcrRepository(this, 'repository', {
      name: props.repositoryName,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
      // Destroy removes the repository with its images instead of failing on them.
      forceDelete: true,
    });
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [{ rulePriority: 1, description: `Keep the last ${keepImages} images`, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keepImages }, action: { type: 'expire' } }],
      }),
    });

    if (props.uri !== undefined) {
      this.imageUri = props.uri;
      return;
    }
    const build = props.build!;
    const context = resolve(build.context);
    const hash = buildInputs(context, build.dockerfile, build.buildArgs).hash.slice(0, 16);
    this.contentHash = hash;
    if (props.uriFromHash) {
      this.imageUri = props.uriFromHash(hash);
      return;
    }
    const image = new Image(this, 'image', {
      name: `${this.repository.repositoryUrl}:${hash}`,
      keepLocally: true,
      buildAttribute: { context, dockerfile: build.dockerfile, platform: build.platform ?? 'linux/amd64', buildArgs: { ...build.buildArgs } },
      // The name holds the content hash: a changed input means a new name, hence a rebuild.
      triggers: { content_hash: hash },
    });
    this.pushed = new RegistryImage(this, 'push', { name: image.name, keepRemotely: true, triggers: { content_hash: hash } });
    this.imageUri = this.pushed.name;
  }
}
