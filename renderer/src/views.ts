import type { Component } from 'svelte';
import LayoutGrid from '@lucide/svelte/icons/layout-grid';
import Orbit from '@lucide/svelte/icons/orbit';
import BrainCircuit from '@lucide/svelte/icons/brain-circuit';
import ScanSearch from '@lucide/svelte/icons/scan-search';
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
  { name: 'train', label: 'Train', icon: BrainCircuit, description: 'Train a model and see how well it does' },
  { name: 'predict', label: 'Predict', icon: ScanSearch, description: 'Classify new photos with the current model' },
  { name: 'map', label: 'Map', icon: Orbit, description: 'See every image placed by its codes; lasso and relabel' },
];
