// The public API report: one API Extractor report per entry point, under etc/, read from the declarations tsc emits.
//   node scripts/api-report.mjs           fails (exit 1) when an entry point's API differs from its committed report
//   node scripts/api-report.mjs --update  rewrites the reports
// `--dts <dir>` reads declarations from another folder (default .sagent/api/dts, which `npm run api:check` emits);
// `--entry <name>` checks one entry point (e.g. `sagent/workflow`).
// Every entry point is also checked for documentation (scripts/api-docs.mjs): an export without JSDoc, or an optional
// field of an options or input type without its `@default`, fails the check, and `--update` does not paper over it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { undocumented } from './api-docs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Each entry point of package.json's `exports`, its declaration file and its report's name. */
const ENTRY_POINTS = [
  { entry: 'sagent', dts: 'index.d.ts', report: 'sagent' },
  { entry: 'sagent/workflow', dts: 'workflow.d.ts', report: 'sagent-workflow' },
  { entry: 'sagent/testing', dts: 'testing.d.ts', report: 'sagent-testing' },
  { entry: 'sagent/cli', dts: 'cli.d.ts', report: 'sagent-cli' },
  { entry: 'sagent/eval', dts: 'eval/index.d.ts', report: 'sagent-eval' },
];

const args = process.argv.slice(2);
const update = args.includes('--update');
const dtsAt = args.indexOf('--dts');
const dtsDir = path.resolve(ROOT, dtsAt >= 0 ? args[dtsAt + 1] : '.sagent/api/dts');
const entryAt = args.indexOf('--entry');
const entries = entryAt >= 0 ? ENTRY_POINTS.filter(({ entry }) => entry === args[entryAt + 1]) : ENTRY_POINTS;
if (entries.length === 0) {
  console.error(`no entry point ${args[entryAt + 1]}: one of ${ENTRY_POINTS.map(({ entry }) => entry).join(', ')}`);
  process.exit(2);
}
const reportFolder = path.resolve(ROOT, process.env.SAGENT_API_REPORT_DIR ?? 'etc');
const tempFolder = path.join(ROOT, '.sagent', 'api', 'temp');
fs.mkdirSync(tempFolder, { recursive: true });

let failed = 0;
for (const { entry, dts, report } of entries) {
  const mainEntryPointFilePath = path.join(dtsDir, dts);
  if (!fs.existsSync(mainEntryPointFilePath)) {
    console.error(`${entry}: no ${path.relative(ROOT, mainEntryPointFilePath)}: emit the declarations first (npm run api:check does)`);
    failed++;
    continue;
  }
  const missing = undocumented(mainEntryPointFilePath);
  if (missing.length > 0) {
    for (const problem of missing) console.error(`${entry}: ${problem}`);
    console.error(`${entry}: ${missing.length} undocumented: every export needs JSDoc, and every optional field of an options or input type its @default`);
    failed++;
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: ROOT,
      mainEntryPointFilePath,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'commonjs',
            moduleResolution: 'node',
            lib: ['ES2022'],
            types: ['node'],
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
          },
          files: [mainEntryPointFilePath],
        },
      },
      apiReport: { enabled: true, reportFileName: report, reportFolder, reportTempFolder: tempFolder },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          // Left out of the report: they carry line numbers of internal files, so a comment edited anywhere would
          // change the report without changing the API.
          'ae-missing-release-tag': { logLevel: 'none' },
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: false },
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
          'ae-unresolved-link': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: path.join(ROOT, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: update, messageCallback: (message) => quiet(message) });
  if (!result.succeeded) {
    const why = result.apiReportChanged
      ? `its API differs from etc/${report}.api.md: review the diff above and run \`npm run api:update\``
      : `${result.errorCount} errors`;
    console.error(`${entry}: ${why}`);
    failed++;
  } else {
    console.log(`${entry}: ${update && result.apiReportChanged ? `etc/${report}.api.md updated` : `matches etc/${report}.api.md`}`);
  }
}
process.exit(failed > 0 ? 1 : 0);

/** API Extractor's own "analysis with TypeScript x.y" lines say nothing a reader needs. */
function quiet(message) {
  if (message.category === 'console' && /^(Analysis will use|Using TypeScript|\*\*\* )/.test(message.text)) message.handled = true;
}
