# sluice's runtime image for cluster mode (docker-compose.yml): Node 24 runs the
# TypeScript sources directly (native type stripping).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: chdb's optional platform libraries that the registry used to
# lock the tree did not serve are missing from package-lock.json, and npm ci refuses that
# (see .ci/run); npm install keeps every locked version and integrity hash.
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/sluice.ts"]
CMD ["help"]
