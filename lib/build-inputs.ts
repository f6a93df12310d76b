/**
 * What a Dockerfile takes from its build context, and a content hash of it:
 * the image tag. An unchanged service keeps its tag (no rebuild, no new task
 * definition); any change to a file it copies gives it a new one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { Add, Copy, DockerfileParser } from 'dockerfile-ast';
import { minimatch } from 'minimatch';

/**
 * The context-relative sources of the Dockerfile's COPY/ADD instructions (not
 * those copying from a stage or an image, nor ADD's URLs), parsed by
 * dockerfile-ast (the parser of the Docker language server): line
 * continuations, exec (JSON) form, flags and ARG/ENV references as Docker reads them.
 */
export function dockerfileSources(dockerfileText: string): string[] {
  const sources: string[] = [];
  for (const instruction of DockerfileParser.parse(dockerfileText).getInstructions()) {
    if (!(instruction instanceof Copy) && !(instruction instanceof Add)) continue;
    if (instruction.getFlags().some((flag) => flag.getName() === 'from')) continue;
    // Exec form: the JSON array as written (the parser's own JSON strings lose spaces inside a name).
    const content = (instruction.getArgumentsContent() ?? '').replace(/^(--\S+\s+)*/, '');
    const args =
      instruction.getJSONStrings().length > 0 ? (JSON.parse(content) as string[]) : instruction.getExpandedArguments().map((argument) => argument.getValue());
    for (const source of args.slice(0, -1)) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) continue; // ADD <url>: not from the context
      sources.push(posix.normalize(source.replace(/^\/+/, '')).replace(/\/$/, '') || '.');
    }
  }
  return [...new Set(sources)];
}

/**
 * Whether `docker build` leaves a context-relative path out, by the
 * .dockerignore's rules with Docker's own semantics (@balena/dockerignore,
 * a port of Docker's matcher): globs, `**`, and `!` exceptions, the last
 * matching rule winning.
 */
export function dockerignoreMatcher(text: string): { ignores: (path: string) => boolean; hasExceptions: boolean } {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const matcher = dockerignore().add(rules);
  return { ignores: (path) => matcher.ignores(path), hasExceptions: rules.some((rule) => rule.startsWith('!')) };
}

/**
 * The files under `path` that the context sends. An ignored directory is not
 * walked unless some exception could bring a file in it back, as Docker does.
 */
function listFiles(root: string, path: string, matcher: ReturnType<typeof dockerignoreMatcher>, out: string[]): void {
  const absolute = join(root, path);
  if (statSync(absolute).isDirectory()) {
    if (path !== '.' && matcher.ignores(path) && !matcher.hasExceptions) return;
    for (const entry of readdirSync(absolute).sort()) listFiles(root, path === '.' ? entry : `${path}/${entry}`, matcher, out);
  } else if (!matcher.ignores(path)) {
    out.push(path);
  }
}

/**
 * The context paths a COPY source names: itself, or, for a wildcard source
 * (`package*.json`, `services/<any>/package.json`), what matches it segment by
 * segment, as Docker's filepath.Match does (`*` never crosses a `/`).
 */
function expandSource(context: string, source: string): string[] {
  if (!/[*?[]/.test(source)) return existsSync(join(context, source)) ? [source] : [];
  let paths = ['.'];
  for (const segment of source.split('/')) {
    paths = paths.flatMap((path) => {
      const absolute = join(context, path);
      if (!existsSync(absolute) || !statSync(absolute).isDirectory()) return [];
      const names = /[*?[]/.test(segment)
        ? readdirSync(absolute).filter((name) => minimatch(name, segment, { dot: true }))
        : existsSync(join(absolute, segment))
          ? [segment]
          : [];
      return names.sort().map((name) => (path === '.' ? name : `${path}/${name}`));
    });
  }
  return paths;
}

export interface BuildInputs {
  /** Context-relative paths of every file the image is built from, sorted. */
  readonly files: readonly string[];
  /** sha256 of the Dockerfile, the build args and every input file's path and content. */
  readonly hash: string;
  /** The image tag of these inputs: the hash's first 16 hex digits (64 bits: no collision among one project's images, and short enough to read). */
  readonly tag: string;
}

/** An image URI from a template such as `<registry>/{service}:{hash}` (IMAGE_URI_TEMPLATE): the service's name and its inputs' tag filled in. */
export function imageUri(template: string, service: string, tag: string): string {
  return template.replace(/\{service\}/g, service).replace(/\{hash\}/g, tag);
}

/** The files that `docker build -f <dockerfile> <context>` reads, and their hash. */
export function buildInputs(context: string, dockerfile: string, buildArgs: Readonly<Record<string, string>> = {}): BuildInputs {
  const dockerignorePath = join(context, '.dockerignore');
  const matcher = dockerignoreMatcher(existsSync(dockerignorePath) ? readFileSync(dockerignorePath, 'utf8') : '');
  const dockerfileText = readFileSync(join(context, dockerfile), 'utf8');
  const files: string[] = [];
  for (const source of dockerfileSources(dockerfileText)) {
    const matched = expandSource(context, source);
    if (matched.length === 0) throw new Error(`${dockerfile} copies "${source}", which is not in the build context ${context}`);
    for (const path of matched) listFiles(context, path, matcher, files);
  }
  const unique = [...new Set(files)].sort();
  const hash = createHash('sha256');
  hash.update(`dockerfile\0${dockerfile.split(sep).join('/')}\0${dockerfileText}\0`);
  for (const [key, value] of Object.entries(buildArgs).sort()) hash.update(`arg\0${key}=${value}\0`);
  for (const file of unique) {
    hash.update(`file\0${relative('.', file)}\0`);
    hash.update(readFileSync(join(context, file)));
  }
  const digest = hash.digest('hex');
  return { files: unique, hash: digest, tag: digest.slice(0, 16) };
}
