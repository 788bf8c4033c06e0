import path from 'node:path';
import { GraftError } from '../../../engine';
import type { Command } from '../command';

export const backbonesCommand: Command = {
  name: 'backbones',
  summary: 'List the ImageNet networks Graft can use, or add your own',
  usage: [
    'Usage: graft backbones [list] [--json]',
    '       graft backbones inspect <folder> [--json]',
    '       graft backbones add <folder> --id ID [--feature NAME] [--input-size N] [--range LO,HI] [--pooling avg|none]',
    '       graft backbones remove <ID>',
    '',
    'list     every backbone with where its weights are (models-dir, cache, download, unavailable)',
    'inspect  the layers (layers model) or nodes (graph model) of a model folder, to pick --feature',
    'add      adds a TF.js layers or graph model folder (or a SavedModel where tfjs-node loads);',
    '         --feature names the layer or node whose output becomes the codes (default: its output);',
    '         --range is the input range the network expects (default 0,1; MobileNet v1 uses -1,1).',
    'Needs no project.',
  ].join('\n'),
  options: {
    id: { type: 'string' },
    feature: { type: 'string' },
    'input-size': { type: 'string' },
    range: { type: 'string' },
    pooling: { type: 'string' },
    name: { type: 'string' },
  },
  async run(ctx) {
    const [sub = 'list', arg] = ctx.positionals;
    const engine = ctx.engineWithoutProject();
    if (sub === 'list') {
      const list = await engine.call('backbones.list', {});
      const text = list.map((b) => `${b.id.padEnd(42)} ${String(b.dim).padStart(5)}-d  ${b.inputSize}px  ${b.availability}${b.builtin ? '' : '  (yours)'}`).join('\n');
      return { json: { backbones: list }, text };
    }
    if (sub === 'inspect') {
      if (!arg) throw new GraftError('invalid_params', 'Name the model folder: graft backbones inspect <folder>.');
      const r = await engine.call('backbones.inspect', { folder: path.resolve(arg) });
      const onnxLine = r.onnx.ok ? 'ONNX Runtime: compiles (faster than TF.js)' : `ONNX Runtime: no, runs on TF.js (${r.onnx.reason})`;
      return { json: r, text: [`${r.format} model, input ${r.inputSize ?? '?'} px; candidate feature layers/nodes (last first):`, ...r.candidates.slice(0, 30).map((c) => `  ${c.name}`), onnxLine].join('\n') };
    }
    if (sub === 'add') {
      if (!arg) throw new GraftError('invalid_params', 'Name the model folder: graft backbones add <folder> --id ID.');
      const id = ctx.values.id as string | undefined;
      if (!id) throw new GraftError('invalid_params', 'Give the new backbone an id with --id (letters, digits, dots, dashes, underscores).');
      const feature = ctx.values.feature as string | undefined;
      const range = ctx.values.range ? String(ctx.values.range).split(',').map(Number) : undefined;
      if (range && (range.length !== 2 || range.some((x) => !Number.isFinite(x)) || range[0] >= range[1])) {
        throw new GraftError('invalid_params', '--range takes two numbers LO,HI with LO < HI, e.g. -1,1.');
      }
      const size = ctx.values['input-size'] ? Number(ctx.values['input-size']) : undefined;
      if (size !== undefined && !(Number.isInteger(size) && size >= 16 && size <= 1024)) throw new GraftError('invalid_params', '--input-size takes a whole number of pixels between 16 and 1024.');
      const pooling = ctx.values.pooling as 'avg' | 'none' | undefined;
      if (pooling && pooling !== 'avg' && pooling !== 'none') throw new GraftError('invalid_params', '--pooling is avg or none.');
      const info = await engine.call('backbones.add', {
        folder: path.resolve(arg),
        id,
        name: ctx.values.name as string | undefined,
        featureLayer: feature,
        featureNode: feature,
        inputSize: size,
        inputRange: range as [number, number] | undefined,
        pooling,
      });
      return { json: info, text: `Added ${info.id}: ${info.dim}-d codes from ${arg}.` };
    }
    if (sub === 'remove') {
      if (!arg) throw new GraftError('invalid_params', 'Name the backbone to remove: graft backbones remove <ID>.');
      const { removed } = await engine.call('backbones.remove', { id: arg });
      if (!removed) throw new GraftError('not_found', `"${arg}" is not one of your added backbones.`);
      return { json: { removed }, text: `Removed ${arg}.` };
    }
    throw new GraftError('invalid_params', `Unknown "graft backbones ${sub}": use list, inspect, add or remove.`);
  },
};
