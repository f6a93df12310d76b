import type { Plugin } from '@hapi/hapi';
import { idField, Joi, parseResourceSchema, registerCollection, type ResourceOptions } from '@forum/service-kit';
import resourceJson from './resource.json';

export interface User {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly bio: string;
}

export const schema = parseResourceSchema(resourceJson, 'services/users/src/resource.json');

/** A user as the API answers it. */
const user = Joi.object({
  id: idField.required(),
  username: Joi.string().required(),
  name: Joi.string().required(),
  bio: Joi.string().allow('').required(),
}).id('User');

/** `/api/users*`: the users resource (read-only), served by the users microservice and by the monolith. */
export const plugin: Plugin<ResourceOptions> = {
  name: 'users',
  register: (server, { stores }) => registerCollection(server, stores, { path: '/api/users', label: 'User', schema, item: user }),
};
