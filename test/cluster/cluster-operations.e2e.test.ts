/**
 * `make test`'s share of acceptance 4 (issue 24): the operations soak
 * (`cluster-operations.soak.ts`, `make cluster-operations`: 1,000 operations, 5 kills) at a
 * size CI affords: 300 operations with 3 members killed in between, the same assertions.
 */
process.env.OPERATIONS ??= '300';
process.env.OPERATION_KILLS ??= '3';
await import('./cluster-operations.soak.js');
