-- mldb 0.1 -> 0.2: export and import of models.
\echo Use "ALTER EXTENSION mldb UPDATE TO '0.2'" to load this file. \quit

CREATE FUNCTION mldb.export_model(model text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'mldb_export_model' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION mldb.export_model(text) IS
    'A model and all its versions as a portable jsonb document (format "mldb-model" 1; owner only).';

CREATE FUNCTION mldb.import_model(name text, document jsonb) RETURNS integer
    AS 'MODULE_PATHNAME', 'mldb_import_model' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.import_model(text, jsonb) IS
    'Create a model from an export_model document, owned by the caller; returns the number of versions imported.';
