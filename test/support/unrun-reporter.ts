import Mocha from 'mocha';

/** Every test below `suite` that has no result: not passed, failed or pending. */
function unrunTests(suite: Mocha.Suite): string[] {
  const out: string[] = [];
  const walk = (s: Mocha.Suite): void => {
    for (const t of s.tests) if (t.state === undefined && !t.isPending()) out.push(t.fullTitle());
    for (const child of s.suites) walk(child);
  };
  walk(suite);
  return out;
}

/**
 * mocha's spec reporter, plus the tests that never ran. When a before/after hook fails,
 * mocha skips the rest of that suite and says nothing about those tests; this lists each
 * one by name so a failing hook cannot hide them, and fails the run.
 */
class SpecWithUnrun extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const unrun = unrunTests(runner.suite);
      if (unrun.length === 0) return;
      console.log(`\n  ${unrun.length} test(s) did not run (a hook failed before them):`);
      for (const t of unrun) console.log(`    - ${t}`);
      process.exitCode = 1;
    });
  }
}

export = SpecWithUnrun;
