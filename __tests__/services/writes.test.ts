/**
 * Nothing written is lost, with real processes over loopback: concurrent
 * creates get distinct ids and are all read back; retries with one
 * Idempotency-Key create one item however they race; a SIGTERM during a
 * bounded write load loses nothing that was answered 201. Every load here is
 * bounded in count and time.
 */
import { freePort, httpGet, httpPost, ServiceProcess } from '../support/processes';
import { testTables } from '../support/data';

jest.setTimeout(60_000);

interface Post {
  readonly id: number;
  readonly thread: number;
  readonly text: string;
  readonly user: number;
}

let data: Record<string, string>;
let port: number;
let monolith: ServiceProcess;
const say = (message: string) => process.stdout.write(`  [writes] ${message}\n`);

beforeAll(async () => {
  data = await testTables('writes');
  port = await freePort();
  // Two workers: the creates race in two processes, as on a task with 2 vCPUs.
  monolith = new ServiceProcess('monolith', { ...data, PORT: String(port), WORKERS: '2', LOG_REQUESTS: '0' });
  await monolith.waitForLogs((line) => line.msg === 'listening', 2);
});
afterAll(async () => {
  monolith.kill('SIGTERM');
  await monolith.exited;
});

it("50 concurrent POST /api/posts: 50 distinct ids, each readable, all in the thread's list", async () => {
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => httpPost(port, '/api/posts', { thread: 3, text: `concurrent ${i}`, user: 1 })));
  expect(results.map((result) => result.status)).toEqual(Array(50).fill(201));
  const posts = results.map((result) => JSON.parse(result.body) as Post);
  const ids = new Set(posts.map((post) => post.id));
  expect(ids.size).toBe(50);
  for (const post of posts) expect(JSON.parse((await httpGet(port, `/api/posts/${post.id}`)).body)).toEqual(post);
  const listed = JSON.parse((await httpGet(port, '/api/posts/in-thread/3')).body) as { text: string }[];
  const texts = new Set(listed.map((post) => post.text));
  expect(posts.filter((post) => !texts.has(post.text))).toEqual([]);
  say(`50 concurrent creates over 2 workers: ids ${Math.min(...ids)}..${Math.max(...ids)}, all distinct and read back`);
});

it('10 concurrent retries with one Idempotency-Key create one item, and all answer it', async () => {
  const body = { thread: 4, text: 'Sent ten times at once.', user: 2 };
  const results = await Promise.all(Array.from({ length: 10 }, () => httpPost(port, '/api/posts', body, { 'idempotency-key': 'race-1' })));
  expect(results.map((result) => result.status)).toEqual(Array(10).fill(201));
  expect(new Set(results.map((result) => result.body)).size).toBe(1);
  const listed = JSON.parse((await httpGet(port, '/api/posts/in-thread/4')).body) as { text: string }[];
  expect(listed.filter((post) => post.text === body.text)).toHaveLength(1);
  say(
    `10 racing retries of one key: one item (${JSON.parse(results[0].body).id}), ${results.filter((result) => result.headers['idempotent-replayed'] === 'true').length} answered as replays`,
  );
});

it('SIGTERM during a bounded write load: every 201 is readable afterwards; the rest got an error, not a silent loss', async () => {
  const postsPort = await freePort();
  const posts = new ServiceProcess('posts', { ...data, PORT: String(postsPort), LOG_REQUESTS: '0', SHUTDOWN_TIMEOUT_MS: '5000' });
  await posts.waitForLogs((line) => line.msg === 'listening');
  const created: Post[] = [];
  const failures: string[] = [];
  let sent = 0;
  const deadline = Date.now() + 15_000;
  // 4 writers, at most 400 requests and 15 s; the stop comes after 100.
  const writer = async (writerId: number) => {
    while (sent < 400 && Date.now() < deadline) {
      const n = (sent += 1);
      if (n === 100) posts.kill('SIGTERM');
      try {
        const result = await httpPost(postsPort, '/api/posts', { thread: 2, text: `under load ${writerId}-${n}`, user: 3 });
        if (result.status === 201) created.push(JSON.parse(result.body) as Post);
        else failures.push(`status ${result.status}`);
      } catch (error) {
        failures.push((error as NodeJS.ErrnoException).code ?? String(error));
      }
    }
  };
  await Promise.all([1, 2, 3, 4].map(writer));
  expect(await posts.exited).toEqual({ code: 0, signal: null });
  expect(created.length).toBeGreaterThanOrEqual(99);
  // Read back through the monolith, on the same tables.
  for (const post of created) expect({ id: post.id, status: (await httpGet(port, `/api/posts/${post.id}`)).status }).toEqual({ id: post.id, status: 200 });
  expect(failures.every((failure) => failure === 'ECONNREFUSED' || failure === 'ECONNRESET')).toBe(true);
  say(
    `${sent} writes, SIGTERM after 100: ${created.length} answered 201 and all read back; ${failures.length} refused once the service stopped listening (${[...new Set(failures)].join(', ')})`,
  );
});
