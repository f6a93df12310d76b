import Boom from '@hapi/boom';
import type { Plugin } from '@hapi/hapi';
import { idParams, userStore } from '@forum/service-kit';

/** `/api/users*`: the users resource, served by the users microservice and by the monolith. */
export const usersPlugin: Plugin<void> = {
  name: 'users',
  register(server) {
    server.route({ method: 'GET', path: '/api/users', options: { handler: () => userStore.all() } });
    server.route<{ Params: { id: number } }>({
      method: 'GET',
      path: '/api/users/{id}',
      options: {
        validate: { params: idParams('id') },
        handler: ({ params: { id } }) => userStore.byId(id) ?? Boom.notFound(`User ${id} not found`),
      },
    });
  },
};
