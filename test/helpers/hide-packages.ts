/**
 * Preloaded (`node --require`) by tests that need a machine where a package is missing:
 * GRAFT_TEST_HIDDEN_PACKAGES=onnxruntime-node,@tensorflow/tfjs-node makes every require of
 * those fail as an absent package does (MODULE_NOT_FOUND), in this process and its worker
 * threads, without touching the node_modules that other tests share.
 */
import Module from 'node:module';

const hidden = new Set((process.env.GRAFT_TEST_HIDDEN_PACKAGES ?? '').split(',').filter(Boolean));
const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  if (hidden.has(request)) {
    const err = new Error(`Cannot find module '${request}'`) as NodeJS.ErrnoException;
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
