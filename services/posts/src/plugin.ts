import type { Plugin } from '@hapi/hapi';
import { idParams, Joi, MAX_ID, pageQuery, pageRequest, pageResponse, parseResourceSchema, registerCollection, type ResourceOptions } from '@forum/service-kit';
import resourceJson from './resource.json';

export interface Post {
  readonly id: number;
  /** Id of the thread the post belongs to. */
  readonly thread: number;
  readonly text: string;
  /** Id of the user who wrote the post. */
  readonly user: number;
}

export const schema = parseResourceSchema(resourceJson, 'services/posts/src/resource.json');

const reference = Joi.number().integer().strict().min(1).max(MAX_ID).required();
/** A new post: its text, in an existing thread, by an existing user. */
const newPost = Joi.object({ thread: reference, text: Joi.string().trim().min(1).max(5000).required(), user: reference });

/** The lists show a post as they always have: its thread, text and user. */
const listed = ({ thread, text, user }: Post) => ({ thread, text, user });

/**
 * `/api/posts*`: the posts resource, served by the posts microservice and by
 * the monolith. Lists are empty, not 404, for a thread or user without posts,
 * and each is a Query on an index, a page at a time in id order, tagged to be revalidated.
 */
export const plugin: Plugin<ResourceOptions> = {
  name: 'posts',
  register(server, { stores }) {
    const posts = stores.collection<Post>(schema);
    registerCollection(server, stores, { path: '/api/posts', label: 'Post', schema, list: false, create: newPost });
    server.route<{ Params: { threadId: number } }>({
      method: 'GET',
      path: '/api/posts/in-thread/{threadId}',
      options: {
        validate: { params: idParams('threadId'), query: pageQuery },
        handler: async (request, h) => pageResponse(h, request, await posts.query('by-thread', request.params.threadId, pageRequest(request)), listed),
      },
    });
    server.route<{ Params: { userId: number } }>({
      method: 'GET',
      path: '/api/posts/by-user/{userId}',
      options: {
        validate: { params: idParams('userId'), query: pageQuery },
        handler: async (request, h) => pageResponse(h, request, await posts.query('by-user', request.params.userId, pageRequest(request)), listed),
      },
    });
  },
};
