#!/bin/sh
# Runs once, on an empty data folder (data/postgres): one role and one database each for the
# gateway (app), Prefect and MLflow, so none of them can touch another's tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<-SQL
  CREATE ROLE app     LOGIN PASSWORD 'app';
  CREATE ROLE prefect LOGIN PASSWORD 'prefect';
  CREATE ROLE mlflow  LOGIN PASSWORD 'mlflow';
  CREATE DATABASE app     OWNER app;
  CREATE DATABASE prefect OWNER prefect;
  CREATE DATABASE mlflow  OWNER mlflow;
SQL
# Prefect's migrations create pg_trgm; trusted on PostgreSQL >= 13, created here anyway so the
# prefect role never needs more rights.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname prefect -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm;'
