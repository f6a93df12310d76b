import type { Plugin } from '@hapi/hapi';
import { registerCollection, userStore } from '@forum/service-kit';

/** `/api/users*`: the users resource, served by the users microservice and by the monolith. */
export const usersPlugin: Plugin<void> = {
  name: 'users',
  register: (server) => registerCollection(server, { path: '/api/users', label: 'User', all: userStore.all, byId: userStore.byId }),
};
