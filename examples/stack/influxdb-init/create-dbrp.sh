#!/bin/bash
# InfluxDB 2 init script (runs once, after the initial setup): maps database "metrics" /
# retention policy "autogen" to the "metrics" bucket, so InfluxQL (Grafana's NetBird dashboard
# and the ingest's /dashboard) can read the bucket through the v1 /query API.
set -euo pipefail
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db metrics \
  --rp autogen \
  --default
