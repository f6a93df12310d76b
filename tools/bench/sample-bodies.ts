/**
 * The bodies the API answers for the benchmarked read routes on a fresh
 * deployment, from the resources' sample data: what the reference servers
 * serve from memory, to show the framework's and the store's cost apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../lib/project-root';

const sample = <T>(resource: string): T[] => JSON.parse(readFileSync(join(projectRoot(), 'services', resource, 'data', 'sample.json'), 'utf8')) as T[];

export const sampleBodies: Record<string, object> = {
  '/api/users': sample<object>('users'),
  '/api/users/1': sample<{ id: number }>('users').find((user) => user.id === 1)!,
  '/api/posts/in-thread/1': sample<{ thread: number; text: string; user: number }>('posts')
    .filter((post) => post.thread === 1)
    .map(({ thread, text, user }) => ({ thread, text, user })),
};
