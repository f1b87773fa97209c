# The ingest server (`netbird-metrics-ingest`): TypeScript compiled in a build stage, then only
# the compiled code and the runtime dependencies, run as the unprivileged `node` user.
#   docker build -t netbird-metrics-ingest .
#   docker run -p 8087:8087 -v netbird-metrics:/data netbird-metrics-ingest
# Without INFLUXDB_URL the data goes to the embedded store in /data (a volume).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    INGEST_LISTEN_ADDR=:8087 \
    INGEST_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8087
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.INGEST_LISTEN_ADDR||':8087').split(':').pop();fetch('http://127.0.0.1:'+p+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) drains in-flight requests; give it more than INGEST_SHUTDOWN_TIMEOUT_MS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/ingest/cli.js"]
