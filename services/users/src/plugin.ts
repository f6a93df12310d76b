import type { Plugin } from '@hapi/hapi';
import { registerCollection } from '@forum/service-kit';
import { userStore } from './data';

/** `/api/users*`: the users resource, served by the users microservice and by the monolith. */
export const plugin: Plugin<void> = {
  name: 'users',
  register: (server) => registerCollection(server, { path: '/api/users', label: 'User', all: userStore.all, byId: userStore.byId }),
};
