/** TLC taxi zones are 1..263 plus 264/265 (unknown / outside NYC). */
export const zoneCount = 265;

/**
 * Zones drawn only through a tiny side channel, so a month holds a handful of trips to them or
 * none at all (like the real islands and park zones: unseen or barely seen ids stress the model).
 */
export const rareZones: readonly number[] = [2, 30, 99, 103, 104, 105, 110, 176, 199];

/** Probability that a pickup or drop-off lands in one of `rareZones`. */
export const rareZoneRate = 2e-5;

/**
 * The other zones in popularity order (index 0 = most popular). A fixed pseudo-random order, the
 * same for every seed, so that popular zones are scattered over the id range as in the real data;
 * drop-offs use a different order than pickups.
 */
export function popularityOrder(salt: number): number[] {
  const common: number[] = [];
  for (let id = 1; id <= zoneCount; id++) if (!rareZones.includes(id)) common.push(id);
  let state = (0x9e3779b9 ^ salt) >>> 0;
  const next = () => {
    // xorshift32: tiny, deterministic, good enough to shuffle 256 items.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  for (let i = common.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [common[i], common[j]] = [common[j] as number, common[i] as number];
  }
  return common;
}
