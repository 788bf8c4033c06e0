import type { Attachment } from 'svelte/attachments';
import { labelling } from '../state/labelling.svelte';
import { draggedImageIds, isImageDrag } from './drag';

/**
 * Makes an element a drop target for dragged thumbnails: dropping labels them with
 * `classId` (null = unlabelled). While thumbnails hover it, it carries `.drop-target`.
 */
export function labelDrop(classId: number | null): Attachment<HTMLElement> {
  return (el) => {
    // dragenter/leave fire for every child crossed; count them to know when we left.
    let depth = 0;
    const clear = () => {
      depth = 0;
      el.classList.remove('drop-target');
    };
    const enter = (e: DragEvent) => {
      if (!isImageDrag(e)) return;
      depth++;
      el.classList.add('drop-target');
    };
    const over = (e: DragEvent) => {
      if (!isImageDrag(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (e: DragEvent) => {
      if (!isImageDrag(e)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) el.classList.remove('drop-target');
    };
    const drop = (e: DragEvent) => {
      if (!isImageDrag(e)) return;
      e.preventDefault();
      clear();
      const ids = draggedImageIds(e);
      if (ids.length) void labelling.label(ids, classId);
    };
    el.addEventListener('dragenter', enter);
    el.addEventListener('dragover', over);
    el.addEventListener('dragleave', leave);
    el.addEventListener('drop', drop);
    window.addEventListener('dragend', clear);
    return () => {
      el.removeEventListener('dragenter', enter);
      el.removeEventListener('dragover', over);
      el.removeEventListener('dragleave', leave);
      el.removeEventListener('drop', drop);
      window.removeEventListener('dragend', clear);
    };
  };
}
