/**
 * A project Graft may not write (issue 17, item 15): its file and folder chmod'ed
 * read-only, then inspected through the real CLI in a child process. Status, classes,
 * runs, predict and an export to another folder answer; changes are refused up front,
 * saying why; the file's bytes stay as they were.
 *
 * Root writes through any mode bits, so as root the CLI runs as the unprivileged user
 * `nobody` (a child process's uid), which chmod does bind; as anyone else it runs as is.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toErrorPayload } from '../../main/engine/errors';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { importFolder } from '../../main/engine/importer';
import { openProject } from '../../main/engine/catalogue/open';
import { resultOf, runToEnd } from '../helpers/jobs';
import { launchBrowser, uiTestsSkipped } from '../e2e/browser';
import { screenshotPath } from '../e2e/studio';
import { flowersMiniDir, graftBin, modelsDir, tempDir, testdataDir } from '../helpers/paths';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const tmp = tempDir('graft-read-only-');
const folder = path.join(tmp.dir, 'locked');
const project = path.join(folder, 'flowers.graft');
/** The same project, read-only in a folder its owner (the CLI's user) can write. */
const owned = path.join(tmp.dir, 'owned', 'flowers.graft');
/** A home the CLI may write (its caches), and where the export goes. */
const home = path.join(tmp.dir, 'home');
let sha: string;

const digest = () => crypto.createHash('sha256').update(fs.readFileSync(project)).digest('hex');

function graft(args: string[], file = project) {
  return spawnSync(process.execPath, [graftBin, ...args, '--project', file], {
    encoding: 'utf8',
    cwd: home,
    env: { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), GRAFT_MODELS_DIR: modelsDir },
    timeout: 600_000,
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
}

function json(args: string[]): any {
  const r = graft([...args, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  const engine = new Engine(project, { modelsDir });
  try {
    await importFolder(engine.db, flowersMiniDir);
    resultOf(await runToEnd(engine, 'train', () => call(engine, 'train.start', { backbones: ['mobilenet_v1_0.25_224'], epochs: 10 })));
  } finally {
    await engine.close();
  }
  // The child (nobody, when we are root) must reach the folders it reads and write its home.
  fs.chmodSync(tmp.dir, 0o755);
  fs.mkdirSync(home, { mode: 0o777 });
  fs.chmodSync(home, 0o777);
  fs.mkdirSync(path.dirname(owned));
  fs.copyFileSync(project, owned);
  if (asRoot) for (const p of [path.dirname(owned), owned]) fs.chownSync(p, NOBODY, NOBODY);
  fs.chmodSync(owned, 0o444);
  fs.chmodSync(project, 0o444);
  fs.chmodSync(folder, 0o555);
  sha = digest();
});
after(() => {
  fs.chmodSync(folder, 0o755);
  tmp.cleanup();
});

describe('a read-only project', () => {
  it('graft status shows it and says it is read-only, and why', () => {
    const s = json(['status']);
    assert.equal(s.images, 100);
    assert.equal(s.classes.roses, 20);
    assert.match(s.readOnly, /flowers\.graft is read-only/);
    const text = graft(['status']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /Read-only: .*not change it/);
  });

  it('lists classes and runs', () => {
    assert.deepEqual(json(['classes']).classes.map((c: { name: string }) => c.name), ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);
    assert.equal(json(['runs']).runs.length, 1);
  });

  it('predicts with its model', () => {
    const out = json(['predict', path.join(flowersMiniDir, 'roses'), '--top', '1']);
    assert.equal(out.predictions.length, 20);
    const roses = out.predictions.filter((p: { top: Array<{ label: string }> }) => p.top[0].label === 'roses').length;
    assert.ok(roses >= 10, `most roses predicted roses, got ${roses}/20`);
    assert.equal(json(['predict', path.join(testdataDir, 'chelsea.png')]).predictions.length, 1);
  });

  it('exports its model and report to a folder that can be written', () => {
    const out = path.join(home, 'export');
    const r = graft(['export', out, '--format', 'tfjs,report']);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['model.json', 'weights.bin', 'metadata.json', 'report.html']) assert.ok(fs.existsSync(path.join(out, f)), f);
  });

  for (const args of [['class', 'add', 'cats'], ['import', flowersMiniDir], ['train', '--epochs', '2']]) {
    it(`refuses "graft ${args[0]} ${args[1]}" before starting, saying the project is read-only`, () => {
      const r = graft(args);
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /can be inspected but not changed: the project file .*flowers\.graft is read-only\. Make it writable/);
    });
  }

  it('the studio (graft serve) shows it read-only, and refuses a relabel with the reason', async (t) => {
    const child = spawn(process.execPath, [graftBin, 'serve', '--project', project, '--json'], {
      cwd: home,
      stdio: 'pipe',
      env: { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), GRAFT_MODELS_DIR: modelsDir },
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    try {
      const info = JSON.parse(await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', (code) => reject(new Error(`graft serve exited with ${code}`)));
      })) as { url: string; port: number; token: string };
      const api = async (method: string, params: unknown) => {
        const r = await fetch(`http://127.0.0.1:${info.port}/api/call`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-graft-token': info.token }, body: JSON.stringify({ method, params }) });
        return { status: r.status, body: (await r.json()) as { ok: boolean; value?: any; error?: { code: string; message: string } } };
      };
      assert.match((await api('project.status', {})).body.value.readOnly, /is read-only/);
      const relabel = await api('labels.set', { imageIds: [1], classId: null });
      assert.equal(relabel.status, 409);
      assert.equal(relabel.body.error?.code, 'read_only');
      assert.match(relabel.body.error?.message ?? '', /can be inspected but not changed/);
      if (uiTestsSkipped()) return t.skip('GRAFT_SKIP_UI_TESTS=1: the studio was not opened in a browser');
      const browser = await launchBrowser();
      try {
        await browser.page.goto(info.url);
        const badge = browser.page.getByTestId('read-only');
        await badge.waitFor();
        assert.match((await badge.getAttribute('title')) ?? '', /Changes are refused: the project file .* is read-only/);
        await browser.page.screenshot({ path: screenshotPath('read-only-project') });
      } finally {
        await browser.close();
      }
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('is left byte for byte as it was, with no journal beside it', () => {
    assert.equal(digest(), sha);
    assert.deepEqual(fs.readdirSync(folder), ['flowers.graft']);
  });
});

describe('a read-only project file in a folder its owner can write', () => {
  it('is shown, and takes changes once its owner makes it writable again', () => {
    const before = graft(['status', '--json'], owned);
    assert.equal(before.status, 0, before.stderr);
    assert.match(JSON.parse(before.stdout).readOnly, /is read-only/);
    // SQLite left its journal files beside it, with the file's mode: they must not block writes.
    fs.chmodSync(owned, 0o644);
    const add = graft(['class', 'add', 'cats'], owned);
    assert.equal(add.status, 0, add.stderr);
    const after = JSON.parse(graft(['status', '--json'], owned).stdout);
    assert.equal(after.readOnly, undefined, 'a writable project\'s status is what it always was');
    assert.equal(after.classes.cats, 0);
  });
});

describe('a write that reaches a read-only connection', () => {
  it('comes back as read_only with a message for a person, not SQLite\'s', () => {
    const t = tempDir('graft-read-only-write-');
    try {
      const file = path.join(t.dir, 'p.graft');
      openProject(file).close();
      const db = openProject(file, { readonly: true });
      try {
        assert.equal(db.readonly, true);
        let thrown: unknown;
        try {
          db.prepare(`INSERT INTO classes (name, color, position, created_at) VALUES ('x', '#000000', 0, 0)`).run();
        } catch (err) {
          thrown = err;
        }
        const payload = toErrorPayload(thrown);
        assert.equal(payload.code, 'read_only');
        assert.match(payload.message, /read-only/);
        assert.doesNotMatch(payload.message, /attempt to write/);
      } finally {
        db.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
