import type { Plugin } from '@hapi/hapi';
import { registerCollection, threadStore } from '@forum/service-kit';

/** `/api/threads*`: the threads resource, served by the threads microservice and by the monolith. */
export const threadsPlugin: Plugin<void> = {
  name: 'threads',
  register: (server) => registerCollection(server, { path: '/api/threads', label: 'Thread', all: threadStore.all, byId: threadStore.byId }),
};
