import type { IdType, SynthTaxi } from './options';
import { popularityOrder, rareZoneRate, rareZones } from './zones';

/**
 * Parameters of the generating query, bound (never spliced) into it:
 * $1 output path, $2 rows, $3 month start (epoch s), $4 seconds in the month, $5 zone skew.
 */
export const parameterOrder = ['path', 'rows', 'monthStart', 'monthSeconds', 'zoneSkew'] as const;

/**
 * Uniform [0,1) per (row, stream): DuckDB's 64-bit hash of the row's hash keyed with a per-(seed,
 * stream) constant. Stateless, so DuckDB generates rows in parallel and a seed always gives the
 * same rows. (The multi-argument `hash(i, s, k)` mixes too weakly: streams k and k+1 correlate at
 * 0.6.) `synth_uopen` is (0,1], safe for logarithms.
 */
export const macros = [
  'CREATE OR REPLACE TEMP MACRO synth_u(h, key) AS hash(xor(h, key))::DOUBLE / 18446744073709551616.0',
  'CREATE OR REPLACE TEMP MACRO synth_uopen(h, key) AS (hash(xor(h, key))::DOUBLE + 1.0) / 18446744073709551616.0',
];

const mask64 = (1n << 64n) - 1n;

/** splitmix64 of (seed, stream): the stream key, computed here so it is a literal DuckDB can fold. */
export function streamKey(seed: number, stream: number): bigint {
  let z = (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(stream) * 0xbf58476d1ce4e5b9n) & mask64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask64;
  return z ^ (z >> 31n);
}

/** `synth_u(h, <key>::UBIGINT)` for a stream; the key is a computed integer, not caller text. */
function u(seed: number, stream: number, open = false): string {
  return `${open ? 'synth_uopen' : 'synth_u'}(h, ${streamKey(seed, stream).toString()}::UBIGINT)`;
}

/** Integer list literal from numbers this module owns (zone ids), not from user input. */
function intList(values: readonly number[]): string {
  if (!values.every((v) => Number.isSafeInteger(v))) throw new Error('zone lists must hold integers');
  return `[${values.join(', ')}]`;
}

/**
 * Zone id for a row: with probability `rareZoneRate` a rare zone, otherwise a Zipf-like rank
 * (continuous inverse CDF of p(k) ∝ k^-s over 1..N, s = $5) mapped through a fixed popularity order.
 */
function zoneExpression(seed: number, stream: number, salt: number): string {
  const order = popularityOrder(salt);
  const n = order.length;
  const draw = u(seed, stream);
  const rank = `least(${n}, greatest(1, floor(CASE WHEN abs($5 - 1.0) < 1e-9 THEN pow(${n + 1}, ${draw})
      ELSE pow(1.0 + ${draw} * (pow(${n + 1}, 1.0 - $5) - 1.0), 1.0 / (1.0 - $5)) END)))::INTEGER`;
  const rare = `${intList(rareZones)}[1 + floor(${u(seed, stream + 1)} * ${rareZones.length})::INTEGER]`;
  return `CASE WHEN ${u(seed, stream + 2)} < ${rareZoneRate} THEN ${rare} ELSE ${intList(order)}[${rank}] END`;
}

/**
 * Trip duration in whole seconds (TLC timestamps have second resolution). Mostly log-normal with a
 * 12-minute median (≈ 93% within 3–40 min), plus the cases the duration filter must handle:
 * exact 1.0 and 60.0 minute boundaries and their neighbours, zero, negative, under a minute and
 * multi-hour trips.
 */
const durationSeconds = `CASE
    WHEN c < 0.0010 THEN 60
    WHEN c < 0.0020 THEN 3600
    WHEN c < 0.0025 THEN 59
    WHEN c < 0.0030 THEN 3601
    WHEN c < 0.0050 THEN 0
    WHEN c < 0.0070 THEN -(1 + floor(v * 3600))
    WHEN c < 0.0200 THEN floor(v * 60)
    WHEN c < 0.0220 THEN 7200 + floor(v * 86400)
    ELSE greatest(1, round(exp(ln(720) + 0.75 * sqrt(-2.0 * ln(g1)) * cos(2.0 * pi() * g2))))
  END::BIGINT`;

/**
 * Pickup second: uniform in the month, except a few trips recorded days before or after it and
 * a few with a bogus year, like the real files.
 */
const pickupSeconds = `CASE
    WHEN o < 0.0003 THEN $3 - 1 - floor(w * 259200)
    WHEN o < 0.0005 THEN $3 + $4 + floor(w * 172800)
    WHEN o < 0.00055 THEN $3 - 631152000 + floor(w * 31536000)
    ELSE $3 + floor(w * $4)
  END::BIGINT`;

/** The per-row random draws, named so the column expressions below stay readable. */
function drawsQuery(seed: number): string {
  return `SELECT i,
      ${u(seed, 1)} AS c, ${u(seed, 2)} AS v,
      ${u(seed, 3, true)} AS g1, ${u(seed, 4)} AS g2,
      ${u(seed, 5)} AS o, ${u(seed, 6)} AS w,
      ${u(seed, 7)} AS speed, ${u(seed, 8)} AS pay, ${u(seed, 9)} AS tip,
      ${u(seed, 10)} AS misc, ${u(seed, 11)} AS nulls, ${u(seed, 12)} AS pax,
      ${zoneExpression(seed, 20, 1)} AS pu, ${zoneExpression(seed, 30, 2)} AS do_
    FROM (SELECT i, hash(i) AS h FROM range($2) t(i))`;
}

/** Derived trip quantities shared by yellow and green. */
function tripQuery(seed: number): string {
  return `SELECT *,
      TIMESTAMP '1970-01-01' + to_seconds(${pickupSeconds}) AS pickup,
      ${durationSeconds} AS duration_s,
      nulls < 0.025 AS unknown_meta
    FROM (${drawsQuery(seed)})`;
}

function moneyQuery(seed: number): string {
  return `SELECT *,
      round(3.0 + 2.5 * distance + 0.5 * greatest(duration_s, 0) / 60.0, 2) * CASE WHEN misc < 0.004 THEN -1 ELSE 1 END AS fare,
      CASE WHEN pay < 0.78 THEN 1 WHEN pay < 0.97 THEN 2 WHEN pay < 0.99 THEN 4 ELSE 3 END AS payment
    FROM (SELECT *, round(greatest(duration_s, 0) / 3600.0 * (4.0 + 16.0 * speed) * CASE WHEN misc > 0.99 THEN 0 ELSE 1 END, 2) AS distance
          FROM (${tripQuery(seed)}))`;
}

function types(idType: IdType) {
  return idType === 'int32'
    ? { id: 'INTEGER', count: 'BIGINT', code: 'BIGINT' }
    : { id: 'BIGINT', count: 'DOUBLE', code: 'DOUBLE' };
}

/** SELECT producing the 19 yellow columns in TLC order and types. */
function yellowSelect(idType: IdType, seed: number): string {
  const t = types(idType);
  return `SELECT
      (CASE WHEN misc < 0.3 THEN 1 ELSE 2 END)::${t.id} AS VendorID,
      pickup AS tpep_pickup_datetime,
      pickup + to_seconds(duration_s) AS tpep_dropoff_datetime,
      (CASE WHEN unknown_meta THEN NULL WHEN pax < 0.02 THEN 0 WHEN pax < 0.75 THEN 1 WHEN pax < 0.9 THEN 2 ELSE 3 + floor((pax - 0.9) * 40) END)::${t.count} AS passenger_count,
      distance::DOUBLE AS trip_distance,
      (CASE WHEN unknown_meta THEN NULL WHEN pay > 0.995 THEN 99 WHEN speed < 0.03 THEN 2 WHEN speed < 0.04 THEN 5 ELSE 1 END)::${t.count} AS RatecodeID,
      CASE WHEN unknown_meta THEN NULL WHEN tip < 0.005 THEN 'Y' ELSE 'N' END AS store_and_fwd_flag,
      pu::${t.id} AS PULocationID,
      do_::${t.id} AS DOLocationID,
      (CASE WHEN unknown_meta THEN 0 ELSE payment END)::BIGINT AS payment_type,
      fare::DOUBLE AS fare_amount,
      (CASE WHEN misc < 0.5 THEN 0.0 WHEN misc < 0.8 THEN 1.0 WHEN misc < 0.95 THEN 2.5 ELSE 5.0 END)::DOUBLE AS extra,
      0.5::DOUBLE AS mta_tax,
      (CASE WHEN payment = 1 THEN round(greatest(fare, 0) * 0.3 * tip, 2) ELSE 0.0 END)::DOUBLE AS tip_amount,
      (CASE WHEN speed > 0.95 THEN 6.55 ELSE 0.0 END)::DOUBLE AS tolls_amount,
      1.0::DOUBLE AS improvement_surcharge,
      (round(fare + 1.5 + CASE WHEN payment = 1 THEN greatest(fare, 0) * 0.3 * tip ELSE 0 END, 2))::DOUBLE AS total_amount,
      (CASE WHEN unknown_meta THEN NULL WHEN misc < 0.9 THEN 2.5 ELSE 0.0 END)::DOUBLE AS congestion_surcharge,
      (CASE WHEN unknown_meta THEN NULL WHEN pu IN (132, 138) THEN 1.25 ELSE 0.0 END)::DOUBLE AS airport_fee
    FROM (${moneyQuery(seed)})`;
}

/** SELECT producing the 20 green columns in TLC order and types. */
function greenSelect(idType: IdType, seed: number): string {
  const t = types(idType);
  return `SELECT
      (CASE WHEN misc < 0.15 THEN 1 ELSE 2 END)::${t.id} AS VendorID,
      pickup AS lpep_pickup_datetime,
      pickup + to_seconds(duration_s) AS lpep_dropoff_datetime,
      CASE WHEN unknown_meta THEN NULL WHEN tip < 0.005 THEN 'Y' ELSE 'N' END AS store_and_fwd_flag,
      (CASE WHEN unknown_meta THEN NULL WHEN speed < 0.03 THEN 5 ELSE 1 END)::${t.count} AS RatecodeID,
      pu::${t.id} AS PULocationID,
      do_::${t.id} AS DOLocationID,
      (CASE WHEN unknown_meta THEN NULL WHEN pax < 0.85 THEN 1 ELSE 2 + floor((pax - 0.85) * 26) END)::${t.count} AS passenger_count,
      distance::DOUBLE AS trip_distance,
      fare::DOUBLE AS fare_amount,
      (CASE WHEN misc < 0.6 THEN 0.0 WHEN misc < 0.9 THEN 1.0 ELSE 2.75 END)::DOUBLE AS extra,
      0.5::DOUBLE AS mta_tax,
      (CASE WHEN payment = 1 THEN round(greatest(fare, 0) * 0.3 * tip, 2) ELSE 0.0 END)::DOUBLE AS tip_amount,
      (CASE WHEN speed > 0.97 THEN 6.55 ELSE 0.0 END)::DOUBLE AS tolls_amount,
      NULL::DOUBLE AS ehail_fee,
      1.0::DOUBLE AS improvement_surcharge,
      (round(fare + 1.5 + CASE WHEN payment = 1 THEN greatest(fare, 0) * 0.3 * tip ELSE 0 END, 2))::DOUBLE AS total_amount,
      (CASE WHEN unknown_meta THEN NULL ELSE payment END)::${t.code} AS payment_type,
      (CASE WHEN unknown_meta THEN NULL WHEN pay > 0.98 THEN 2 ELSE 1 END)::${t.code} AS trip_type,
      (CASE WHEN unknown_meta THEN NULL WHEN misc < 0.3 THEN 2.75 ELSE 0.0 END)::DOUBLE AS congestion_surcharge
    FROM (${moneyQuery(seed)})`;
}

export function tripSelect(taxi: SynthTaxi, idType: IdType, seed: number): string {
  return taxi === 'yellow' ? yellowSelect(idType, seed) : greenSelect(idType, seed);
}
