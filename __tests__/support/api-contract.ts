/**
 * The API contract that every test layer checks (inject, real processes,
 * containers): each case with the resource that owns it and the status the
 * monolith must answer.
 */
import type { Resource as ServedResource } from '@forum/service-kit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectConfig } from '../../forum/config/project';
import { resources as monolithResources } from '../../services/monolith/src/plugins';

/** A microservice: one resource of the API. The list is the configuration's. */
export type Resource = string;
export const RESOURCES: readonly Resource[] = projectConfig.microservices.map((service) => service.name);
export const MONOLITH = projectConfig.monolith.name;

/** A resource as its package (`@forum/<name>`) exports it. */
function resourceOf(resource: Resource): ServedResource {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`@forum/${resource}`) as { resource: ServedResource }).resource;
}

/** The resources each service serves, exactly as its `main.ts` registers them. */
export const SERVICE_RESOURCES: Readonly<Record<string, readonly ServedResource[]>> = {
  [MONOLITH]: monolithResources,
  ...Object.fromEntries(RESOURCES.map((resource) => [resource, [resourceOf(resource)]])),
};

/** A resource's sample items, as its `data/sample.json` holds them (what a fresh table serves). */
export function sample(resource: Resource): ({ id: number } & Record<string, unknown>)[] {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'services', resource, 'data', 'sample.json'), 'utf8')) as ({ id: number } & Record<
    string,
    unknown
  >)[];
}

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
  { method: 'GET', path: '/api/users?limit=2', status: 200, resource: 'users' },
  { method: 'GET', path: '/api/users?limit=0', status: 400, resource: 'users' },
  { method: 'GET', path: '/api/users?limit=101', status: 400, resource: 'users' },
  { method: 'GET', path: '/api/users?after=bm90.YQ', status: 400, resource: 'users' },
  { method: 'GET', path: '/api/users?page=2', status: 400, resource: 'users' },
  { method: 'GET', path: '/api/users/1', status: 200, resource: 'users' },
  { method: 'GET', path: '/api/users/4', status: 200, resource: 'users' },
  { method: 'GET', path: '/api/users/999', status: 404, resource: 'users' },
  { method: 'GET', path: '/api/users/1/extra', status: 404, resource: 'users' },
  { method: 'POST', path: '/api/users', status: 405, resource: 'users' },
  { method: 'DELETE', path: '/api/users/1', status: 405, resource: 'users' },
  ...errorCases('users', '/api/users/{}'),
  { method: 'GET', path: '/api/threads', status: 200, resource: 'threads' },
  { method: 'GET', path: '/api/threads?limit=1', status: 200, resource: 'threads' },
  { method: 'GET', path: '/api/threads/2', status: 200, resource: 'threads' },
  { method: 'GET', path: '/api/threads/999', status: 404, resource: 'threads' },
  { method: 'PUT', path: '/api/threads/2', status: 405, resource: 'threads' },
  ...errorCases('threads', '/api/threads/{}'),
  { method: 'GET', path: '/api/posts/in-thread/1', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/in-thread/1?limit=1', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/by-user/2?limit=1&after=x', status: 400, resource: 'posts' },
  { method: 'GET', path: '/api/posts/in-thread/999', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/by-user/2', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/by-user/999', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts', status: 405, resource: 'posts' },
  { method: 'GET', path: '/api/posts/1', status: 200, resource: 'posts' },
  { method: 'GET', path: '/api/posts/999', status: 404, resource: 'posts' },
  { method: 'PATCH', path: '/api/posts/by-user/2', status: 405, resource: 'posts' },
  ...errorCases('posts', '/api/posts/in-thread/{}'),
  ...errorCases('posts', '/api/posts/by-user/{}'),
];

/** A request to a write route: what it sends and the status the monolith must answer. */
export interface WriteCase {
  readonly name: string;
  readonly path: string;
  /** The raw body. */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly status: number;
  readonly resource: Resource;
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * The write routes' contract, in order (a replay needs its first request
 * before it): run against fresh tables, every service that serves the
 * resource must answer each exactly like the monolith.
 */
export const WRITE_CASES: readonly WriteCase[] = [
  { name: 'a new thread', path: '/api/threads', body: json({ title: 'Which service goes first?', createdBy: 1 }), status: 201, resource: 'threads' },
  { name: 'a thread by a user that does not exist', path: '/api/threads', body: json({ title: 'Orphan', createdBy: 999 }), status: 422, resource: 'threads' },
  { name: 'an empty title', path: '/api/threads', body: json({ title: '  ', createdBy: 1 }), status: 400, resource: 'threads' },
  { name: 'a title of 201 characters', path: '/api/threads', body: json({ title: 'x'.repeat(201), createdBy: 1 }), status: 400, resource: 'threads' },
  { name: 'an unknown field', path: '/api/threads', body: json({ title: 'Pinned', createdBy: 1, pinned: true }), status: 400, resource: 'threads' },
  { name: 'an id given as a string', path: '/api/threads', body: json({ title: 'Typed', createdBy: '1' }), status: 400, resource: 'threads' },
  { name: 'a body that is not JSON', path: '/api/threads', body: '{"title": "cut', status: 400, resource: 'threads' },
  { name: 'a JSON array', path: '/api/threads', body: '[]', status: 400, resource: 'threads' },
  { name: 'no body', path: '/api/threads', body: '', status: 400, resource: 'threads' },
  {
    name: 'a form body',
    path: '/api/threads',
    body: 'title=x&createdBy=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    resource: 'threads',
  },
  { name: 'a new post', path: '/api/posts', body: json({ thread: 1, text: 'Start with the read path.', user: 2 }), status: 201, resource: 'posts' },
  {
    name: 'a post in a thread and by a user that do not exist',
    path: '/api/posts',
    body: json({ thread: 999, text: 'Lost', user: 998 }),
    status: 422,
    resource: 'posts',
  },
  { name: 'a text of 5001 characters', path: '/api/posts', body: json({ thread: 1, text: 'x'.repeat(5001), user: 2 }), status: 400, resource: 'posts' },
  { name: 'a missing user', path: '/api/posts', body: json({ thread: 1, text: 'Anonymous' }), status: 400, resource: 'posts' },
  { name: 'a body over 16 KB', path: '/api/posts', body: json({ thread: 1, text: 'x'.repeat(17_000), user: 2 }), status: 413, resource: 'posts' },
  {
    name: 'a post with an Idempotency-Key',
    path: '/api/posts',
    body: json({ thread: 2, text: 'Once only.', user: 3 }),
    headers: { 'idempotency-key': 'parity-1' },
    status: 201,
    resource: 'posts',
  },
  {
    name: 'its retry: the same key and body',
    path: '/api/posts',
    body: json({ thread: 2, text: 'Once only.', user: 3 }),
    headers: { 'idempotency-key': 'parity-1' },
    status: 201,
    resource: 'posts',
  },
  {
    name: 'the same key with another body',
    path: '/api/posts',
    body: json({ thread: 2, text: 'Twice?', user: 3 }),
    headers: { 'idempotency-key': 'parity-1' },
    status: 422,
    resource: 'posts',
  },
  {
    name: 'an Idempotency-Key with a space',
    path: '/api/posts',
    body: json({ thread: 2, text: 'Spaced.', user: 3 }),
    headers: { 'idempotency-key': 'two words' },
    status: 400,
    resource: 'posts',
  },
  { name: 'the second new post', path: '/api/posts', body: json({ thread: 3, text: 'And then the write path.', user: 1 }), status: 201, resource: 'posts' },
];

/** The headers of a write case's request. */
export function writeHeaders(writeCase: WriteCase): Record<string, string> {
  return { 'content-type': 'application/json', ...writeCase.headers };
}
