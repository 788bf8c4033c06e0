import type { Migration } from './types';
import { initial } from './001-initial';

/** Every migration, in order. Append; never edit one that has shipped. */
export const migrations: readonly Migration[] = [initial];
