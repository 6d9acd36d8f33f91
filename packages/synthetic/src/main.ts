#!/usr/bin/env -S npx tsx
// CLI: npm run synth -- --out F --taxi yellow --rows N --seed S --year 2023 --month 3 --id-type int32 --codec zstd
import { Command, InvalidArgumentError, Option } from 'commander';
import { isPipelineError } from '@taxi-mlops/contracts';
import { generateTripFile } from './generate';
import { codecs, defaultZoneSkew, idTypes, parquetVersions, synthTaxiTypes } from './options';
import type { Codec, IdType, ParquetVersion, SynthTaxi } from './options';

function integer(name: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`${name} must be an integer.`);
    return Number(value);
  };
}

function number(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(`${name} must be a number.`);
    return parsed;
  };
}

interface CliOptions {
  out: string;
  taxi: SynthTaxi;
  rows: number;
  seed: number;
  year: number;
  month: number;
  idType: IdType;
  codec: Codec;
  zoneSkew: number;
  parquetVersion: ParquetVersion;
}

const program = new Command()
  .name('synth')
  .description('Write a deterministic, TLC-shaped taxi trip parquet file (yellow or green schema).')
  .requiredOption('--out <file>', 'output parquet path')
  .addOption(new Option('--taxi <type>', 'schema to imitate').choices(synthTaxiTypes).default('yellow'))
  .requiredOption('--rows <n>', 'number of rows (yellow 2023-03 has 3403766)', integer('--rows'))
  .option('--seed <n>', 'seed: the same seed gives the same rows', integer('--seed'), 1)
  .option('--year <yyyy>', 'year of the month the pickups fall in', integer('--year'), 2023)
  .option('--month <m>', 'month 1..12', integer('--month'), 3)
  .addOption(new Option('--id-type <type>', 'int32: 2023-02+ layout; int64: 2021–2023-01 layout').choices(idTypes).default('int32'))
  .addOption(new Option('--codec <codec>', 'parquet compression').choices(codecs).default('zstd'))
  .option('--zone-skew <s>', 'Zipf exponent of zone popularity (0 = uniform)', number('--zone-skew'), defaultZoneSkew)
  .addOption(new Option('--parquet-version <v>', 'parquet format version').choices(parquetVersions).default('v1'))
  .action(async (options: CliOptions) => {
    const started = performance.now();
    const result = await generateTripFile({
      path: options.out,
      taxi: options.taxi,
      rows: options.rows,
      seed: options.seed,
      year: options.year,
      month: options.month,
      idType: options.idType,
      codec: options.codec,
      zoneSkew: options.zoneSkew,
      parquetVersion: options.parquetVersion,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`wrote ${result.rows} ${options.taxi} rows to ${result.path} in ${seconds} s\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  const code = isPipelineError(error) ? error.code : 'internal';
  process.stderr.write(`synth: ${code}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
