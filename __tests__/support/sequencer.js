/**
 * The order jest hands suites to its two workers. The longest suites start
 * first, each on its own worker: the refactor step by step and this README's
 * blocks; the tour comes next, so that it starts when the refactor is done
 * (they take turns: support/turns.ts) instead of holding a worker while it
 * waits; the rest follow in jest's own order (slowest first, from its cache).
 */
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = ['e2e/emulator.test.ts', 'docs/readme.test.ts', 'e2e/tour.test.ts'];
const rank = (test) => {
  const index = FIRST.findIndex((suffix) => test.path.endsWith(suffix));
  return index === -1 ? FIRST.length : index;
};

class JourneysFirst extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = JourneysFirst;
