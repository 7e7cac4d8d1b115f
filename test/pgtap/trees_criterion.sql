-- decision_tree's criterion (gini, entropy) against scikit-learn 1.2.1
-- (Debian python3-sklearn, as an oracle; script in test/data/REFERENCES.md,
-- section "tree criterion"): DecisionTreeClassifier(criterion=...,
-- max_depth=...) fitted on every row of breast cancer, five features
-- floored to a coarse grid (floor(x * s) / s, the same IEEE operations in
-- numpy and PostgreSQL) so that every feature has fewer than 255 distinct
-- values: mldb's bins are then the distinct values and its trees are exact
-- CART trees.  The references were checked to be the same for
-- random_state 0..39 (no ties between splits).
-- Tolerance: 1e-9 absolute on accuracy and on the normalised importances.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(16);
\ir helpers.psql
\ir data_breast_cancer.psql

CREATE TABLE bcf AS
SELECT floor(worst_radius) AS worst_radius, floor(worst_perimeter * 0.1) / 0.1 AS worst_perimeter,
       floor(worst_concave_points * 100.0) / 100.0 AS worst_concave_points,
       floor(worst_texture) AS worst_texture, floor(mean_texture) AS mean_texture, diagnosis
  FROM bc;

CREATE FUNCTION pg_temp.fit(model text, opts text) RETURNS void LANGUAGE sql AS $$
    SELECT FROM mldb.train(model, 'decision_tree', 'bcf', 'diagnosis', NULL,
                           ('{"test_size": 0}'::jsonb || opts::jsonb))
$$;
CREATE FUNCTION pg_temp.imp(model text, feature text) RETURNS float8 LANGUAGE sql AS $$
    SELECT coalesce(pg_temp.param(model, 'feature_importances', feature), 0)
$$;
CREATE FUNCTION pg_temp.acc(model text) RETURNS float8 LANGUAGE sql AS $$
    SELECT (mldb.evaluate(model, 'bcf') ->> 'accuracy')::float8
$$;

SELECT pg_temp.fit('crit_g2', '{"max_depth": 2}');
SELECT pg_temp.fit('crit_e2', '{"max_depth": 2, "criterion": "entropy"}');
SELECT pg_temp.fit('crit_l2', '{"max_depth": 2, "criterion": "log_loss"}');
SELECT pg_temp.fit('crit_e3', '{"max_depth": 3, "criterion": "entropy"}');

-- gini (the default), depth 2: 0.9490333919156415
SELECT pg_temp.near(pg_temp.acc('crit_g2'), 0.9490333919156415, 0, 1e-9, 'gini depth 2: accuracy');
SELECT pg_temp.near(pg_temp.imp('crit_g2', f), w, 0, 1e-9, 'gini depth 2: importance of ' || f)
  FROM (VALUES ('worst_perimeter', 0.8522958487661587), ('worst_concave_points', 0.10022689721416705),
               ('mean_texture', 0.04747725401967428)) v(f, w);

-- entropy, depth 2: another tree (0.9209138840070299)
SELECT pg_temp.near(pg_temp.acc('crit_e2'), 0.9209138840070299, 0, 1e-9, 'entropy depth 2: accuracy');
SELECT pg_temp.near(pg_temp.imp('crit_e2', f), w, 0, 1e-9, 'entropy depth 2: importance of ' || f)
  FROM (VALUES ('worst_perimeter', 0.7659799673492366), ('worst_concave_points', 0.23402003265076332),
               ('mean_texture', 0)) v(f, w);
SELECT pg_temp.near(pg_temp.imp('crit_l2', 'worst_concave_points'), 0.23402003265076332, 0, 1e-9,
                    'criterion log_loss is entropy (scikit-learn''s other name)');

-- entropy, depth 3: 0.961335676625659
SELECT pg_temp.near(pg_temp.acc('crit_e3'), 0.961335676625659, 0, 1e-9, 'entropy depth 3: accuracy');
SELECT pg_temp.near(pg_temp.imp('crit_e3', f), w, 0, 1e-9, 'entropy depth 3: importance of ' || f)
  FROM (VALUES ('worst_perimeter', 0.700113859096607), ('worst_concave_points', 0.2138968055940545),
               ('worst_texture', 0.06777868298052739), ('mean_texture', 0.0182106523288111)) v(f, w);

-- a criterion of the other task is an error
SELECT throws_ok($$SELECT pg_temp.fit('crit_bad', '{"criterion": "squared_error"}')$$, '22023',
                 'criterion "squared_error" does not apply to decision_tree classification',
                 'squared_error for classes: error');
SELECT is((pg_temp.error_of($$SELECT FROM mldb.train('crit_bad', 'random_forest', 'bcf', 'worst_radius', NULL,
                                                      '{"criterion": "gini"}')$$)).state,
          '22023', 'gini for a regression (random_forest): error');

SELECT * FROM finish();
ROLLBACK;
