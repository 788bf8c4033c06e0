/** Reading the catalogue behind the UI's back, to check what the UI claims it did. */
import type { Studio } from './studio';

export interface LiveClass {
  id: number;
  name: string;
  count: number;
}

/** Live (not deleted) classes in display order, with how many images carry each. */
export function liveClasses(studio: Studio): LiveClass[] {
  return studio.readCatalogue((db) =>
    db
      .prepare(
        `SELECT c.id, c.name, (SELECT COUNT(*) FROM images i WHERE i.class_id = c.id) AS count
           FROM classes c WHERE c.deleted_at IS NULL ORDER BY c.position, c.id`,
      )
      .all() as LiveClass[],
  );
}

/** The class id an image is labelled with, or null. */
export function labelOf(studio: Studio, imageId: number): number | null {
  return studio.readCatalogue(
    (db) => (db.prepare('SELECT class_id FROM images WHERE id = ?').pluck().get(imageId) as number | null | undefined) ?? null,
  );
}

/** Polls until `check` holds (UI actions reach the catalogue asynchronously). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
