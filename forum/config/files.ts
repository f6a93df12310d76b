/** What the configuration names on disk: build contexts and Dockerfiles, checked before anything is synthesized. */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ImageSource } from '../../constructs/container-image';
import { ConfigError } from './errors';

/** The image source with its build context made absolute (against `rootDir`), after checking that it and its Dockerfile exist. */
export function checkedImage(field: string, image: ImageSource, rootDir: string): ImageSource {
  if (!('build' in image)) return image;
  const context = isAbsolute(image.build.context) ? image.build.context : resolve(rootDir, image.build.context);
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    throw new ConfigError(`${field}.image.build.context`, `build context "${image.build.context}" does not exist`);
  }
  if (!existsSync(join(context, image.build.dockerfile))) {
    throw new ConfigError(`${field}.image.build.dockerfile`, `"${image.build.dockerfile}" does not exist in the build context "${image.build.context}"`);
  }
  return { build: { ...image.build, context } };
}
