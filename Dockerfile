# One image for every holdfast role: `docker run holdfast:local serve --roles <role>` (see compose.yaml).
# TypeScript runs through esbuild's transform (ops/bin/ts-loader.mjs), so there is no build step.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
USER node
EXPOSE 8080
ENTRYPOINT ["node", "ops/bin/holdfast.mjs"]
CMD ["serve"]
