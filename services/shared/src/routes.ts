import Boom from '@hapi/boom';
import type { Server } from '@hapi/hapi';
import { idParams } from './validation';

/** A read-only collection of items with numeric ids, held in memory. */
export function inMemoryCollection<T extends { readonly id: number }>(items: readonly T[]): Pick<CollectionRoutes<T>, 'all' | 'byId'> {
  return { all: () => items, byId: (id) => items.find((item) => item.id === id) };
}

export interface CollectionRoutes<T> {
  /** e.g. `/api/users` */
  readonly path: string;
  /** What a 404 calls one item: `User 7 not found`. */
  readonly label: string;
  readonly all: () => readonly T[];
  readonly byId: (id: number) => T | undefined;
}

/** `GET <path>` lists the collection; `GET <path>/{id}` gets one item, 400 on a bad id, 404 on an unknown one. */
export function registerCollection<T>(server: Server, routes: CollectionRoutes<T>): void {
  server.route({ method: 'GET', path: routes.path, options: { handler: () => routes.all() } });
  server.route<{ Params: { id: number } }>({
    method: 'GET',
    path: `${routes.path}/{id}`,
    options: {
      validate: { params: idParams('id') },
      handler: ({ params: { id } }) => routes.byId(id) ?? Boom.notFound(`${routes.label} ${id} not found`),
    },
  });
}
