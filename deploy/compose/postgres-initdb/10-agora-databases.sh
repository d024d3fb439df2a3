#!/usr/bin/env bash
# Run once by the official postgres image, on an empty data directory, as the
# superuser (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
#
# One database and one login role per service, the role owning its database, CONNECT
# revoked from PUBLIC so no service's role can even open another service's database;
# unaccent and pg_trgm created here because creating them needs the superuser the
# services never get. Passwords come from AGORA_POSTGRES_<SERVICE>_PASSWORD.
set -euo pipefail

for service in catalog community gamification notifications; do
  password_var="AGORA_POSTGRES_${service^^}_PASSWORD"
  password="${!password_var:?$password_var is not set (see deploy/compose.env.example)}"
  name="agora_${service}"
  # psql variables (:"name" quotes an identifier, :'password' a literal): the values
  # never pass through shell quoting into SQL.
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname postgres \
    -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE CONNECT, TEMPORARY ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
\connect :"name"
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
  echo "agora: database and role $name ready"
done
