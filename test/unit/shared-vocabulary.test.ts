/**
 * The names both sides of the boundary spell from shared/: image routes, which files are
 * images, what a class may be called.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { api } from '../../shared/api';
import { CLASS_NAME_MAX_LENGTH, classNameProblem } from '../../shared/class-names';
import { extensionOf, IMAGE_EXTENSIONS, isImageFileName } from '../../shared/image-files';
import { IMAGE_KINDS, imagePath, parseImageRoute } from '../../shared/wire';
import { folderClassOf } from '../../main/engine/importer/formats';

describe('image routes', () => {
  it('parses back every path it builds', () => {
    for (const kind of IMAGE_KINDS) {
      assert.deepEqual(parseImageRoute(imagePath(kind, 42)), { kind, id: 42 });
      assert.deepEqual(parseImageRoute(`${imagePath(kind, 7)}/`), { kind, id: 7 });
    }
    assert.equal(imagePath('thumb', 12.9), '/thumb/12');
  });

  it('says why an id is malformed, and ignores other paths', () => {
    assert.match((parseImageRoute('/image/abc') as { error: string }).error, /whole numbers \(got "abc"\)/);
    assert.equal(parseImageRoute('/api/call'), null);
    assert.equal(parseImageRoute('/thumbs/1'), null);
    assert.equal(parseImageRoute('/thumb/1/2'), null);
  });
});

describe('image file names', () => {
  it('reads extensions as path.extname does', () => {
    for (const name of ['a.jpg', 'B.JPEG', '.jpg', '..jpg', 'x/y.png', 'a.', 'noext', 'a.b.webp', '.hidden.png', 'dir.d/file']) {
      assert.equal(extensionOf(name), path.posix.extname(name).toLowerCase(), name);
    }
    assert.equal(extensionOf('C:\\photos\\rose.TIF'), '.tif');
  });

  it('takes every listed extension in any case, and nothing else', () => {
    for (const ext of Object.keys(IMAGE_EXTENSIONS)) {
      assert.ok(isImageFileName(`photo${ext}`), ext);
      assert.ok(isImageFileName(`photo${ext.toUpperCase()}`), ext.toUpperCase());
    }
    for (const name of ['LICENSE.txt', 'photo.jpg.xmp', 'movie.mov', 'jpg', '.jpg', 'vector.svg']) assert.ok(!isImageFileName(name), name);
  });
});

describe('class names', () => {
  it('the API, the engine and the importer apply one rule', () => {
    const create = api['classes.create'].params;
    const root = path.join(path.sep, 'photos');
    const cases: Array<[string, boolean]> = [
      ['roses', true],
      ['  tulips ', true],
      ['', false],
      ['   ', false],
      ['x'.repeat(CLASS_NAME_MAX_LENGTH), true],
      ['x'.repeat(CLASS_NAME_MAX_LENGTH + 1), false],
      ['bad\u0007name', false],
    ];
    for (const [name, ok] of cases) {
      assert.equal(classNameProblem(name) === null, ok, JSON.stringify(name));
      const parsed = create.safeParse({ name });
      assert.equal(parsed.success, ok, JSON.stringify(name));
      if (!parsed.success) assert.equal(parsed.error.issues[0].message, classNameProblem(name));
      if (name.trim()) assert.equal(folderClassOf(root, path.join(root, name, 'a.jpg')) !== null, ok, JSON.stringify(name));
    }
    assert.equal(create.parse({ name: '  tulips ' }).name, 'tulips');
  });
});
