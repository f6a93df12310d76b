/** The local load balancer's listener logic against ALB's documented semantics: path patterns, rule order, weights, stickiness, redirects. */
import {
  actionFor,
  chooseTargetGroup,
  listenerFromRouteTable,
  redirectLocation,
  STICKINESS_COOKIE,
  type ListenerAction,
  type ListenerModel,
} from '../../../local/alb/listener';
import { pathPatternRegExp } from '../../../lib/route-table';

const matches = (pattern: string, path: string) => pathPatternRegExp(pattern).test(path);

describe('path patterns, as ALB documents them', () => {
  it.each([
    ['/api/users', '/api/users', true],
    ['/api/users', '/api/users/', false],
    ['/api/users', '/API/users', false], // case-sensitive
    ['/api/users/*', '/api/users/', true], // * matches zero or more characters
    ['/api/users/*', '/api/users/1/extra', true], // slashes included
    ['/api/users/*', '/api/users', false],
    ['/api/users/*', '/api/usersx', false],
    ['/api/?sers', '/api/users', true], // ? matches exactly one character
    ['/api/?sers', '/api/sers', false],
    ['/api/?sers', '/api/xxsers', false],
    ['*.jpg', '/img/a.jpg', true],
    ['/a.b', '/aXb', false], // everything else is literal
    ['/a+b', '/a+b', true],
    ['/a+b', '/aab', false],
    ['/$1', '/$1', true],
  ])('%s against %s: %s', (pattern, path, expected) => {
    expect(matches(pattern, path)).toBe(expected);
  });
});

describe('rule evaluation', () => {
  const forward = (id: string): ListenerAction => ({ type: 'forward', targetGroups: [{ id, weight: 1 }] });
  const model: ListenerModel = {
    // Deliberately out of order: the lowest priority number wins.
    rules: [
      { priority: 20, pathPatterns: ['/api/*'], action: forward('broad') },
      { priority: 10, pathPatterns: ['/api/users', '/api/users/*'], action: forward('users') },
    ],
    defaultAction: forward('default'),
  };
  const target = (action: ListenerAction) => (action.type === 'forward' ? action.targetGroups[0].id : action.type);

  it('takes the first matching rule by priority, then the default', () => {
    expect(target(actionFor(model, '/api/users/1'))).toBe('users');
    expect(target(actionFor(model, '/api/threads'))).toBe('broad');
    expect(target(actionFor(model, '/'))).toBe('default');
  });

  it('a route table becomes the listener ListenerRouting creates: weighted forwards against the default, a JSON 404 without one', () => {
    const withDefault = listenerFromRouteTable({
      rules: [{ priority: 10, pathPatterns: ['/api/users'], service: 'users', percent: 10, stickinessSeconds: 60 }],
      defaultService: 'monolith',
    });
    expect(withDefault.rules[0].action).toEqual({
      type: 'forward',
      targetGroups: [
        { id: 'users', weight: 10 },
        { id: 'monolith', weight: 90 },
      ],
      stickinessSeconds: 60,
    });
    expect(withDefault.defaultAction).toEqual({ type: 'forward', targetGroups: [{ id: 'monolith', weight: 100 }] });
    const retired = listenerFromRouteTable({ rules: [{ priority: 10, pathPatterns: ['/api/users'], service: 'users' }] });
    expect(retired.defaultAction).toMatchObject({ type: 'fixed-response', statusCode: 404, contentType: 'application/json' });
  });
});

describe('weighted forwards', () => {
  const weighted: Extract<ListenerAction, { type: 'forward' }> = {
    type: 'forward',
    targetGroups: [
      { id: 'threads', weight: 10 },
      { id: 'monolith', weight: 90 },
    ],
  };

  it('sends exactly the weight share over a uniform sweep of draws', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i += 1) {
      const chosen = chooseTargetGroup(weighted, undefined, (total) => (i / 1000) * total)!.id;
      counts[chosen] = (counts[chosen] ?? 0) + 1;
    }
    expect(counts).toEqual({ threads: 100, monolith: 900 });
  });

  it('is distributed as the weights say with random draws (20 000 draws: 10 % ± 1)', () => {
    let threads = 0;
    for (let i = 0; i < 20_000; i += 1) if (chooseTargetGroup(weighted, undefined)!.id === 'threads') threads += 1;
    // Binomial(20000, 0.1): sd 42; ± 200 is more than 4.7 sd.
    expect(threads).toBeGreaterThan(1_800);
    expect(threads).toBeLessThan(2_200);
  });

  it('never picks a group of weight 0, and none when every weight is 0', () => {
    const zero = {
      type: 'forward' as const,
      targetGroups: [
        { id: 'a', weight: 0 },
        { id: 'b', weight: 100 },
      ],
    };
    for (let i = 0; i < 100; i += 1) expect(chooseTargetGroup(zero, undefined)!.id).toBe('b');
    expect(chooseTargetGroup({ type: 'forward', targetGroups: [{ id: 'a', weight: 0 }] }, undefined)).toBeUndefined();
  });

  it('with stickiness, sets a cookie for the chosen group and keeps a client that sends it back', () => {
    const sticky = { ...weighted, stickinessSeconds: 600 };
    const first = chooseTargetGroup(sticky, undefined, () => 5)!;
    expect(first.id).toBe('threads');
    expect(first.setCookie).toMatch(new RegExp(`^${STICKINESS_COOKIE}=[A-Za-z0-9_-]+; Max-Age=600; Path=/$`));
    const cookie = first.setCookie!.split(';')[0];
    for (let i = 0; i < 50; i += 1) expect(chooseTargetGroup(sticky, `other=1; ${cookie}`, () => 99)).toEqual({ id: 'threads' });
    // A cookie for a group no longer in the action (or at weight 0) is ignored.
    expect(
      chooseTargetGroup(
        {
          ...sticky,
          targetGroups: [
            { id: 'threads', weight: 0 },
            { id: 'monolith', weight: 100 },
          ],
        },
        cookie,
      )!.id,
    ).toBe('monolith');
  });
});

describe('redirects', () => {
  const request = { protocol: 'http', host: 'forum.example.com', port: '80', path: '/api/users', query: 'a=1' };

  it('keeps what the action does not set, fills #{...}, and drops the default port', () => {
    expect(redirectLocation({ type: 'redirect', statusCode: 301, protocol: 'HTTPS', port: '443' }, request)).toBe('https://forum.example.com/api/users?a=1');
    expect(redirectLocation({ type: 'redirect', statusCode: 302, path: '/v2/#{path}', query: '#{query}&b=2' }, request)).toBe(
      'http://forum.example.com/v2/api/users?a=1&b=2',
    );
    expect(redirectLocation({ type: 'redirect', statusCode: 301, host: 'other.example.com', port: '8443', protocol: 'https' }, request)).toBe(
      'https://other.example.com:8443/api/users?a=1',
    );
  });
});
