/**
 * The order jest hands suites to its workers. Two whole journeys run at once
 * (support/turns.ts): the refactor step by step and the tour start first, on
 * two workers, the lighter suites run on the third, and the README's blocks
 * come last, when a journey's turn is free or about to be, instead of holding
 * a worker while it waits; the rest keep jest's own order.
 */
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = ['e2e/emulator.test.ts', 'e2e/tour.test.ts'];
const LAST = ['docs/readme.test.ts'];
const rank = (test) => {
  const first = FIRST.findIndex((suffix) => test.path.endsWith(suffix));
  if (first !== -1) return first;
  const last = LAST.findIndex((suffix) => test.path.endsWith(suffix));
  return last === -1 ? FIRST.length : FIRST.length + 1 + last;
};

class JourneysInTurn extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = JourneysInTurn;
