/**
 * The project's configuration: the one place that says which services exist,
 * how big they are, and how far the refactor has gone. `EXTRACTED_SERVICES`
 * overrides the `extracted` flags for one run (see README, "The refactor").
 */
import type { ProjectConfig } from './schema';

const build = (service: string) => ({ build: { context: '.', dockerfile: `services/${service}/Dockerfile` } });

export const projectConfig: ProjectConfig = {
  project: 'forum',
  environment: 'dev',
  region: 'us-east-1',
  network: { kind: 'new', cidr: '10.0.0.0/16', azCount: 2, natGateways: 'single' },
  logRetentionDays: 30,
  keepImages: 10,
  state: { backend: 'local' },
  monolith: {
    name: 'monolith',
    image: build('monolith'),
    cpu: 512,
    memory: 1024,
    desiredCount: 2,
    scaling: { minCapacity: 2, maxCapacity: 6 },
  },
  microservices: [
    { name: 'users', image: build('users'), priority: 10, extracted: true },
    { name: 'threads', image: build('threads'), priority: 20, extracted: true },
    // `/api/posts` itself is no route: a blue/green pre-traffic check needs a real one.
    { name: 'posts', image: build('posts'), priority: 30, extracted: true, blueGreen: { checkPath: '/api/posts/in-thread/1' } },
  ],
};
