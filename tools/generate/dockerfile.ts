/** Every service's Dockerfile, from one template and the workspaces its image needs. */
import { NODE_IMAGE_DEFAULT } from '../../lib/node-image';
import { HEADER } from './header';

/** One template for every service's Dockerfile (the build context is the repository root). */
/** Deletes what no dependency needs at run time: its tests, its TypeScript sources (not declarations) and build settings. */
const PRUNE_SCRIPT = [
  "const fs = require('fs'), path = require('path');",
  "for (const entry of fs.readdirSync('node_modules', { recursive: true }))",
  "if (/(^|\\/)(test|tests|__tests__|tsconfig[^/]*\\.json)$|\\.test\\.js$|(?<!\\.d)\\.ts$/.test(entry)) fs.rmSync(path.join('node_modules', entry), { recursive: true, force: true });",
].join(' ');

export function dockerfile(service: string, workspaces: readonly string[], monolith: boolean): string {
  const lines = (template: (folder: string) => string) => workspaces.map(template).join('\n');
  const packages = lines((folder) => `COPY services/${folder}/package.json services/${folder}/`);
  return `# ${HEADER}
# The ${service} ${monolith ? 'image: every route in one Node.js cluster' : 'microservice image'}.
# Build context: the repository root (the npm workspace and its one lockfile),
#   docker build -f services/${service}/Dockerfile .
# NODE_IMAGE is the base image: an official Node.js LTS image from the ECR
# Public mirror of Docker Hub (no pull limits inside AWS). Any glibc or musl
# image with node and npm works; the tests pass a local stand-in.
ARG NODE_IMAGE=${NODE_IMAGE_DEFAULT}

# Compile TypeScript with the workspace's pinned compiler.
FROM \${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
${packages}
RUN npm ci --workspace=services/shared --workspace=services/${service} --no-audit --no-fund
${lines((folder) => `COPY services/${folder}/ services/${folder}/`)}
RUN node node_modules/typescript/bin/tsc -b services/${service}

# Production dependencies only, from the same lockfile.
FROM \${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
${packages}
# Packages' own tests, TypeScript sources and build settings never run (pino ships its tests): they stay out.
# With node, not find: the image may have no other tool.
RUN npm ci --workspace=services/${service} --omit=dev --no-audit --no-fund --ignore-scripts \\
 && node -e "${PRUNE_SCRIPT}"

# Runtime: compiled JavaScript and production dependencies, owned by root and
# run as uid 1000, so the process cannot change its own code.
FROM \${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production PORT=3000
COPY --from=deps /app/node_modules node_modules
${packages}
${lines((folder) => `COPY --from=build /app/services/${folder}/dist services/${folder}/dist`)}
USER 1000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["node", "/app/services/shared/dist/healthcheck.js"]
CMD ["node", "/app/services/${service}/dist/main.js"]
`;
}

/** The base image users and the infrastructure build with; the tests pass a stand-in of the same Node.js major. */
