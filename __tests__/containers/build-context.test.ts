/**
 * The image tag is a hash of what the Dockerfile takes from its context, so
 * that set must be exactly what Docker sends and copies. Checked against
 * Docker itself: a context with .dockerignore exceptions, names with spaces,
 * exec-form and wildcard COPY sources, and a stage copy; Docker builds it, and
 * the files it copied are listed from inside the image.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildInputs } from '../../lib/build-inputs';
import { docker, dockerOrThrow, engineAnswers, NO_ENGINE_MESSAGE, OPT_OUT, standInBaseImage } from '../../tools/docker';

jest.setTimeout(5 * 60_000);

const suite = OPT_OUT ? describe.skip : describe;
if (OPT_OUT) process.stdout.write('  [build context] SKIPPED: SKIP_CONTAINER_TESTS=1 opts out of every container test (CI never does)\n');

suite("the image tag's inputs are what Docker copies", () => {
  let context: string;
  const tag = `forum-test-context:${process.pid}`;

  beforeAll(() => {
    if (!engineAnswers()) throw new Error(NO_ENGINE_MESSAGE);
    context = mkdtempSync(join(tmpdir(), 'build-context-'));
    const files = [
      'a b/c.txt',
      'a b/d.test.js',
      'src/x.js',
      'src/x.test.js',
      'src/keep.test.js',
      'src/node_modules/m/index.js',
      'docs/readme.md',
      'docs/keep.md',
      'pkg-a.json',
      'pkg-b.json',
      'other.json',
      'unused.txt',
    ];
    for (const file of files) {
      mkdirSync(dirname(join(context, file)), { recursive: true });
      writeFileSync(join(context, file), `${file}\n`);
    }
    writeFileSync(join(context, '.dockerignore'), ['**/*.test.js', '!src/keep.test.js', '**/node_modules', 'docs', '!docs/keep.md', ''].join('\n'));
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        `FROM ${standInBaseImage()} AS base`,
        'COPY ["a b", "/ctx/a b/"]',
        'COPY src /ctx/src/',
        'COPY docs /ctx/docs/',
        'COPY pkg-*.json /ctx/',
        'FROM base',
        'COPY --from=base /ctx/src/x.js /ctx/stage-copy.js',
        '',
      ].join('\n'),
    );
  });

  afterAll(() => {
    docker(['rmi', '-f', tag]);
    rmSync(context, { recursive: true, force: true });
  });

  it('lists exactly the files Docker copies into the image', () => {
    dockerOrThrow(['build', '-q', '-t', tag, context], { timeoutMs: 120_000 });
    // The base has no find: node lists the files.
    const walk =
      "const f=require('fs'),p=require('path');const w=(d)=>f.readdirSync(d,{withFileTypes:true}).flatMap((e)=>e.isDirectory()?w(p.join(d,e.name)):[p.join(d,e.name)]);console.log(w('/ctx').join('\\n'))";
    const copied = dockerOrThrow(['run', '--rm', '--network', 'none', '--entrypoint', 'node', tag, '-e', walk])
      .split('\n')
      .filter((path) => path !== '/ctx/stage-copy.js')
      .map((path) => path.replace(/^\/ctx\//, ''))
      .sort();
    const ours = [...buildInputs(context, 'Dockerfile').files].sort();
    const expected = ['a b/c.txt', 'docs/keep.md', 'pkg-a.json', 'pkg-b.json', 'src/keep.test.js', 'src/x.js'];
    expect(copied).toEqual(expected);
    expect(ours).toEqual(expected);
    process.stdout.write(
      `  [build context] Docker copied ${copied.length} files, the tag's inputs are the same ${ours.length}: exceptions, spaces, exec form and wildcards included\n`,
    );
  });

  it('a file Docker does not send does not change the tag; one it sends does', () => {
    const before = buildInputs(context, 'Dockerfile').hash;
    writeFileSync(join(context, 'src', 'y.test.js'), 'ignored\n');
    writeFileSync(join(context, 'docs', 'other.md'), 'ignored\n');
    writeFileSync(join(context, 'unused.txt'), 'not copied\n');
    expect(buildInputs(context, 'Dockerfile').hash).toBe(before);
    writeFileSync(join(context, 'src', 'keep.test.js'), 'an exception: sent\n');
    expect(buildInputs(context, 'Dockerfile').hash).not.toBe(before);
  });
});
