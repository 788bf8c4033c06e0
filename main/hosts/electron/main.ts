/**
 * The desktop app's entry point (package.json "main"). Run it with `npm start`, or
 * as the packaged Graft app.
 */
import path from 'node:path';
import { app, dialog, protocol } from 'electron';
import { APP_SCHEME, IMAGE_SCHEME } from '../../../shared/bridge';
import { rendererDir, userDataDir } from '../app-paths';
import { DesktopApp } from './desktop-app';
import { projectFromArgs } from './launch-args';
import { configureSqliteForElectron } from './native-modules';

app.setName('Graft');
// The same folder `graft serve` uses, so settings and the default project are shared.
app.setPath('userData', userDataDir());
app.setAboutPanelOptions({
  applicationName: 'Graft',
  applicationVersion: app.getVersion(),
  copyright: 'Apache License 2.0',
  credits: 'Teach a computer to recognise your own kinds of images.',
});

// Before 'ready': our schemes behave like https (secure context, fetch, module
// scripts), and nothing else gets extra privileges.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

/** The app folder: the checkout in development, app.asar when packaged. */
const appRoot = app.getAppPath();

function launchArgs(argv: readonly string[]): string[] {
  // Unpackaged, argv is [electron, appPath, ...]; packaged, [graft, ...].
  return argv.slice(app.isPackaged ? 1 : 2);
}

if (!app.requestSingleInstanceLock()) {
  // A second launch hands its project to the running app (below) and leaves.
  app.quit();
} else {
  let desktop: DesktopApp | null = null;
  let pendingFile: string | undefined;

  // macOS sends files opened from Finder (or dropped on the Dock icon) this way.
  app.on('open-file', (event, file) => {
    event.preventDefault();
    if (desktop) void desktop.switchProject(file);
    else pendingFile = file;
  });

  app.on('second-instance', (_event, argv, workingDirectory) => {
    const file = projectFromArgs(launchArgs(argv), workingDirectory);
    if (desktop && file) void desktop.switchProject(file);
    else desktop?.focus();
  });

  app.on('window-all-closed', () => app.quit());

  let shutDown = false;
  app.on('before-quit', (event) => {
    if (shutDown || !desktop) return;
    // Close the catalogue cleanly (cancelling running jobs) before the process ends.
    event.preventDefault();
    shutDown = true;
    void desktop.shutdown().finally(() => app.quit());
  });

  void app.whenReady().then(async () => {
    const problem = configureSqliteForElectron({ packaged: app.isPackaged, repoRoot: appRoot, electronVersion: String(process.versions.electron) });
    if (problem) {
      dialog.showErrorBox('Graft cannot start', problem);
      app.exit(1);
      return;
    }
    desktop = new DesktopApp({
      rendererDir: rendererDir(),
      preload: path.join(__dirname, 'preload.js'),
      icon: path.join(appRoot, 'assets', 'icons', '512x512.png'),
      settingsFile: path.join(app.getPath('userData'), 'desktop-settings.json'),
    });
    try {
      await desktop.start(pendingFile ?? projectFromArgs(launchArgs(process.argv)));
    } catch (err) {
      dialog.showErrorBox('Graft cannot start', err instanceof Error ? err.message : String(err));
      app.exit(1);
    }
  });
}
