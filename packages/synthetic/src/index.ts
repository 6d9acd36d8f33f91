export { generateTripFile } from './generate';
export { resolveOptions, defaultZoneSkew, synthTaxiTypes, idTypes, codecs, parquetVersions } from './options';
export type { GenerateOptions, SynthTaxi, IdType, Codec, ParquetVersion } from './options';
export { rareZones, zoneCount, popularityOrder } from './zones';
