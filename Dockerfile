# syntax=docker/dockerfile:1
# The fintech CLI as a container image: what EventBridge Scheduler runs every night and
# morning as `fintech shutdown stop|start --env <env> --scheduled` (fintech shutdown
# schedule, templates/shutdown/scheduler.yaml). The task definition asks for linux/amd64:
#
#   docker build --platform linux/amd64 -t fintech:<version> .
#
# The image carries the project's fintech.config.yaml, templates, runbooks and price snapshot as they are
# when it is built: rebuild and redeploy the schedule after changing them.
# The current Node LTS; the CLI needs Node 22 or newer (package.json engines).
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that a source change does not download them again. The image's
# own Node builds: --ignore-scripts keeps the dev dependency `node` (the Node the project's
# scripts run on elsewhere) from fetching a second one. The lock file's only other install
# script is esbuild's optional check, which tsc and oclif do not use.
COPY package.json package-lock.json ./
RUN npm ci --engine-strict --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY scripts ./scripts
COPY runbooks ./runbooks
# build = tsc, a command per shipped runbook (fintech runbook NAME), @oclif/core and zod
# bundled into a file each (a faster start on Node 22.15+), each SDK client bundled with only
# the commands the adapters use (less memory and a faster start on Node 22.15+) and `oclif
# manifest` (start-up without scanning the commands); then the compiler, oclif's tooling and
# the test libraries leave node_modules.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    FINTECH_CONFIG=/app/fintech.config.yaml
WORKDIR /app
COPY --from=build /app/package.json /app/oclif.manifest.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin/run.js ./bin/run.js
COPY templates ./templates
COPY data ./data
COPY runbooks ./runbooks
COPY fintech.config.yaml ./
# The official Node images ship this unprivileged user (uid 1000).
USER node
ENTRYPOINT ["node", "/app/bin/run.js"]
CMD ["--help"]
