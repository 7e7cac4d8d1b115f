-- Best-first (leaf-wise) growth: the option max_leaf_nodes grows each tree
-- by splitting the leaf of the largest gain next until the tree has
-- max_leaf_nodes leaves (LightGBM, scikit-learn's HistGradientBoosting);
-- max_depth still caps the depth when given.
--
-- Reference: scikit-learn 1.2.1 (Debian python3-sklearn, run as an
-- oracle; script and output in test/data/REFERENCES.md, section "Tree
-- models grown leaf-wise"), fitted on exactly mldb's training rows
-- (mldb._split_unit(0, target, features...) >= 0.25):
--   HistGradientBoostingRegressor(max_leaf_nodes=31, max_depth=None,
--     early_stopping=False, max_iter=50, max_bins=255) on the table tl_syn
--     below: every tree has 31 leaves, the deepest depth 14; training-row
--     predictions compared to 1e-9 relative (they agree to about 1e-11).
--   HistGradientBoostingClassifier(max_leaf_nodes=8, same otherwise) on
--     breast_cancer: sum of P(malignant) over the training rows to 1e-4
--     relative (observed 3e-5).  scikit-learn's classifier gradients are
--     float32, which moves near-tied splits inside a node; the depth-wise
--     classifier on the same rows differs from scikit-learn by 5e-6 already
--     (max_depth=6), so this is not the growth order (the gains of the
--     leaves competing in scikit-learn's heap are at least 0.9% apart).
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(27);

CREATE TABLE tl_syn AS
SELECT ((i * 37) % 1000) / 10.0::float8 AS x1, ((i * 91) % 997) / 7.0::float8 AS x2,
       (i % 13)::float8 AS x3, ((i * 17) % 29)::float8 AS x4
  FROM generate_series(1, 2000) i;
ALTER TABLE tl_syn ADD COLUMN y float8;
UPDATE tl_syn SET y = x1 * x2 / 100 + (x3 - 6) * (x3 - 6) + CASE WHEN x4 > 14 THEN 20 ELSE 0 END;
\ir data_breast_cancer.psql
CREATE TABLE tl_bc AS SELECT :bc_columns FROM bc ORDER BY id;

CREATE FUNCTION pg_temp.rel(a float8, b float8) RETURNS float8 LANGUAGE sql AS $$ SELECT abs(a - b) / abs(b) $$;
CREATE FUNCTION pg_temp.param(m text, k text) RETURNS float8 LANGUAGE sql AS $$
    SELECT (params->>k)::float8 FROM mldb.model_versions WHERE model = m
$$;

-- A. regression against HistGradientBoostingRegressor(max_leaf_nodes=31)
SELECT lives_ok($$SELECT mldb.train('tl_gb', 'gradient_boosting', 'tl_syn', 'y', NULL,
                  '{"max_leaf_nodes": 31, "n_estimators": 50}')$$,
                'gradient_boosting with max_leaf_nodes 31 (no max_depth: unlimited)');
CREATE TEMP TABLE tl_p AS
SELECT mldb.predict('tl_gb', s) AS p FROM tl_syn s WHERE mldb._split_unit(0, y, x1, x2, x3, x4) >= 0.25;
SELECT is((SELECT count(*) FROM tl_p), 1489::bigint, '1489 training rows, as sklearn');
SELECT ok(pg_temp.rel((SELECT sum(p) FROM tl_p), 88017.381714668503) < 1e-9,
          'training rows: sum of predictions = sklearn (1e-9)');
SELECT ok(pg_temp.rel((SELECT sum(p * p) FROM tl_p), 6979486.8097520396) < 1e-9,
          'training rows: sum of squared predictions = sklearn (1e-9)');
SELECT ok(abs(pg_temp.param('tl_gb', 'max_leaves') - 31) = 0 AND pg_temp.param('tl_gb', 'n_nodes') = 50 * 61,
          'every tree has 31 leaves (61 nodes), as sklearn''s');
SELECT is(pg_temp.param('tl_gb', 'depth'), 14::float8, 'deepest leaf at depth 14, as sklearn');
SELECT ok(abs((metrics->>'r2')::float8 - 0.99106326624976893) < 1e-6, 'hold-out r2 = sklearn (1e-6)')
  FROM mldb.model_versions WHERE model = 'tl_gb';

-- B. classifier against HistGradientBoostingClassifier(max_leaf_nodes=8)
SELECT lives_ok($$SELECT mldb.train('tl_gbc', 'gradient_boosting', 'tl_bc', 'diagnosis', NULL,
                  '{"max_leaf_nodes": 8, "n_estimators": 50}')$$, 'binary gradient_boosting with max_leaf_nodes 8');
CREATE TEMP TABLE tl_c AS
SELECT mldb.predict_proba('tl_gbc', d, 'malignant') AS p, mldb.predict_class('tl_gbc', d) AS c
  FROM tl_bc d
 WHERE mldb._split_unit(0, :bc_split_args) >= 0.25;
SELECT is((SELECT count(*) FROM tl_c), 417::bigint, '417 training rows, as sklearn');
SELECT ok(pg_temp.rel((SELECT sum(p) FROM tl_c), 154.0853346908761) < 1e-4,
          'training rows: sum of P(malignant) = sklearn (1e-4)');
SELECT is((SELECT count(*) FROM tl_c WHERE c = 'malignant'), 154::bigint, '154 predicted malignant, as sklearn');
SELECT ok(abs((metrics->>'accuracy')::float8 - 0.96710526315789469) <= 0.02, 'hold-out accuracy within 0.02 of sklearn')
  FROM mldb.model_versions WHERE model = 'tl_gbc';
SELECT ok(pg_temp.param('tl_gbc', 'max_leaves') = 8 AND pg_temp.param('tl_gbc', 'n_nodes') <= 50 * 15,
          'every tree has at most 8 leaves');

-- C. max_depth still caps; a large limit is depth-wise growth
SELECT lives_ok($$SELECT mldb.train('tl_gb3', 'gradient_boosting', 'tl_syn', 'y', NULL,
                  '{"max_leaf_nodes": 31, "max_depth": 3, "n_estimators": 20}')$$, 'max_leaf_nodes 31 and max_depth 3');
SELECT ok(pg_temp.param('tl_gb3', 'depth') = 3 AND pg_temp.param('tl_gb3', 'max_leaves') = 8,
          'depth 3 caps the trees at 8 leaves');
SELECT lives_ok($$SELECT mldb.train(m, 'gradient_boosting', 'tl_syn', 'y', NULL, o::jsonb)
                    FROM (VALUES ('tl_dw', '{"max_depth": 4, "n_estimators": 20}'),
                                 ('tl_lw', '{"max_depth": 4, "n_estimators": 20, "max_leaf_nodes": 1000}')) v(m, o)$$,
                'depth 4 depth-wise, and best-first with a limit that never binds');
SELECT ok((SELECT max(abs(mldb.predict('tl_dw', s) - mldb.predict('tl_lw', s))) FROM tl_syn s) = 0
          AND pg_temp.param('tl_dw', 'n_nodes') = pg_temp.param('tl_lw', 'n_nodes'),
          'the same trees (other node numbering), the same predictions');

-- D. decision_tree and random_forest
SELECT lives_ok($$SELECT mldb.train('tl_dt', 'decision_tree', 'tl_syn', 'y', NULL, '{"max_leaf_nodes": 5}')$$,
                'decision_tree with max_leaf_nodes 5');
SELECT ok(pg_temp.param('tl_dt', 'max_leaves') = 5 AND pg_temp.param('tl_dt', 'n_nodes') = 9, 'a tree of 5 leaves');
SELECT lives_ok($$SELECT mldb.train('tl_rf', 'random_forest', 'tl_bc', 'diagnosis', NULL,
                  '{"max_leaf_nodes": 10, "n_estimators": 20}')$$, 'random_forest with max_leaf_nodes 10');
SELECT ok(pg_temp.param('tl_rf', 'max_leaves') <= 10 AND pg_temp.param('tl_rf', 'n_nodes') <= 20 * 19,
          'every tree has at most 10 leaves');

-- E. explanations still add up (TreeSHAP over the renumbered trees)
SELECT ok((SELECT max(abs((mldb.explain(m, s)->>'prediction')::float8 - mldb.predict(m, s))) FROM tl_syn s
            WHERE x3 < 3) < 1e-6,
          m || ': base value + contributions = predict')
  FROM unnest(ARRAY['tl_gb', 'tl_dt']) m;
SELECT ok((SELECT max(abs((mldb.explain('tl_gbc', b)->>'prediction')::float8 - ln(p / (1 - p))))
             FROM (SELECT b, mldb.predict_proba('tl_gbc', b, mldb.predict_class('tl_gbc', b)) AS p
                     FROM tl_bc b) s) < 1e-6,
          'binary gradient_boosting: explanation = log-odds of the predicted class');
SELECT ok((SELECT max(abs((mldb.explain('tl_rf', b)->>'prediction')::float8
                          - mldb.predict_proba('tl_rf', b, mldb.predict_class('tl_rf', b)))) FROM tl_bc b) < 1e-6,
          'random_forest: explanation = probability of the predicted class');

-- F. bad values
SELECT throws_ok($$SELECT mldb.train('e', 'gradient_boosting', 'tl_syn', 'y', NULL, '{"max_leaf_nodes": 1}')$$,
                 '22023', 'option "max_leaf_nodes" is out of range: 1', 'max_leaf_nodes 1');
SELECT throws_ok($$SELECT mldb.train('e', 'decision_tree', 'tl_syn', 'y', NULL, '{"max_leaf_nodes": 2.5}')$$,
                 '22023', 'option "max_leaf_nodes" must be an integer', 'max_leaf_nodes 2.5');

SELECT * FROM finish();
ROLLBACK;
