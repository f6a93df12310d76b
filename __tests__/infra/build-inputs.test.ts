import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInputs, dockerfileSources, dockerignoreMatcher } from '../../lib/build-inputs';
import { projectConfig } from '../../config/project';
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
  it('takes the context sources of COPY, not those from a build stage', () => {
    expect(dockerfileSources('FROM x AS a\nCOPY package.json package-lock.json ./\nCOPY --from=a /app/dist dist\nCOPY --chown=1000 services/users/ \\\n  services/users/\n')).toEqual([
      'package.json',
      'package-lock.json',
      'services/users',
    ]);
  });

  it('matches paths and their parents like Docker does', () => {
    const ignored = dockerignoreMatcher('# comment\n**/node_modules\n**/*.test.ts\n.git\n*.md\n');
    expect(ignored('services/users/node_modules/joi/index.js')).toBe(true);
    expect(ignored('node_modules/x')).toBe(true);
    expect(ignored('__x/a.test.ts')).toBe(true);
    expect(ignored('README.md')).toBe(true);
    expect(ignored('services/README.md')).toBe(false);
    expect(ignored('services/users/src/plugin.ts')).toBe(false);
  });
});
