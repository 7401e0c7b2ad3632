import * as fc from "fast-check"

// Stryker reruns the covering tests for every mutant: a failing property
// only needs to fail, not to shrink, to kill its mutant.
fc.configureGlobal({ endOnFailure: true })
