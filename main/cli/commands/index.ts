import type { Command } from '../command';

/** Every `graft` command, in the order `graft --help` lists them. */
export const commands: Command[] = [];
