import * as fc from "fast-check"

// For Stryker, which reruns the covering tests once per mutant:
// - @fast-check/vitest puts the seed in each test's name and Stryker matches
//   tests by name between runs, so the seed is fixed;
// - a failing property only has to fail, not shrink, to kill its mutant;
// - fewer runs keep `npm run mutation` within minutes (`npm test` keeps 100).
fc.configureGlobal({ seed: 20261126, endOnFailure: true, numRuns: 20 })
