import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInputs, dockerfileSources, dockerignoreMatcher } from '../../lib/build-inputs';
import { projectConfig } from '../../forum/config/project';
import { REPO_ROOT } from '../support/processes';

const SERVICES = [projectConfig.monolith.name, ...projectConfig.microservices.map((service) => service.name)];

describe('the image content hash', () => {
  let copy: string;
  const tags = () => Object.fromEntries(SERVICES.map((service) => [service, buildInputs(copy, `services/${service}/Dockerfile`).hash]));

  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'build-inputs-'));
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.base.json', '.dockerignore', 'services']) {
      cpSync(join(REPO_ROOT, path), join(copy, path), { recursive: true, filter: (source) => !/node_modules|\/dist(\/|$)/.test(source) });
    }
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('is stable while nothing changes', () => {
    expect(tags()).toEqual(tags());
  });

  it('changing a file only the monolith uses changes only the monolith tag', () => {
    const before = tags();
    appendFileSync(join(copy, 'services/monolith/src/main.ts'), '\n// changed\n');
    const after = tags();
    expect(SERVICES.filter((service) => before[service] !== after[service])).toEqual(['monolith']);
  });

  it('changing the users plugin changes the users tag and the monolith tag (the monolith embeds it), not threads or posts', () => {
    const before = tags();
    appendFileSync(join(copy, 'services/users/src/plugin.ts'), '\n// changed\n');
    const after = tags();
    expect(SERVICES.filter((service) => before[service] !== after[service]).sort()).toEqual(['monolith', 'users']);
  });

  it('changing the users schema (src/resource.json, read by the service) changes the users and monolith tags; changing its sample data changes none', () => {
    const before = tags();
    writeFileSync(join(copy, 'services/users/data/sample.json'), '[]\n');
    expect(tags()).toEqual(before);
    appendFileSync(join(copy, 'services/users/src/resource.json'), '\n');
    const after = tags();
    expect(SERVICES.filter((service) => before[service] !== after[service]).sort()).toEqual(['monolith', 'users']);
  });

  it('changing the shared kit changes every tag', () => {
    const before = tags();
    appendFileSync(join(copy, 'services/shared/src/logger.ts'), '\n// changed\n');
    const after = tags();
    expect(SERVICES.filter((service) => before[service] !== after[service]).sort()).toEqual([...SERVICES].sort());
  });

  it('ignores what .dockerignore keeps out of the context (tests, build output, node_modules)', () => {
    const before = tags();
    writeFileSync(join(copy, 'services/users/src/plugin.test.ts'), 'test');
    cpSync(join(copy, 'services/users/src'), join(copy, 'services/users/dist'), { recursive: true });
    cpSync(join(copy, 'services/users/src'), join(copy, 'services/users/node_modules/x'), { recursive: true });
    expect(tags()).toEqual(before);
    expect(buildInputs(copy, 'services/users/Dockerfile').files).not.toContain('services/users/src/plugin.test.ts');
  });
});

describe('Dockerfile and .dockerignore parsing', () => {
  it('takes the context sources of COPY and ADD, not those from a build stage, an image or a URL', () => {
    expect(
      dockerfileSources(
        [
          'FROM x AS a',
          'COPY package.json package-lock.json ./',
          'COPY --from=a /app/dist dist',
          'COPY --from=node:24 /usr/local/bin/node /usr/local/bin/',
          'COPY --chown=1000 services/users/ \\',
          '  services/users/',
          'ADD https://example.com/x.tgz /tmp/',
          'ADD vendor/lib.tgz /opt/',
        ].join('\n'),
      ),
    ).toEqual(['package.json', 'package-lock.json', 'services/users', 'vendor/lib.tgz']);
  });

  it('reads the exec (JSON) form, with spaces in names, and expands ARG defaults', () => {
    expect(dockerfileSources('FROM x\nCOPY ["a b/c.txt", "d.txt", "/app/"]\nARG SERVICE=users\nCOPY services/${SERVICE}/src /app/src\n')).toEqual([
      'a b/c.txt',
      'd.txt',
      'services/users/src',
    ]);
  });

  it('matches paths and their parents like Docker does', () => {
    const { ignores } = dockerignoreMatcher('# comment\n**/node_modules\n**/*.test.ts\n.git\n*.md\n');
    expect(ignores('services/users/node_modules/joi/index.js')).toBe(true);
    expect(ignores('node_modules/x')).toBe(true);
    expect(ignores('__x/a.test.ts')).toBe(true);
    expect(ignores('README.md')).toBe(true);
    expect(ignores('services/README.md')).toBe(false);
    expect(ignores('services/users/src/plugin.ts')).toBe(false);
  });

  it('takes exceptions: the last matching rule wins', () => {
    const { ignores, hasExceptions } = dockerignoreMatcher('docs\n!docs/keep.md\n*.log\n!important.log\n');
    expect(hasExceptions).toBe(true);
    expect(ignores('docs/other.md')).toBe(true);
    expect(ignores('docs/keep.md')).toBe(false);
    expect(ignores('debug.log')).toBe(true);
    expect(ignores('important.log')).toBe(false);
  });
});
