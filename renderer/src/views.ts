import type { Component } from 'svelte';
import LayoutGrid from '@lucide/svelte/icons/layout-grid';
import type { ViewName } from './state/ui.svelte';

export interface ViewEntry {
  name: ViewName;
  label: string;
  icon: Component;
  /** Shown as the tab's tooltip. */
  description: string;
}

/** The studio's main views, in tab order. Training, prediction and export are added here. */
export const views: ViewEntry[] = [
  { name: 'library', label: 'Library', icon: LayoutGrid, description: 'Browse, sort and label your images' },
];
