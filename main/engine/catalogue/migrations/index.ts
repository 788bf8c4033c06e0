import type { Migration } from './types';
import { initial } from './001-initial';
import { libraryOrderIndex } from './002-library-order-index';

/** Every migration, in order. Append; never edit one that has shipped. */
export const migrations: readonly Migration[] = [initial, libraryOrderIndex];
