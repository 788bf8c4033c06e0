import type { Command } from '../command';
import { classCommand } from './class';
import { backbonesCommand } from './backbones';
import { classesCommand } from './classes';
import { codesCommand } from './codes';
import { doctorCommand } from './doctor';
import { exportCommand } from './export';
import { importCommand } from './import';
import { labelCommand } from './label';
import { mistakesCommand } from './mistakes';
import { predictCommand } from './predict';
import { runsCommand } from './runs';
import { trainCommand } from './train';
import { redoCommand } from './redo';
import { serveCommand } from './serve';
import { statusCommand } from './status';
import { undoCommand } from './undo';

/** Every `graft` command, in the order `graft --help` lists them. */
export const commands: Command[] = [importCommand, statusCommand, classesCommand, classCommand, labelCommand, undoCommand, redoCommand, serveCommand, codesCommand, trainCommand, runsCommand, mistakesCommand, predictCommand, exportCommand, backbonesCommand, doctorCommand];
