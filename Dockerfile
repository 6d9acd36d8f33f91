# syntax=docker/dockerfile:1
# One image for ingest, features, trainer, tracker-bridge and the gateway; compose.yaml sets each
# service's command. The TypeScript runs as it is under tsx (a production dependency of the
# runtime), exactly as in development and in the tests: no build step. See docs/compose.md.
ARG NODE_IMAGE=node:22.20.0-bookworm-slim

# ---- production dependencies only, from the lockfile ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# One line per workspace: a wildcard COPY of several package.json files would flatten them into one
# folder. npm ci needs every workspace of the root manifest, also those the image does not run.
COPY packages/artifact-store/package.json packages/artifact-store/
COPY packages/contracts/package.json packages/contracts/
COPY packages/coordination/package.json packages/coordination/
COPY packages/mlflow-client/package.json packages/mlflow-client/
COPY packages/model-format/package.json packages/model-format/
COPY packages/pair-stats/package.json packages/pair-stats/
COPY packages/runtime/package.json packages/runtime/
COPY packages/synthetic/package.json packages/synthetic/
COPY packages/tracing/package.json packages/tracing/
COPY services/features/package.json services/features/
COPY services/ingest/package.json services/ingest/
COPY services/tracker-bridge/package.json services/tracker-bridge/
COPY services/trainer/package.json services/trainer/
COPY gateway/package.json gateway/
COPY cli/package.json cli/
COPY bench/package.json bench/
# --ignore-scripts: the project never runs install scripts (DuckDB and esbuild ship their binaries
# as per-platform optional packages), so the image gets the tree the tests ran on.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- the runtime image ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# node_modules (root and per workspace) and the manifests the workspace links point at
COPY --from=deps /app ./
COPY tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
COPY gateway ./gateway
# ARTIFACT_ROOT and the model caches belong to the unprivileged user the services run as.
RUN mkdir -p /data /var/cache/taxi-mlops && chown node:node /data /var/cache/taxi-mlops
USER node
EXPOSE 8080 9464
CMD ["node", "--import", "tsx", "gateway/src/main.ts"]
