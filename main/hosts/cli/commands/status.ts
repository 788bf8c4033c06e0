import type { Command } from '../command';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show what the project holds: images, classes, conflicts, missing files',
  usage: [
    'Usage: graft status --project FILE [--json]',
    '',
    'Counts images (identical files count once) per class, unlabelled images, unresolved',
    'label conflicts and images whose files are all missing from disk.',
    'A project whose file or folder is read-only is shown all the same; changes to it are refused.',
    '--json prints {"images":N,"classes":{name:N},"unlabelled":N,"conflicts":N,"missing":N,"path":FILE},',
    'and "readOnly": why the project cannot be changed, when it cannot.',
  ].join('\n'),
  async run(ctx) {
    const engine = ctx.engine({ mustExist: true });
    const s = await engine.call('project.status', {});
    const json = { images: s.images, classes: s.classes, unlabelled: s.unlabelled, conflicts: s.conflicts, missing: s.missing, path: s.path, ...(s.readOnly ? { readOnly: s.readOnly } : {}) };
    const width = Math.max(10, ...Object.keys(s.classes).map((c) => c.length));
    const lines = [`${s.path}: ${s.images.toLocaleString('en-US')} image${s.images === 1 ? '' : 's'}`];
    for (const [name, count] of Object.entries(s.classes)) lines.push(`  ${name.padEnd(width)} ${String(count).padStart(7)}`);
    lines.push(`  ${'unlabelled'.padEnd(width)} ${String(s.unlabelled).padStart(7)}`);
    if (s.conflicts) lines.push(`${s.conflicts} label conflict${s.conflicts === 1 ? '' : 's'} to settle (the same image under different classes)`);
    if (s.readOnly) lines.push(`Read-only: ${s.readOnly}; Graft can show this project but not change it.`);
    if (s.missing) lines.push(`${s.missing} image${s.missing === 1 ? '' : 's'} missing from disk (labels kept; restore the files or re-import)`);
    return { json, text: lines.join('\n') };
  },
};
