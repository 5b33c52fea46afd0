# Mehrdesk app image: one image for the api, the worker and one-shot scripts (migrate).
# TypeScript runs directly through tsx, so there is no compile step to ship.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app

# --- dependencies: manifests only, so this layer survives source edits -------------------
FROM base AS deps
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY rules/package.json rules/
COPY search/package.json search/
COPY workflows/package.json workflows/
COPY usecases/package.json usecases/
COPY worker/package.json worker/
COPY api/package.json api/
COPY scripts/package.json scripts/
COPY web/package.json web/
# npm 11 runs install scripts only for the packages in package.json's `allowScripts`.
# Dev dependencies stay: the runtime needs tsx, which is a root devDependency.
RUN npm ci --no-audit --no-fund && npm cache clean --force

# --- optional gate: `docker build --target check .` typechecks the sources ---------------
FROM deps AS check
COPY . .
RUN npm run typecheck

# --- the console and the portal: web/dist, which the API serves -------------------------
FROM deps AS console
COPY . .
RUN cd web && npx vite build

# --- runtime --------------------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production
# Workspace packages are symlinked from node_modules/@mehrdesk/* to the folders copied below.
COPY --from=deps /app /app
COPY . .
COPY --from=console /app/web/dist web/dist
# Files stay root-owned, so the app cannot modify its own code; tsx caches under /tmp.
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/src/main.ts"]
