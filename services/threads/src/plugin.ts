import type { Plugin } from '@hapi/hapi';
import { registerCollection } from '@forum/service-kit';
import { threadStore } from './data';

/** `/api/threads*`: the threads resource, served by the threads microservice and by the monolith. */
export const plugin: Plugin<void> = {
  name: 'threads',
  register: (server) => registerCollection(server, { path: '/api/threads', label: 'Thread', all: threadStore.all, byId: threadStore.byId }),
};
