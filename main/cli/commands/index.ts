import type { Command } from '../command';
import { classCommand } from './class';
import { backbonesCommand } from './backbones';
import { classesCommand } from './classes';
import { codesCommand } from './codes';
import { doctorCommand } from './doctor';
import { labelCommand } from './label';
import { redoCommand } from './redo';
import { undoCommand } from './undo';

/** Every `graft` command, in the order `graft --help` lists them. */
export const commands: Command[] = [classesCommand, classCommand, labelCommand, undoCommand, redoCommand, codesCommand, backbonesCommand, doctorCommand];
