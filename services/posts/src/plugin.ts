import type { Plugin } from '@hapi/hapi';
import {
  idField,
  idParams,
  Joi,
  LIST_HEADERS,
  pageQuery,
  pageRequest,
  pageResponse,
  parseResourceSchema,
  registerCollection,
  type ResourceOptions,
} from '@forum/service-kit';
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

/** A new post: its text, in an existing thread, by an existing user. */
const newPost = Joi.object({ thread: idField.required(), text: Joi.string().trim().min(1).max(5000).required(), user: idField.required() });
/** A post as the API answers it. */
const post = newPost.keys({ id: idField.required() }).id('Post');
/** A post in a list, as the lists have always shown it: its thread, text and user, without its id. */
const listedPost = newPost.id('ListedPost');

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
    registerCollection(server, stores, { path: '/api/posts', label: 'Post', schema, item: post, list: false, create: newPost });
    for (const [by, index, param] of [
      ['in-thread', 'by-thread', 'threadId'],
      ['by-user', 'by-user', 'userId'],
    ] as const) {
      server.route<{ Params: Record<typeof param, number> }>({
        method: 'GET',
        path: `/api/posts/${by}/{${param}}`,
        options: {
          validate: { params: idParams(param), query: pageQuery },
          response: { status: { 200: Joi.array().items(listedPost) } },
          plugins: { openapi: { summary: `A page of the posts ${by.replace('-', ' ')}, in id order`, headers: LIST_HEADERS } },
          handler: async (request, h) => pageResponse(h, request, await posts.query(index, request.params[param], pageRequest(request)), listed),
        },
      });
    }
  },
};
