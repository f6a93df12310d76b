import type { Plugin } from '@hapi/hapi';
import { idParams } from '@forum/service-kit';
import { postStore } from './data';

/**
 * `/api/posts*`: the posts resource, served by the posts microservice and by
 * the monolith. Lists are empty, not 404, for a thread or user without posts:
 * the posts service owns no users or threads to check against.
 */
export const plugin: Plugin<void> = {
  name: 'posts',
  register(server) {
    server.route<{ Params: { threadId: number } }>({
      method: 'GET',
      path: '/api/posts/in-thread/{threadId}',
      options: { validate: { params: idParams('threadId') }, handler: ({ params }) => postStore.inThread(params.threadId) },
    });
    server.route<{ Params: { userId: number } }>({
      method: 'GET',
      path: '/api/posts/by-user/{userId}',
      options: { validate: { params: idParams('userId') }, handler: ({ params }) => postStore.byUser(params.userId) },
    });
  },
};
