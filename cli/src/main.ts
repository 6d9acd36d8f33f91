// The local command: the whole pipeline in one process, no NATS, PostgreSQL, Prefect or MLflow.
import { Command, Option } from 'commander';
import { isPipelineError } from '@taxi-mlops/contracts';
import { formatAnswers } from './answers';
import { normaliseOptions, type RawOptions } from './options';
import { runLocalPipeline } from './pipeline';

const program = new Command()
  .name('pipeline')
  .description(
    'Download a month of NYC TLC trips, keep 1-60 minute trips, one-hot encode pickup and drop-off zones,\n' +
      'fit the exact minimum-norm linear regression and save an MLflow/ONNX model - in one process.',
  )
  .addOption(new Option('--taxi <type>', 'taxi type: yellow or green').default('yellow'))
  .option('--year <YYYY>', 'year of the training month (default 2023)')
  .option('--month <M>', 'training month 1-12 (default 3)')
  .option('--from <YYYY-MM>', 'first month of a training range (with --to)')
  .option('--to <YYYY-MM>', 'last month of a training range, included')
  .option('--source <path|url>', 'read this file or URL instead of the TLC download (one month only)')
  .option('--base-url <url>', 'download from this mirror instead of the TLC host')
  .option('--validation <YYYY-MM>', 'also report the RMSE on this month')
  .option('--data-dir <dir>', 'where taxi-data/, pipeline-data/ and models/ live', './data')
  .option('--json', 'print only one JSON object with the answers')
  .option('--no-progress', 'no download progress bar')
  .option('--verbose', 'print stack traces on failure')
  .addHelpText(
    'after',
    '\nExamples:\n' +
      '  npm run pipeline -- --taxi yellow --year 2023 --month 3\n' +
      '  npm run pipeline -- --source ../shared/data/tlc/green_tripdata_2023-03.parquet --taxi green --json\n' +
      '  npm run pipeline -- --taxi green --from 2021-01 --to 2021-04 --validation 2022-01',
  );

async function main(): Promise<void> {
  program.parse();
  const raw = program.opts<RawOptions>();
  try {
    const report = await runLocalPipeline(normaliseOptions(raw));
    process.stdout.write(raw.json ? `${JSON.stringify(report.answers)}\n` : `${formatAnswers(report)}\n`);
  } catch (error) {
    // One clear line, no stack trace unless asked: the message names the file or field.
    const message = error instanceof Error ? error.message : String(error);
    const code = isPipelineError(error) ? error.code : 'internal';
    process.stderr.write(`pipeline: ${code}: ${message.split('\n')[0]}\n`);
    if (raw.verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = code === 'invalid_request' ? 2 : 1;
  }
}

await main();
