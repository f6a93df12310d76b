/** What keeps the Dockerfiles portable between the official alpine/slim images and the stand-in (no engine needed). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceImages } from '../../tools/docker';
import { REPO_ROOT } from '../support/processes';

const standInScript = readFileSync(join(REPO_ROOT, 'tools', 'node-standin-image.sh'), 'utf8');

describe.each(serviceImages().map((image) => [image.service, image] as const))('%s Dockerfile', (_, image) => {
  const text = readFileSync(join(image.context, image.dockerfile), 'utf8');
  const stages = text.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1];

  it('takes its base image as NODE_IMAGE, defaulting to an official Node.js LTS image on ECR Public', () => {
    expect(text).toMatch(/^ARG NODE_IMAGE=public\.ecr\.aws\/docker\/library\/node:(22|24)-(alpine|slim)$/m);
    expect(stages.every((stage) => stage.startsWith('${NODE_IMAGE}'))).toBe(true);
  });

  it('uses the Node.js major of its default base in the stand-in the tests build', () => {
    const major = text.match(/node:(\d+)-/)![1];
    expect(standInScript).toMatch(new RegExp(`NODE_VERSION="\\$\\{NODE_STANDIN_VERSION:-${major}\\.`));
  });

  it('is multi-stage, with exec-form CMD and HEALTHCHECK, numeric USER, EXPOSE, and no package managers in the runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime).toMatch(/^USER 1000$/m);
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", /m);
    expect(runtime).toMatch(/^CMD \["node", "\/app\/services\/[a-z]+\/dist\/main\.js"\]$/m);
    expect(runtime).not.toMatch(/apk |apt-get|useradd|adduser|curl|wget/);
    expect(text).not.toMatch(/^# *syntax=/m);
  });
});
