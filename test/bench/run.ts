/**
 * `npm run bench -- [--json] [group…]`: runs the benchmark figure groups and prints
 * their figures, merged, as one JSON object (--json) or as a table for people.
 *
 * A group is a module in this folder exporting `run(): Promise<Record<string, number | string>>`;
 * register it in GROUPS below. Progress goes to stderr so that stdout stays one JSON
 * object. Groups run one after another (each uses both cores on its own); a group
 * that fails is reported as `<group>Error` and the others still run, but the exit
 * code is then 1.
 */
export type Figures = Record<string, number | string>;

interface Group {
  name: string;
  load: () => { run: () => Promise<Figures> };
}

const GROUPS: Group[] = [
  { name: 'import', load: () => require('./import') },
  { name: 'codes', load: () => require('./codes') },
  { name: 'labels', load: () => require('./labels') },
  { name: 'training', load: () => require('./training') },
  { name: 'insights', load: () => require('./insights') },
  { name: 'responsiveness', load: () => require('./responsiveness') },
];

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--json');
  if (unknown.length) {
    process.stderr.write(`bench: unknown option ${unknown[0]}. Usage: npm run bench -- [--json] [${GROUPS.map((g) => g.name).join('|')}]…\n`);
    return 2;
  }
  const wanted = argv.filter((a) => !a.startsWith('-'));
  const missing = wanted.filter((w) => !GROUPS.some((g) => g.name === w));
  if (missing.length) {
    process.stderr.write(`bench: no figure group "${missing[0]}". Groups: ${GROUPS.map((g) => g.name).join(', ')}\n`);
    return 2;
  }
  const groups = wanted.length ? GROUPS.filter((g) => wanted.includes(g.name)) : GROUPS;
  const figures: Figures = {};
  let failed = false;
  for (const group of groups) {
    process.stderr.write(`bench: ${group.name}…\n`);
    const t0 = Date.now();
    try {
      Object.assign(figures, await group.load().run());
      process.stderr.write(`bench: ${group.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      failed = true;
      figures[`${group.name}Error`] = (err as Error).message ?? String(err);
      process.stderr.write(`bench: ${group.name} failed: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  const text = json ? JSON.stringify(figures) : table(figures);
  await new Promise<void>((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
  return failed ? 1 : 0;
}

function table(figures: Figures): string {
  const width = Math.max(0, ...Object.keys(figures).map((k) => k.length));
  return Object.entries(figures)
    .map(([k, v]) => `${k.padEnd(width)}  ${typeof v === 'number' ? formatNumber(v) : v}`)
    .join('\n');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
