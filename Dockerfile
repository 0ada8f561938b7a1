# sluice's runtime image for cluster mode (docker-compose.yml): Node 24 runs the
# TypeScript sources directly (native type stripping).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/sluice.ts"]
CMD ["help"]
