/**
 * One home for every default (shared/defaults.ts): the CLI's help states the shared
 * values, the API schemas fill in the same values, the engine's run config starts from
 * them, and the switch for a default can be turned both ways.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { api } from '../../shared/api';
import { trainOptions } from '../../shared/api/training';
import { DEFAULTS, valuesOf } from '../../shared/defaults';
import { FINE_TUNE_DEFAULTS, HEAD_DEFAULTS } from '../../main/engine/training/defaults';
import { resolveConfig } from '../../main/engine/training/train';
import { describe as describeSetting, optionLines, switchValue } from '../../main/hosts/cli/setting-options';
import { graftBin } from '../helpers/paths';

/** `graft <command> --help` as a person sees it. */
function help(command: string): string {
  return execFileSync(process.execPath, [graftBin, command, '--help'], { encoding: 'utf8' });
}

/** The help's option entries by flag, each entry's wrapped lines joined into one text. */
function optionsOf(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string | null = null;
  for (const line of text.split('\n')) {
    const start = /^ {2}(--[a-z-]+(?: [A-Z][^ ]*)?(?:, --[a-z-]+)?) +(.*)$/.exec(line);
    if (start) {
      current = start[1];
      entries.set(current, start[2]);
    } else if (current && /^ {4,}\S/.test(line)) {
      entries.set(current, `${entries.get(current)} ${line.trim()}`);
    } else current = null;
  }
  return entries;
}

const onOff = (b: boolean) => (b ? 'on' : 'off');

describe('graft train --help', () => {
  const text = help('train');
  const options = optionsOf(text);
  const { training, head, fineTune } = DEFAULTS;

  it('states every default the engine uses, in the shared values', () => {
    const expected: Array<[string, string]> = [
      ['--epochs N', `default ${head.maxEpochs.value}`],
      ['--learning-rate R', `default ${head.learningRate.value}`],
      ['--seed S', `default ${training.seed.value}`],
      ['--fine-tune', `default ${onOff(training.fineTune.value)}`],
      ['--fine-tune-epochs N', `default ${fineTune.epochs.value}`],
      ['--fine-tune-learning-rate R', `default ${fineTune.learningRate.value}`],
      ['--flip, --no-flip', `default ${onOff(training.flip.value)}`],
      ['--hidden N', `default ${head.hidden.value}`],
      ['--members N', `default ${head.members.value}`],
      ['--vote, --no-vote', `default ${onOff(training.vote.value)}`],
    ];
    for (const [flag, stated] of expected) {
      assert.ok(options.has(flag), `the help lists ${flag}:\n${text}`);
      assert.ok(options.get(flag)!.includes(stated), `${flag} says "${stated}": ${options.get(flag)}`);
      assert.equal(options.get(flag)!.match(/default /g)?.length, 1, `${flag} states one default`);
    }
    assert.match(text, new RegExp(`Default backbones: ${training.backbones.value.join(',').replace(/\./g, '\\.')} `));
    const f = training.fractions.value;
    assert.ok(text.includes(`(${[f.train, f.validation, f.test].map((x) => Math.round(x * 100)).join('/')}, sticky`), 'the split fractions');
  });

  it('offers the switch that changes the default in its usage line', () => {
    const usage = text.split('\n').slice(0, 2).join(' ');
    assert.ok(usage.includes(training.flip.value ? '[--no-flip]' : '[--flip]'), usage);
    assert.ok(usage.includes(training.vote.value ? '[--no-vote]' : '[--vote]'), usage);
  });

  it('generates each line from the setting, so a new default changes the text', () => {
    const setting = { value: 7, description: 'most widgets (fewer is faster)' };
    assert.equal(describeSetting(setting), 'most widgets (fewer is faster; default 7)');
    assert.equal(describeSetting({ value: true, description: 'a switch' }, 'implies --x'), 'a switch (default on; implies --x)');
    const lines = optionLines([['--widgets N', describeSetting(setting)], ['--a-much-longer-flag-than-the-column X', 'text']]);
    assert.equal(lines[0], `  ${'--widgets N'.padEnd(20)}  most widgets (fewer is faster; default 7)`);
    assert.ok(lines.every((l) => l.length <= 100));
  });

  it('help of the other commands states their shared defaults', () => {
    assert.ok(optionsOf(help('predict')).get('--top K')!.includes(`default ${DEFAULTS.predict.top.value}`));
    const mistakes = help('mistakes');
    assert.ok(optionsOf(mistakes).get('--limit N')!.includes(`default ${DEFAULTS.mistakes.limit.value}`));
    assert.ok(mistakes.includes(`${DEFAULTS.mistakes.folds.value}-fold cross-validation`));
    const exportHelp = help('export');
    assert.ok(exportHelp.includes(`(default: ${DEFAULTS.export.formats.value.join(',')})`));
    assert.ok(optionsOf(exportHelp).get('--split S')!.includes(`default ${DEFAULTS.export.split.value}`));
    assert.ok(optionsOf(help('codes')).get('--backbone ID')!.includes(`default ${DEFAULTS.codes.backbone.value}`));
  });
});

describe('switches on the command line', () => {
  it('--flip turns it on, --no-flip states the default, neither leaves it to the engine', () => {
    assert.equal(switchValue({ flip: true }, 'flip'), true);
    assert.equal(switchValue({ 'no-flip': true }, 'flip'), false);
    assert.equal(switchValue({}, 'flip'), undefined);
    assert.throws(() => switchValue({ flip: true, 'no-flip': true }, 'flip'), /--flip and --no-flip contradict/);
  });

  it('refuses both at once before opening any project', () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, [graftBin, 'train', '--flip', '--no-flip', '--project', '/nonexistent/x.graft'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      stderr = String((err as { stderr: string }).stderr);
    }
    assert.match(stderr, /--flip and --no-flip contradict each other/);
  });

  it('a run asked for --flip trains on both views', () => {
    assert.deepEqual(resolveConfig({ flip: true }).views, ['center', 'flip']);
    assert.deepEqual(resolveConfig({ flip: false }).views, ['center']);
    assert.deepEqual(resolveConfig({}).views, DEFAULTS.training.flip.value ? ['center', 'flip'] : ['center']);
  });
});

describe('the engine and the API schemas fill in the shared defaults', () => {
  it('a run with no options is the shared defaults', () => {
    const config = resolveConfig({});
    assert.deepEqual(config.backbones, DEFAULTS.training.backbones.value);
    assert.equal(config.seed, DEFAULTS.training.seed.value);
    assert.deepEqual(config.fractions, DEFAULTS.training.fractions.value);
    assert.equal(config.reshuffle, DEFAULTS.training.reshuffle.value);
    assert.equal(config.fineTune, null);
    const { voteShares, ...head } = config.head;
    assert.deepEqual(head, valuesOf(DEFAULTS.head));
    assert.equal(voteShares?.length, DEFAULTS.training.backbones.value.length);
    assert.deepEqual(HEAD_DEFAULTS, valuesOf(DEFAULTS.head));
    assert.deepEqual(resolveConfig({ fineTune: true }).fineTune, FINE_TUNE_DEFAULTS);
    assert.deepEqual(FINE_TUNE_DEFAULTS, valuesOf(DEFAULTS.fineTune));
  });

  it('parameters left out of a call take the shared values', () => {
    assert.equal(api['predict.start'].params.parse({ paths: ['a.jpg'] }).top, DEFAULTS.predict.topInStudio.value);
    assert.equal(api['mistakes.start'].params.parse({}).limit, DEFAULTS.mistakes.limit.value);
    assert.equal(api['insights.lists'].params.parse({}).lowConfidence, DEFAULTS.insights.lowConfidence.value);
    assert.deepEqual(api['codes.start'].params.parse({}).backbones, [DEFAULTS.codes.backbone.value]);
    assert.equal(api['export.start'].params.parse({ dir: '/tmp/x' }).split, DEFAULTS.export.split.value);
  });

  it('the API accepts exactly the range each setting states', () => {
    const epochs = DEFAULTS.head.maxEpochs;
    assert.equal(trainOptions.safeParse({ epochs: epochs.max }).success, true);
    assert.equal(trainOptions.safeParse({ epochs: epochs.max! + 1 }).success, false);
    assert.equal(trainOptions.safeParse({ epochs: epochs.min! - 1 }).success, false);
    assert.equal(trainOptions.safeParse({ fineTuneLearningRate: DEFAULTS.fineTune.learningRate.max! * 2 }).success, false);
    assert.equal(trainOptions.safeParse({ members: DEFAULTS.head.members.max! + 1 }).success, false);
  });

  it('nobody can change a default for everyone', () => {
    const l2 = DEFAULTS.head.l2.value;
    assert.throws(() => {
      (DEFAULTS.head.l2 as { value: number }).value = 1;
    }, TypeError);
    assert.throws(() => (DEFAULTS.training.backbones.value as string[]).push('x'), TypeError);
    assert.equal(DEFAULTS.head.l2.value, l2);
  });
});
