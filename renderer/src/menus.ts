import Eye from '@lucide/svelte/icons/eye';
import Plus from '@lucide/svelte/icons/plus';
import SquareDashed from '@lucide/svelte/icons/square-dashed';
import CircleOff from '@lucide/svelte/icons/circle-off';
import Pencil from '@lucide/svelte/icons/pencil';
import Merge from '@lucide/svelte/icons/merge';
import Trash2 from '@lucide/svelte/icons/trash-2';
import ArrowUp from '@lucide/svelte/icons/arrow-up';
import ArrowDown from '@lucide/svelte/icons/arrow-down';
import Filter from '@lucide/svelte/icons/filter';
import FolderSearch from '@lucide/svelte/icons/folder-search';
import type { ClassInfo } from 'shared/types';
import { modKey } from './lib/platform';
import { plural } from './lib/format';
import { classes } from './state/classes.svelte';
import { labelling } from './state/labelling.svelte';
import { library } from './state/library.svelte';
import { selection } from './state/selection.svelte';
import { ui, type MenuItem } from './state/ui.svelte';
import { backend, messageOf } from './state/backend.svelte';
import { toasts } from './state/toasts.svelte';

/** "Label as" items for these images: one per class, then unlabelled and a new class. */
export function labelItems(imageIds: readonly number[]): MenuItem[] {
  const items: MenuItem[] = [{ kind: 'heading', label: `Label ${plural(imageIds.length, 'image')} as` }];
  classes.list.forEach((c, i) => {
    items.push({
      label: c.name,
      swatch: c.color,
      shortcut: i < 9 ? String(i + 1) : undefined,
      run: () => void labelling.label(imageIds, c.id),
    });
  });
  items.push(
    { label: 'Unlabelled', icon: CircleOff, shortcut: '0', run: () => void labelling.label(imageIds, null) },
    { kind: 'separator' },
    { label: 'New class from selection…', icon: Plus, run: () => ui.openClassDialog({ kind: 'create', thenLabel: imageIds }) },
  );
  return items;
}

/** Right click on a thumbnail. */
export function thumbnailMenu(index: number): MenuItem[] {
  const ids = library.ids;
  const targets = selection.targets(ids);
  const items: MenuItem[] = [
    ...labelItems(targets),
    { kind: 'separator' },
    { label: 'Open preview', icon: Eye, shortcut: 'Space', run: () => ui.openPreview(index) },
    { label: 'Select all in view', icon: SquareDashed, shortcut: `${modKey}+A`, run: () => selection.selectAll(ids) },
  ];
  // Only the desktop app can open the system file manager.
  const desktop = backend.desktop;
  const info = library.info(ids[index]);
  if (desktop && info && !info.missing) {
    items.push({
      label: 'Show in folder',
      icon: FolderSearch,
      run: () => desktop.showInFolder(info.path).catch((err) => toasts.error(`Could not show the file: ${messageOf(err)}`)),
    });
  }
  return items;
}

/** Right click or ⋯ on a class in the sidebar. */
export function classMenu(c: ClassInfo): MenuItem[] {
  const index = classes.list.findIndex((x) => x.id === c.id);
  const others = classes.list.length > 1;
  return [
    { label: `Show ${c.name}`, icon: Filter, run: () => library.setCollection({ kind: 'class', classId: c.id }) },
    { kind: 'separator' },
    { label: 'Rename or recolour…', icon: Pencil, run: () => ui.openClassDialog({ kind: 'rename', classId: c.id }) },
    {
      label: 'Merge into…',
      icon: Merge,
      disabled: !others,
      run: () => ui.openClassDialog({ kind: 'merge', classId: c.id }),
    },
    { label: 'Move up', icon: ArrowUp, disabled: index <= 0, run: () => void classes.move(c.id, -1) },
    { label: 'Move down', icon: ArrowDown, disabled: index >= classes.list.length - 1, run: () => void classes.move(c.id, 1) },
    { kind: 'separator' },
    { label: 'Delete class…', icon: Trash2, danger: true, run: () => ui.openClassDialog({ kind: 'delete', classId: c.id }) },
  ];
}
