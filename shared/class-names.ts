/**
 * What a class may be called, and the colours classes get: the API's checks, the
 * engine's, the importer's folder names and the studio's class dialog use these.
 */

export const CLASS_NAME_MAX_LENGTH = 100;

/** Why a class name (trimmed) is not allowed, in words for people, or null when it is fine. */
export function classNameProblem(name: string): string | null {
  const clean = name.trim();
  if (!clean) return 'A class needs a name.';
  if (clean.length > CLASS_NAME_MAX_LENGTH) return `Class names are at most ${CLASS_NAME_MAX_LENGTH} characters.`;
  if (/[\u0000-\u001f]/.test(clean)) return 'Class names cannot contain control characters.';
  return null;
}

/**
 * A palette of 20 colours that stay distinguishable next to each other and on light and
 * dark backgrounds (Sasha Trubetskoy's list): class N gets colour N mod 20, and the class
 * dialog offers them in this order.
 */
export const CLASS_COLORS: readonly string[] = [
  '#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4',
  '#469990', '#dcbeff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#808000', '#ffd8b1', '#000075', '#a9a9a9',
];
