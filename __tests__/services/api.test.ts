import type { Server } from '@hapi/hapi';
import { createServer, ID_RULE } from '@forum/service-kit';
import { API_CASES, sample, SERVICE_RESOURCES } from '../support/api-contract';
import { storesFor, testTables } from '../support/data';

let monolith: Server;
beforeAll(async () => {
  const env = await testTables('api');
  monolith = await createServer({
    service: 'monolith',
    resources: SERVICE_RESOURCES.monolith,
    stores: storesFor(SERVICE_RESOURCES.monolith, env),
    checkResponses: true,
  });
});

const get = async (url: string) => monolith.inject({ method: 'GET', url });

describe('the monolith through server.inject', () => {
  it.each(['/', '/api'])('%s answers a plain-text line naming the service', async (url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.payload).toBe('forum API, served by the monolith service\n');
  });

  it('/health answers 200 JSON with the service name', async () => {
    const res = await get('/health');
    expect(res.statusCode).toBe(200);
    expect(res.result).toEqual({ status: 'ok', service: 'monolith' });
  });

  it('lists users with their public fields', async () => {
    const res = await get('/api/users');
    expect(res.statusCode).toBe(200);
    const users = JSON.parse(res.payload) as unknown[];
    expect(users.length).toBeGreaterThanOrEqual(4);
    for (const user of users) expect(Object.keys(user as object).sort()).toEqual(['bio', 'id', 'name', 'username']);
  });

  it('answers a trailing slash like the bare path, as the ALB pattern /api/users/* sends it', async () => {
    expect((await get('/api/users/')).payload).toBe((await get('/api/users')).payload);
  });

  it('gets one user and one thread by id', async () => {
    expect(JSON.parse((await get('/api/users/2')).payload)).toMatchObject({ id: 2, username: 'ada' });
    const thread = JSON.parse((await get('/api/threads/3')).payload);
    expect(thread).toEqual(sample('threads').find((item) => item.id === 3));
    expect(Object.keys(thread).sort()).toEqual(['createdBy', 'id', 'title']);
  });

  it('lists threads', async () => {
    const threads = JSON.parse((await get('/api/threads')).payload) as unknown[];
    expect(threads.length).toBeGreaterThanOrEqual(3);
  });

  it('lists the posts of a thread and of a user, and [] when there are none', async () => {
    const inThread = JSON.parse((await get('/api/posts/in-thread/1')).payload) as { thread: number }[];
    expect(inThread.length).toBeGreaterThan(0);
    expect(inThread.every((post) => post.thread === 1)).toBe(true);
    const byUser = JSON.parse((await get('/api/posts/by-user/2')).payload) as { user: number }[];
    expect(byUser.length).toBeGreaterThan(0);
    expect(byUser.every((post) => post.user === 2)).toBe(true);
    expect(JSON.parse((await get('/api/posts/in-thread/999')).payload)).toEqual([]);
    expect(JSON.parse((await get('/api/posts/by-user/999')).payload)).toEqual([]);
  });

  it('404s an unknown user and thread with a JSON body naming the id', async () => {
    for (const [url, message] of [
      ['/api/users/999', 'User 999 not found'],
      ['/api/threads/77', 'Thread 77 not found'],
    ]) {
      const res = await get(url);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.payload)).toEqual({ statusCode: 404, error: 'Not Found', message });
    }
  });

  it('404s an unknown route with JSON', async () => {
    const res = await get('/api/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.payload)).toEqual({ statusCode: 404, error: 'Not Found', message: 'Not Found' });
  });

  it('405s another method on a known route, with JSON and an Allow header', async () => {
    const res = await monolith.inject({ method: 'POST', url: '/api/users' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    const threads = await monolith.inject({ method: 'PUT', url: '/api/threads' });
    expect(threads.statusCode).toBe(405);
    expect(threads.headers.allow).toBe('GET, HEAD, POST');
    expect(JSON.parse(res.payload)).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
  });

  it.each([
    ['/api/users/abc', 'id'],
    ['/api/users/-1', 'id'],
    ['/api/users/0', 'id'],
    ['/api/threads/1.5', 'id'],
    [`/api/threads/${'9'.repeat(400)}`, 'id'],
    ['/api/users/2147483648', 'id'],
    ['/api/users/1.0', 'id'],
    ['/api/users/+1', 'id'],
    ['/api/users/01', 'id'],
    ['/api/users/%201', 'id'],
    ['/api/users/1%20', 'id'],
    ['/api/users/%091', 'id'],
    ['/api/users/1e0', 'id'],
    ['/api/users/1e3', 'id'],
    ['/api/users/0x10', 'id'],
    ['/api/posts/in-thread/x', 'threadId'],
    ['/api/posts/by-user/-7', 'userId'],
    ['/api/posts/by-user/007', 'userId'],
  ])('%s is a 400 whose JSON names the parameter %s, with the one message every bad id gets', async (url, param) => {
    const res = await get(url);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.payload)).toEqual({ statusCode: 400, error: 'Bad Request', message: `"${param}" ${ID_RULE}`, validation: { keys: [param] } });
  });

  it('takes the largest id, and the canonical form of small ones', async () => {
    expect((await get('/api/users/2147483647')).statusCode).toBe(404);
    expect((await get('/api/users/5')).statusCode).toBe(200);
  });

  it('answers every case of the contract with its documented status', async () => {
    for (const apiCase of API_CASES) {
      const res = await monolith.inject({ method: apiCase.method, url: apiCase.path });
      expect({ case: `${apiCase.method} ${apiCase.path}`, status: res.statusCode }).toEqual({
        case: `${apiCase.method} ${apiCase.path}`,
        status: apiCase.status,
      });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
  });
});

describe('the sample data', () => {
  it('has at least 4 users, 3 threads and 8 posts that reference existing users and threads', () => {
    const [users, threads, posts] = [sample('users'), sample('threads'), sample('posts')];
    expect(users.length).toBeGreaterThanOrEqual(4);
    expect(threads.length).toBeGreaterThanOrEqual(3);
    expect(posts.length).toBeGreaterThanOrEqual(8);
    const ids = (items: { id: number }[]) => new Set(items.map((item) => item.id));
    for (const thread of threads) expect(ids(users).has(thread.createdBy as number)).toBe(true);
    for (const post of posts) expect([ids(threads).has(post.thread as number), ids(users).has(post.user as number)]).toEqual([true, true]);
  });

  it('is what a fresh table serves, in id order', async () => {
    expect(JSON.parse((await get('/api/users')).payload)).toEqual(sample('users'));
    expect(JSON.parse((await get('/api/threads')).payload)).toEqual(sample('threads'));
    const inThread1 = sample('posts')
      .filter((post) => post.thread === 1)
      .map(({ thread, text, user }) => ({ thread, text, user }));
    expect(JSON.parse((await get('/api/posts/in-thread/1')).payload)).toEqual(inThread1);
  });
});

describe('conditional requests', () => {
  it('an item carries a strong ETag and may be cached for good; If-None-Match with its tag answers 304 with no body', async () => {
    const first = await get('/api/users/2');
    expect(first.headers.etag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const again = await monolith.inject({ method: 'GET', url: '/api/users/2', headers: { 'if-none-match': first.headers.etag as string } });
    expect({ status: again.statusCode, body: again.payload, etag: again.headers.etag }).toEqual({ status: 304, body: '', etag: first.headers.etag });
    // Another item's tag, or none, gets the item.
    const other = (await get('/api/users/3')).headers.etag as string;
    expect((await monolith.inject({ method: 'GET', url: '/api/users/2', headers: { 'if-none-match': other } })).statusCode).toBe(200);
  });

  it('a list carries an ETag and is revalidated: 304 while it is unchanged, the new list once an item is created', async () => {
    const list = await get('/api/threads');
    expect(list.headers['cache-control']).toBe('no-cache');
    const tag = list.headers.etag as string;
    expect((await monolith.inject({ method: 'GET', url: '/api/threads', headers: { 'if-none-match': tag } })).statusCode).toBe(304);
    const inThread = await get('/api/posts/in-thread/1');
    expect({ status: inThread.statusCode, cacheControl: inThread.headers['cache-control'], etag: typeof inThread.headers.etag }).toEqual({
      status: 200,
      cacheControl: 'no-cache',
      etag: 'string',
    });
    const created = await monolith.inject({ method: 'POST', url: '/api/threads', payload: { title: 'conditional', createdBy: 1 } });
    expect(created.statusCode).toBe(201);
    const changed = await monolith.inject({ method: 'GET', url: '/api/threads', headers: { 'if-none-match': tag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(tag);
  });

  it('errors carry no tag and are not cached', async () => {
    const missing = await get('/api/users/999');
    expect({ status: missing.statusCode, etag: missing.headers.etag, cacheControl: missing.headers['cache-control'] }).toEqual({
      status: 404,
      etag: undefined,
      cacheControl: 'no-cache',
    });
  });
});

describe('lists, a page at a time', () => {
  const next = (link: string | string[] | undefined) => /^<([^>]+)>; rel="next"$/.exec(String(link ?? ''))?.[1];

  it('?limit pages in id order; each Link names the next page until the last, and the pages make the whole list', async () => {
    const whole = JSON.parse((await get('/api/users')).payload) as { id: number }[];
    const paged: { id: number }[] = [];
    let url: string | undefined = '/api/users?limit=3';
    let pages = 0;
    while (url && pages < 20) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      const items = JSON.parse(res.payload) as { id: number }[];
      expect(items.length).toBeLessThanOrEqual(3);
      paged.push(...items);
      url = next(res.headers.link);
      if (url) expect(url).toMatch(/^\/api\/users\?limit=3&after=[\w-]+\.[\w-]+$/);
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(whole.length / 3) + (whole.length % 3 === 0 ? 1 : 0));
    expect(paged).toEqual(whole);
    expect(paged.map((user) => user.id)).toEqual([...paged.map((user) => user.id)].sort((a, b) => a - b));
  });

  it('pages the posts of a thread the same way', async () => {
    const whole = JSON.parse((await get('/api/posts/in-thread/1')).payload) as unknown[];
    expect(whole.length).toBeGreaterThan(1);
    const first = await get('/api/posts/in-thread/1?limit=1');
    expect(JSON.parse(first.payload)).toEqual(whole.slice(0, 1));
    const second = await get(next(first.headers.link)!);
    expect(JSON.parse(second.payload)).toEqual(whole.slice(1, 2));
  });

  it.each([
    ['/api/users?limit=0', '"limit" must be an integer from 1 to 100'],
    ['/api/users?limit=101', '"limit" must be an integer from 1 to 100'],
    ['/api/users?limit=ten', '"limit" must be an integer from 1 to 100'],
    ['/api/users?after=garbage', '"after" must be a cursor from the Link header of this list'],
  ])('%s is a 400 naming the parameter', async (url, message) => {
    const res = await get(url);
    expect({ status: res.statusCode, message: JSON.parse(res.payload).message }).toEqual({ status: 400, message });
  });

  it("a cursor that was edited, or that belongs to another list, is a 400, not another list's page", async () => {
    const link = next((await get('/api/users?limit=1')).headers.link)!;
    const cursor = new URL(link, 'http://forum').searchParams.get('after')!;
    const [body, check] = cursor.split('.');
    const edited = `${Buffer.from(JSON.stringify(['/api/users', 0])).toString('base64url')}.${check}`;
    for (const url of [
      `/api/users?after=${edited}`,
      `/api/threads?after=${cursor}`,
      `/api/posts/in-thread/2?after=${cursor}`,
      `/api/users?after=${body}.AAAA`,
    ]) {
      const res = await get(url);
      expect({ url, status: res.statusCode, keys: JSON.parse(res.payload).validation?.keys }).toEqual({ url, status: 400, keys: ['after'] });
    }
  });
});
