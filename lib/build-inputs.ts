/**
 * What a Dockerfile takes from its build context, and a content hash of it:
 * the image tag. An unchanged service keeps its tag (no rebuild, no new task
 * definition); any change to a file it copies gives it a new one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** The context-relative sources of the Dockerfile's COPY/ADD instructions (not those copying from a stage). */
export function dockerfileSources(dockerfileText: string): string[] {
  const instructions = dockerfileText.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const sources: string[] = [];
  for (const line of instructions) {
    const words = line.trim().split(/\s+/);
    if (!/^(COPY|ADD)$/i.test(words[0] ?? '')) continue;
    const args = words.slice(1);
    if (args.some((arg) => arg.startsWith('--from'))) continue;
    const paths = args.filter((arg) => !arg.startsWith('--'));
    sources.push(...paths.slice(0, -1).map((path) => posix.normalize(path).replace(/\/$/, '')));
  }
  return [...new Set(sources)];
}

/** Turns .dockerignore lines into a matcher of context-relative paths (a path is ignored if it or a parent matches). */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      if (line.startsWith('!')) throw new Error(`.dockerignore exceptions ("${line}") are not supported by the image hash`);
      const body = posix
        .normalize(line.replace(/^\/+/, ''))
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/^\.\*\//, '(?:.*/)?');
      return new RegExp(`^${body}$`);
    });
  return (path) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i += 1) {
      const prefix = parts.slice(0, i).join('/');
      if (patterns.some((pattern) => pattern.test(prefix))) return true;
    }
    return false;
  };
}

function listFiles(root: string, path: string, ignored: (path: string) => boolean, out: string[]): void {
  if (ignored(path)) return;
  const absolute = join(root, path);
  if (statSync(absolute).isDirectory()) {
    for (const entry of readdirSync(absolute).sort()) listFiles(root, path === '.' ? entry : `${path}/${entry}`, ignored, out);
  } else {
    out.push(path);
  }
}

export interface BuildInputs {
  /** Context-relative paths of every file the image is built from, sorted. */
  readonly files: readonly string[];
  /** sha256 of the Dockerfile, the build args and every input file's path and content. */
  readonly hash: string;
}

/** The files that `docker build -f <dockerfile> <context>` reads, and their hash. */
export function buildInputs(context: string, dockerfile: string, buildArgs: Readonly<Record<string, string>> = {}): BuildInputs {
  const dockerignorePath = join(context, '.dockerignore');
  const ignored = existsSync(dockerignorePath) ? dockerignoreMatcher(readFileSync(dockerignorePath, 'utf8')) : () => false;
  const dockerfileText = readFileSync(join(context, dockerfile), 'utf8');
  const files: string[] = [];
  for (const source of dockerfileSources(dockerfileText)) {
    if (!existsSync(join(context, source))) throw new Error(`${dockerfile} copies "${source}", which is not in the build context ${context}`);
    listFiles(context, source, ignored, files);
  }
  const unique = [...new Set(files)].sort();
  const hash = createHash('sha256');
  hash.update(`dockerfile\0${dockerfile.split(sep).join('/')}\0${dockerfileText}\0`);
  for (const [key, value] of Object.entries(buildArgs).sort()) hash.update(`arg\0${key}=${value}\0`);
  for (const file of unique) {
    hash.update(`file\0${relative('.', file)}\0`);
    hash.update(readFileSync(join(context, file)));
  }
  return { files: unique, hash: hash.digest('hex') };
}
