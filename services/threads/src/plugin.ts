import Boom from '@hapi/boom';
import type { Plugin } from '@hapi/hapi';
import { idParams, threadStore } from '@forum/service-kit';

/** `/api/threads*`: the threads resource, served by the threads microservice and by the monolith. */
export const threadsPlugin: Plugin<void> = {
  name: 'threads',
  register(server) {
    server.route({ method: 'GET', path: '/api/threads', options: { handler: () => threadStore.all() } });
    server.route<{ Params: { id: number } }>({
      method: 'GET',
      path: '/api/threads/{id}',
      options: {
        validate: { params: idParams('id') },
        handler: ({ params: { id } }) => threadStore.byId(id) ?? Boom.notFound(`Thread ${id} not found`),
      },
    });
  },
};
