
-- Classifier diagnostics, built on predict_class / predict_proba.

CREATE FUNCTION mldb._label_text(anyelement) RETURNS text
    AS 'MODULE_PATHNAME', 'mldb_label_text' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb._label_text(anyelement) IS
    'Internal: a class label as its class name (numbers by value, booleans true/false).';

CREATE FUNCTION mldb._from_clause(relation text) RETURNS text
    AS 'MODULE_PATHNAME', 'mldb_from_clause' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION mldb._from_clause(text) IS
    'Internal: a relation name or SELECT query resolved to a safe FROM item.';

-- The version a reference names ('model' = deployed, 'model@N'), with the
-- columns it was trained on.
CREATE FUNCTION mldb._version_of(model text,
    OUT ref text, OUT target text, OUT features text, OUT classes text[])
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    mname text := model;
    pinned integer;
    v record;
BEGIN
    IF strpos(model, '@') > 0 THEN
        mname := split_part(model, '@', 1);
        pinned := split_part(model, '@', 2)::integer;
    END IF;
    SELECT mv.version, mv.target, mv.features INTO v
      FROM mldb.models m
      JOIN mldb.model_versions mv
        ON mv.model = m.name AND mv.version = coalesce(pinned, m.deployed_version)
     WHERE m.name = mname;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist or has no such version', model
              USING ERRCODE = 'undefined_object',
                    HINT = 'List models and versions with SELECT model, version FROM mldb.model_versions.';
    END IF;
    ref := mname || '@' || v.version;
    target := v.target;
    SELECT string_agg(quote_ident(f), ', ') INTO features FROM unnest(v.features) f;
    classes := mldb.classes(ref);
END
$$;

CREATE FUNCTION mldb.confusion_matrix(model text, relation text)
RETURNS TABLE (actual text, predicted text, count bigint)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v record;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'relation must not be NULL'
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'Name a table or view, or pass a SELECT query, holding the target and feature columns.';
    END IF;
    v := mldb._version_of(model);
    RETURN QUERY EXECUTE format(
        'SELECT mldb._label_text(%1$I), mldb.predict_class(%2$L, %3$s), count(*) FROM %4$s '
        'WHERE %1$I IS NOT NULL AND %1$I::text <> ''NaN'' GROUP BY 1, 2 ORDER BY 1, 2',
        v.target, v.ref, v.features, mldb._from_clause(relation));
END
$$;
COMMENT ON FUNCTION mldb.confusion_matrix(text, text) IS
    'Counts of (actual label, predicted label) of a classifier on a relation with its target and feature columns.';

CREATE FUNCTION mldb.roc_curve(model text, relation text, positive_class text DEFAULT NULL)
RETURNS TABLE (threshold float8, tpr float8, fpr float8)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v record;
    pos text;
    k integer;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'relation must not be NULL'
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'Name a table or view, or pass a SELECT query, holding the target and feature columns.';
    END IF;
    v := mldb._version_of(model);
    IF positive_class IS NULL AND cardinality(v.classes) <> 2 THEN
        RAISE EXCEPTION 'model "%" has % classes: name the positive class', model, cardinality(v.classes)
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Pass positive_class => one of mldb.classes(model) (one-vs-rest).';
    END IF;
    -- as scikit-learn: the greater label of a binary model is positive
    pos := coalesce(positive_class, v.classes[2]);
    k := array_position(v.classes, pos);
    IF k IS NULL THEN
        RAISE EXCEPTION 'model "%" has no class "%"', model, pos
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = format('Its classes are %s.', v.classes);
    END IF;
    -- one point per distinct score, from the strictest threshold down
    RETURN QUERY EXECUTE format($q$
        WITH s AS (
            SELECT mldb._label_text(%1$I) = %2$L AS label,
                   (mldb.predict_proba(%3$L, %4$s))[%5$s] AS score
              FROM %6$s WHERE %1$I IS NOT NULL AND %1$I::text <> 'NaN'),
        g AS (SELECT score, count(*) FILTER (WHERE label) AS tp,
                     count(*) FILTER (WHERE NOT label) AS fp
                FROM s GROUP BY score),
        t AS (SELECT sum(tp) AS p, sum(fp) AS n FROM g)
        SELECT 'Infinity'::float8, 0::float8, 0::float8
        UNION ALL
        SELECT score, (sum(tp) OVER w / nullif(t.p, 0))::float8,
               (sum(fp) OVER w / nullif(t.n, 0))::float8
          FROM g, t WINDOW w AS (ORDER BY score DESC)
        ORDER BY 1 DESC$q$,
        v.target, pos, v.ref, v.features, k, mldb._from_clause(relation));
END
$$;
COMMENT ON FUNCTION mldb.roc_curve(text, text, text) IS
    'ROC curve of a classifier on a relation: true and false positive rates at each distinct score (positive class: the second label of a binary model, or the one named).';
