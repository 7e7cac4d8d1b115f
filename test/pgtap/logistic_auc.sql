-- logistic_regression's training metrics carry ROC AUC, computed in its
-- Newton passes from the evaluation rows' probabilities (binary: of the
-- second class; multiclass: one-vs-rest, macro over the classes), ties by
-- the trapezoid rule.  The reference is mldb.evaluate of the stored version
-- on the same rows, whose roc_auc / roc_auc_ovr_macro come from the
-- mldb.roc_auc aggregate (checked against scikit-learn's roc_auc_score in
-- metrics_classification.sql).  Tolerance 1e-9: the pass scores rows on the
-- working scale, predict on the original one.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(8);
\ir helpers.psql
\ir data_breast_cancer.psql

CREATE TABLE wine (alcohol float8, malic_acid float8, ash float8, alcalinity_of_ash float8,
                   magnesium float8, total_phenols float8, flavanoids float8,
                   nonflavanoid_phenols float8, proanthocyanins float8, color_intensity float8,
                   hue float8, od280_od315_of_diluted_wines float8, proline float8, cultivar int);
\copy wine FROM 'test/data/wine.csv' WITH (FORMAT csv, HEADER true)

CREATE FUNCTION pg_temp.auc_pair(model text, key text, OUT trained float8, OUT evaluated float8)
LANGUAGE sql AS $$
    SELECT (metrics ->> key)::float8, (mldb.evaluate(model) ->> key)::float8
      FROM mldb.model_versions WHERE model = $1 ORDER BY version DESC LIMIT 1
$$;

-- train, then compare the training metric with mldb.evaluate's
CREATE FUNCTION pg_temp.check(model text, rel text, target text, features text[], opts text,
                              key text, descr text)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM mldb.train(model, 'logistic_regression', rel, target, features, opts::jsonb);
    RETURN (SELECT pg_temp.near(trained, evaluated, 1e-9, 0, descr || ': training ' || key || ' = mldb.evaluate''s')
              FROM pg_temp.auc_pair(model, key));
END $$;

-- binary, hold-out split (default test_size 0.25)
SELECT pg_temp.check('auc_b', 'bc', 'diagnosis', ARRAY['mean_radius', 'mean_texture', 'mean_smoothness'],
                     '{"C": 0.5}', 'roc_auc', 'binary');
SELECT ok(trained > 0.8 AND trained < 1, 'binary: an informative, imperfect AUC (' || trained || ')')
  FROM pg_temp.auc_pair('auc_b', 'roc_auc');
-- binary, unpenalised, every row trains and is scored (test_size 0: split "train")
SELECT pg_temp.check('auc_t', 'bc', 'diagnosis', ARRAY['mean_radius', 'mean_texture'],
                     '{"penalty": "none", "test_size": 0}', 'roc_auc', 'test_size 0 (training rows)');
-- multinomial: one-vs-rest macro
SELECT pg_temp.check('auc_m', 'wine', 'cultivar', ARRAY['alcohol', 'malic_acid', 'ash'],
                     '{"C": 1}', 'roc_auc_ovr_macro', 'multinomial');
SELECT ok(trained > 0.7 AND trained < 1, 'multinomial: an imperfect AUC (' || trained || ')')
  FROM pg_temp.auc_pair('auc_m', 'roc_auc_ovr_macro');
-- L-BFGS fits score their passes the same way
SELECT pg_temp.check('auc_l', 'wine', 'cultivar', ARRAY['alcohol', 'malic_acid', 'ash'],
                     '{"C": 1, "solver": "lbfgs"}', 'roc_auc_ovr_macro', 'L-BFGS');
-- a search: the chosen setting's final fit is scored on the hold-out rows
SELECT pg_temp.check('auc_s', 'bc', 'diagnosis', ARRAY['mean_radius', 'mean_texture', 'mean_smoothness'],
                     '{"search": {"C": [0.01, 1]}, "cv": 3}', 'roc_auc', 'search');
SELECT is((SELECT metrics ->> 'split' FROM mldb.model_versions WHERE model = 'auc_s'), 'holdout',
          'search: metrics on the hold-out split');

SELECT * FROM finish();
ROLLBACK;
