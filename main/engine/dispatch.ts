import type { Api, MethodName, ParsedParams, Result } from '../../shared/api';
import { api, isMethodName } from '../../shared/api';
import type { Envelope } from '../../shared/contract';
import { GraftError, toErrorPayload } from './errors';
import type { Engine } from './engine';
import { libraryHandlers } from './handlers/library-handlers';
import { codesHandlers } from './handlers/codes-handlers';
import { trainingHandlers } from './handlers/training-handlers';
import { exportHandlers } from './handlers/export-handlers';
import { insightsHandlers } from './handlers/insights-handlers';
import { PROJECT_ACCESS } from './project-access';

export type Handler<M extends MethodName> = (engine: Engine, params: ParsedParams<M>) => Promise<Result<M>> | Result<M>;
export type HandlerMap<K extends MethodName> = { [M in K]: Handler<M> };

/** Every method's handler. The type makes a missing handler a compile error. */
const handlers: HandlerMap<MethodName> = {
  ...libraryHandlers,
  ...codesHandlers,
  ...trainingHandlers,
  ...exportHandlers,
  ...insightsHandlers,
};

/**
 * The single entry point of every transport: validates the method name and the
 * params against the contract, runs the handler, and wraps the outcome.
 */
export async function dispatch(engine: Engine, method: unknown, params: unknown): Promise<Envelope<unknown>> {
  if (!isMethodName(method)) {
    return { ok: false, error: { code: 'unknown_method', message: `Unknown method: ${String(method).slice(0, 100)}` } };
  }
  const spec = api[method] as Api[MethodName];
  const parsed = spec.params.safeParse(params ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length ? ` (${first.path.join('.')})` : '';
    return { ok: false, error: { code: 'invalid_params', message: `Invalid arguments for ${method}${where}: ${first?.message ?? 'malformed'}` } };
  }
  try {
    if (PROJECT_ACCESS[method] === 'changes') engine.refuseChangesIfReadOnly();
    const handler = handlers[method] as (e: Engine, p: unknown) => unknown;
    const value = await handler(engine, parsed.data);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toErrorPayload(err) };
  }
}

/** For in-process callers (CLI, tests): throws GraftError instead of returning an envelope. */
export async function call<M extends MethodName>(engine: Engine, method: M, params: unknown): Promise<Result<M>> {
  const env = await dispatch(engine, method, params);
  if (!env.ok) throw new GraftError(env.error.code, env.error.message);
  return env.value as Result<M>;
}
