/** The drag payload of thumbnails: a JSON array of image ids, under our own type. */
export const IMAGES_MIME = 'application/x-graft-images';

export function isImageDrag(e: DragEvent): boolean {
  return !!e.dataTransfer && Array.from(e.dataTransfer.types).includes(IMAGES_MIME);
}

export function draggedImageIds(e: DragEvent): number[] {
  try {
    const ids = JSON.parse(e.dataTransfer?.getData(IMAGES_MIME) || '[]');
    return Array.isArray(ids) ? ids.filter((id): id is number => Number.isInteger(id) && id >= 0) : [];
  } catch {
    return [];
  }
}
