import type { HandlerMap } from './handlers';

/** classes.*, labels.*. */
export const labelHandlers = {} as Pick<HandlerMap<'labels.undo'>, never>;
