/** `versions`: which builds of the workers still hold agent runs, so an old one is retired only once drained. */
import type { Command } from 'commander';
import { DEFAULT_DEPLOYMENT_NAME } from '../../shared/constants';
import { EXIT } from '../errors';
import { table } from '../io';
import type { Session } from '../session';

export function registerVersionCommands(program: Command, session: Session): void {
  program
    .command('versions')
    .description('the builds of the workers (Worker Deployment Versions), with the runs each still holds')
    .option('--deployment <name>', 'the Worker Deployment (default $SAGENT_DEPLOYMENT, else "sagent")')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent versions
  $ sagent versions --deployment shop --json | jq '.versions[] | select(.drained)'

A build is drained when no open run of this task queue is on it and it is neither current nor ramping: its
workers may then be stopped (and the version deleted: temporal worker deployment delete-version). Runs on
unversioned workers show as "unversioned". New runs go to the current build: temporal worker deployment
set-current-version --deployment-name <name> --build-id <build> (see docs/DEPLOY.md).
--json prints { deployment, known, versions: [{ version, buildId, current, rampingPercent, openRuns,
waitingForPerson, drained }] }. The workflow list is eventually consistent: a run started a moment ago may
take a second to count.
Exit codes: 0 printed, 1 error.`,
    )
    .action(async (options: { deployment?: string; json?: boolean }) =>
      session.run(undefined, async (connect) => {
        const deployment = options.deployment ?? (session.io.env.SAGENT_DEPLOYMENT || DEFAULT_DEPLOYMENT_NAME);
        const ctx = await connect();
        const listed = await ctx.sagent.versions(deployment);
        if (options.json) {
          ctx.out.json(listed);
          return EXIT.ok;
        }
        if (!listed.known) ctx.out.note(`note: no worker has polled as a version of deployment "${deployment}" yet (SAGENT_BUILD_ID)`);
        if (listed.versions.length === 0) {
          ctx.out.line(`no build of deployment "${deployment}" and no open run on task queue ${ctx.taskQueue}`);
          return EXIT.ok;
        }
        const routing = (row: (typeof listed.versions)[number]) =>
          row.current ? 'current' : row.rampingPercent !== null ? `ramping ${row.rampingPercent}%` : '';
        const rows = listed.versions.map((row) => [
          row.version,
          routing(row),
          String(row.openRuns),
          String(row.waitingForPerson),
          row.drained ? 'drained: may be retired' : '',
        ]);
        for (const line of table(['version', 'routing', 'open runs', 'waiting for a person', ''], rows)) ctx.out.line(line);
        return EXIT.ok;
      }),
    );
}
