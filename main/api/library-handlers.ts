import type { HandlerMap } from './handlers';
import type { libraryMethods } from '../../shared/api/library';

export const libraryHandlers = {} as HandlerMap<keyof typeof libraryMethods>;
