/**
 * The project's configuration: the one list of services, how big they are,
 * and how far the refactor has gone. EXTRACTED_SERVICES, TRAFFIC_SHARES and
 * BLUE_GREEN_SERVICES override it for one run (see README, "The refactor").
 * Adding a microservice: its folder under services/ and one entry below,
 * then `npm run generate` and `npm install` (see README).
 */
import type { ProjectConfig, ServiceConfig } from './types';

/** Every forum image is built from its generated Dockerfile, and answers this health probe (ECS ignores the Dockerfile's HEALTHCHECK). */
const forumService = (name: string): Pick<ServiceConfig, 'name' | 'image' | 'containerHealthCheck'> => ({
  name,
  image: { build: { context: '.', dockerfile: `services/${name}/Dockerfile` } },
  containerHealthCheck: { command: ['node', '/app/services/shared/dist/healthcheck.js'] },
});

export const projectConfig: ProjectConfig = {
  project: 'forum',
  region: 'us-east-1',
  network: { kind: 'new', cidr: '10.0.0.0/16', azCount: 2, natGateways: 'single' },
  logRetentionDays: 30,
  keepImages: 10,
  stages: {
    // A developer's stage, the default: state on disk, and destroy leaves nothing (no deletion protection, the log bucket goes with its logs).
    dev: { state: { backend: 'local' }, deletionProtection: false, accessLogs: { expireAfterDays: 30, forceDestroy: true } },
    // What users reach, deployed by the pipeline's `prod` GitHub environment: state in S3 (encrypted, locked), only in its own account.
    // Put your production account and state bucket here before the first deploy.
    prod: {
      allowedAccountIds: ['123456789012'],
      state: { backend: 's3', bucket: 'forum-terraform-state-123456789012', key: 'forum-prod/terraform.tfstate', region: 'us-east-1' },
      logRetentionDays: 365,
    },
  },
  monolith: {
    ...forumService('monolith'),
    // The facade's API (lab 4), on the monolith's internal port: reached through Cloud Map by the services with `persistence: 'facade'`.
    internalPort: 3001,
    cpu: 512,
    memory: 1024,
    desiredCount: 2,
    autoScaling: { minCapacity: 2, maxCapacity: 6 },
  },
  microservices: [
    { ...forumService('users'), extracted: true, route: { priority: 10 } },
    // While threads takes a share of its paths (a canary), a client stays on the side it landed on for 10 minutes.
    { ...forumService('threads'), extracted: true, route: { priority: 20, stickinessSeconds: 600 } },
    // `/api/posts` itself is no route: a blue/green pre-traffic check needs a real one.
    { ...forumService('posts'), extracted: true, route: { priority: 30 }, blueGreen: { checkPath: '/api/posts/in-thread/1' } },
  ],
};
