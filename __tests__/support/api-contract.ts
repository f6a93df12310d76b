/**
 * The API contract that every test layer checks (inject, real processes,
 * containers): each case with the resource that owns it and the status the
 * monolith must answer.
 */
import type { Plugin } from '@hapi/hapi';
import { projectConfig } from '../../config/project';
import { plugins as monolithPlugins } from '../../services/monolith/src/plugins';

/** A microservice: one resource of the API. The list is the configuration's. */
export type Resource = string;
export const RESOURCES: readonly Resource[] = projectConfig.microservices.map((service) => service.name);
export const MONOLITH = projectConfig.monolith.name;

/** A resource's hapi plugin, as its package (`@forum/<name>`) exports it. */
function pluginOf(resource: Resource): Plugin<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`@forum/${resource}`) as { plugin: Plugin<void> }).plugin;
}

/** The plugins each service registers, exactly as its `main.ts` does. */
export const SERVICE_PLUGINS: Readonly<Record<string, readonly Plugin<void>[]>> = {
  [MONOLITH]: monolithPlugins,
  ...Object.fromEntries(RESOURCES.map((resource) => [resource, [pluginOf(resource)]])),
};

export interface ApiCase {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Which microservice serves the path once extracted. */
  readonly resource: Resource;
}

const badIds = ['abc', '-1', '0', '1.5', '9'.repeat(400), '%20', '1.0', '+1', '01', '%201', '1e3', '2147483648'];

function errorCases(resource: Resource, template: string): ApiCase[] {
  return badIds.map((id) => ({ method: 'GET', path: template.replace('{}', id), status: 400, resource }));
}

export const API_CASES: readonly ApiCase[] = [
  { method: 'GET', path: '/api/users', status: 200, resource: 'users' },
  { method: 'GET', path: '/api/users/', status: 200, resource: 'users' },
  { method: 'GET', path: '/api/users/1', status: 200, resource: 'users' },
  { method: 'GET', path: '/api/users/4', status: 200, resource: 'users' },
  { method: 'GET', path: '/api/users/999', status: 404, resource: 'users' },
  { method: 'GET', path: '/api/users/1/extra', status: 404, resource: 'users' },
  { method: 'POST', path: '/api/users', status: 405, resource: 'users' },
  { method: 'DELETE', path: '/api/users/1', status: 405, resource: 'users' },
  ...errorCases('users', '/api/users/{}'),
  { method: 'GET', path: '/api/threads', status: 200, resource: 'threads' },
  { method: 'GET', path: '/api/threads/2', status: 200, resource: 'threads' },
  { method: 'GET', path: '/api/threads/999', status: 404, resource: 'threads' },
  { method: 'PUT', path: '/api/threads/2', status: 405, resource: 'threads' },
  ...errorCases('threads', '/api/threads/{}'),
  { method: 'GET', path: '/api/posts/in-thread/1', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/in-thread/999', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/by-user/2', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/by-user/999', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts', status: 404, resource: 'posts' },
  { method: 'PATCH', path: '/api/posts/by-user/2', status: 405, resource: 'posts' },
  ...errorCases('posts', '/api/posts/in-thread/{}'),
  ...errorCases('posts', '/api/posts/by-user/{}'),
];
