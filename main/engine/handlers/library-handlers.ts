import type { HandlerMap } from '../dispatch';
import type { libraryMethods } from '../../../shared/api/library';
import { importHandlers } from './import-handlers';
import { labelHandlers } from './label-handlers';

export const libraryHandlers: HandlerMap<keyof typeof libraryMethods> = {
  ...importHandlers,
  ...labelHandlers,
};
