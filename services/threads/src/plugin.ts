import type { Plugin } from '@hapi/hapi';
import { idField, Joi, parseResourceSchema, registerCollection, type ResourceOptions } from '@forum/service-kit';
import resourceJson from './resource.json';

export interface Thread {
  readonly id: number;
  readonly title: string;
  /** Id of the user who opened it. */
  readonly createdBy: number;
}

export const schema = parseResourceSchema(resourceJson, 'services/threads/src/resource.json');

/** A new thread: a title and an existing user. */
const newThread = Joi.object({
  title: Joi.string().trim().min(1).max(200).required(),
  createdBy: idField.required(),
});
/** A thread as the API answers it. */
const thread = newThread.keys({ id: idField.required() }).id('Thread');

/** `/api/threads*`: the threads resource, served by the threads microservice and by the monolith. */
export const plugin: Plugin<ResourceOptions> = {
  name: 'threads',
  register: (server, { stores }) => registerCollection(server, stores, { path: '/api/threads', label: 'Thread', schema, item: thread, create: newThread }),
};
