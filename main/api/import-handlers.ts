import type { HandlerMap } from './handlers';

/** project.status, import.start, images.*, jobs.cancel. */
export const importHandlers = {} as Pick<HandlerMap<'jobs.cancel'>, never>;
