export { artifactLayout, type ArtifactLayout } from './layout';
export { toArtifactUri, resolveArtifactUri } from './uri';
export { writeJsonAtomic, readJsonIfPresent, sha256OfFile, sha256OfText } from './files';
