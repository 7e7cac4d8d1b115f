-- Monitoring: drift of new rows against a version's training distribution.

CREATE FUNCTION mldb.drift(model text, relation text)
RETURNS TABLE (feature text, kind text, psi float8, ks float8, chi2 float8,
               p_value float8, drifted boolean)
    AS 'MODULE_PATHNAME', 'mldb_drift' LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION mldb.drift(text, text) IS
    'Per feature of the deployed version (or ''model@N''), then for its predictions (''(prediction)''): population stability index, KS statistic (numeric) or chi-square (categorical) with p-value, of the rows of relation against the training rows; drifted = psi > 0.25.';
