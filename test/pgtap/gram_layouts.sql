-- gram_layouts.sql: the moments pass gives the same model and profile
-- whatever the layout of the row, and whatever the batch size.
--
-- The pass has fast paths for the usual layouts (numeric columns side by
-- side in the encoded row, their missing flags side by side, src/gram.c
-- dyn_range and dense_update) and general ones for the others (a text
-- column between numeric ones), and folds rows in by batches of up to 1024
-- (gram_batch_rows).  References, not mldb's own output:
--
--   A  the profile of each numeric column (count, NULLs, min, max exactly;
--      mean and population std to 1e-12 relative) against PostgreSQL's own
--      aggregates over the same rows, with text columns between the numeric
--      ones (general path) and after them (fast path); the coefficients of
--      the two trainings agree to 1e-9 relative (the same OLS, columns in
--      another order)
--   B  the widest row a training takes (97 arguments: the target and 96
--      numeric features), 5000 rows (five batches, the last one partial),
--      y an exact linear function of them with integer coefficients: OLS
--      recovers every coefficient and the intercept to 1e-9 (a closed
--      form: the residuals are zero)
--   C  a text column of 600 levels (more one-hot slots than the sparse mode
--      takes: the dense mode, rows of 602 doubles, batches of 217 rows) and
--      y an exact function of the level and of x: OLS with drop-first
--      coding recovers 0.5 k for level k against the reference level L000,
--      2 for x and the intercept, to 1e-9
--
-- Run from the repository root: pg_prove -d DB test/pgtap/gram_layouts.sql

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;

SELECT plan(34);

SET LOCAL client_min_messages = warning;

\ir helpers.psql

-- ---------------------------------------------------------------------------
-- A. Layouts of the dynamic (text columns) moments pass
-- ---------------------------------------------------------------------------

\ir data_penguins.psql

-- The rows with a target: the profile then covers exactly these rows.
-- The two rows without measurements keep their NULLs (impute mean).
CREATE TABLE pt AS SELECT * FROM penguins WHERE body_mass_g IS NOT NULL;
SELECT is((SELECT count(*) FROM pt WHERE bill_length_mm IS NULL), 0::bigint,
          'pt: no row without measurements left (the target was NULL there)');
-- Missing values in the numeric columns, so that their flags are exercised:
UPDATE pt SET bill_depth_mm = NULL WHERE year = 2008 AND species = 'Gentoo';
UPDATE pt SET flipper_length_mm = NULL WHERE year = 2009 AND island = 'Dream';
SELECT ok((SELECT count(*) FILTER (WHERE bill_depth_mm IS NULL) > 0
              AND count(*) FILTER (WHERE flipper_length_mm IS NULL) > 0 FROM pt),
          'pt: NULLs in two numeric columns');

-- Text columns between the numeric ones, and after them.
SELECT ok(version = 1, 'interleaved: trains')
  FROM mldb.train('gl_inter', 'linear_regression', 'pt', 'body_mass_g',
                  ARRAY['bill_length_mm', 'species', 'bill_depth_mm', 'island',
                        'flipper_length_mm', 'sex'],
                  '{"test_size": 0}');
SELECT ok(version = 1, 'numeric first: trains')
  FROM mldb.train('gl_lead', 'linear_regression', 'pt', 'body_mass_g',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm',
                        'species', 'island', 'sex'],
                  '{"test_size": 0}');

-- The reference: PostgreSQL's aggregates per numeric column.
CREATE TEMP TABLE ref_profile AS
SELECT c AS col,
       count(v) AS n, count(*) - count(v) AS nulls,
       min(v) AS vmin, max(v) AS vmax, avg(v) AS mean, stddev_pop(v) AS std
  FROM pt, LATERAL (VALUES ('bill_length_mm', bill_length_mm),
                           ('bill_depth_mm', bill_depth_mm),
                           ('flipper_length_mm', flipper_length_mm::float8)) t(c, v)
 GROUP BY c;

CREATE FUNCTION pg_temp.profile(model text, col text)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT feature_stats -> 'profile' -> col
      FROM mldb.model_versions WHERE model = $1 AND version = 1
$$;

-- 2 models x 3 columns x (count, nulls, min, max exact; mean, std): 36 - 6
SELECT is(((pg_temp.profile(m, r.col) ->> 'count')::float8,
           (pg_temp.profile(m, r.col) ->> 'nulls')::float8,
           (pg_temp.profile(m, r.col) ->> 'min')::float8,
           (pg_temp.profile(m, r.col) ->> 'max')::float8),
          (r.n::float8, r.nulls::float8, r.vmin, r.vmax),
          format('%s %s: count, NULLs, min and max as SQL has them', m, r.col))
  FROM ref_profile r, (VALUES ('gl_inter'), ('gl_lead')) t(m)
 ORDER BY m, r.col;
SELECT pg_temp.near((pg_temp.profile(m, r.col) ->> 'mean')::float8, r.mean::float8, 1e-12, 0,
                    format('%s %s: mean as avg()', m, r.col))
  FROM ref_profile r, (VALUES ('gl_inter'), ('gl_lead')) t(m)
 ORDER BY m, r.col;
SELECT pg_temp.near((pg_temp.profile(m, r.col) ->> 'std')::float8, r.std::float8, 1e-12, 0,
                    format('%s %s: std as stddev_pop()', m, r.col))
  FROM ref_profile r, (VALUES ('gl_inter'), ('gl_lead')) t(m)
 ORDER BY m, r.col;

-- The same OLS in another column order: the same coefficients.
SELECT is((SELECT array_agg(k ORDER BY k)
             FROM jsonb_object_keys(mldb.describe('gl_inter') -> 'params' -> 'coef') k),
          (SELECT array_agg(k ORDER BY k)
             FROM jsonb_object_keys(mldb.describe('gl_lead') -> 'params' -> 'coef') k),
          'the two layouts: the same terms');
SELECT ok(bool_and(abs(a.value::float8 - b.value::float8)
                   <= 1e-9 * greatest(abs(b.value::float8), 1e-300)),
          'the two layouts: every coefficient to 1e-9 relative')
  FROM jsonb_each_text(mldb.describe('gl_inter') -> 'params' -> 'coef') a
  JOIN jsonb_each_text(mldb.describe('gl_lead') -> 'params' -> 'coef') b USING (key);
SELECT pg_temp.near(pg_temp.param('gl_inter', 'r2'), pg_temp.param('gl_lead', 'r2'), 0, 1e-12,
                    'the two layouts: the same r2');

-- ---------------------------------------------------------------------------
-- B. Wide rows over several batches
-- ---------------------------------------------------------------------------

-- x1..x96 uniform in [0, 1) (setseed: reproducible), y = 7 + sum of
-- ((j % 7) - 3) x_j: integer coefficients -3..3, every one present.
SELECT setseed(0.25);
DO $$
BEGIN
    EXECUTE 'CREATE TABLE wide AS SELECT '
         || (SELECT string_agg(format('random() AS x%s', j), ', ' ORDER BY j)
               FROM generate_series(1, 96) j)
         || ' FROM generate_series(1, 5000) OFFSET 0';
    EXECUTE 'ALTER TABLE wide ADD COLUMN y float8';
    EXECUTE 'UPDATE wide SET y = 7 + '
         || (SELECT string_agg(format('(%s) * x%s', (j % 7) - 3, j), ' + ' ORDER BY j)
               FROM generate_series(1, 96) j);
END $$;

SELECT ok(version = 1, 'wide: trains')
  FROM mldb.train('gl_wide', 'linear_regression', 'wide', 'y', NULL, '{"test_size": 0}');
SELECT ok(max(abs(value::float8 - ((substr(key, 2)::int % 7) - 3))) <= 1e-9,
          'wide: the 96 coefficients to 1e-9')
  FROM jsonb_each_text(mldb.describe('gl_wide') -> 'params' -> 'coef')
 WHERE key <> '(intercept)';
SELECT is((SELECT count(*) FROM jsonb_object_keys(mldb.describe('gl_wide') -> 'params' -> 'coef')),
          97::bigint, 'wide: 96 coefficients and the intercept');
SELECT pg_temp.near(pg_temp.param('gl_wide', 'coef', '(intercept)'), 7, 0, 1e-9, 'wide: the intercept');

-- ---------------------------------------------------------------------------
-- C. Many levels: the dense mode with wide rows (small batches)
-- ---------------------------------------------------------------------------

-- Levels L000..L599, five rows each, and L000 five more (the most frequent:
-- the reference level); y = 1 + 0.5 k + 2 x for level k.
SELECT setseed(0.75);
CREATE TABLE many AS
SELECT g, x, 1 + 0.5 * k + 2 * x AS y
  FROM (SELECT k, format('L%s', lpad(k::text, 3, '0')) AS g, random() AS x
          FROM generate_series(0, 599) k, generate_series(1, 5) r
        UNION ALL
        SELECT 0, 'L000', random() FROM generate_series(1, 5)) s;

SELECT ok(version = 1, 'many levels: trains')
  FROM mldb.train('gl_many', 'linear_regression', 'many', 'y', NULL,
                  '{"test_size": 0, "max_categories": 1000}');
SELECT is((SELECT count(*) FROM jsonb_object_keys(mldb.describe('gl_many') -> 'params' -> 'coef')),
          601::bigint, 'many levels: 599 levels besides the reference, x and the intercept');
SELECT ok(max(abs(value::float8 - 0.5 * substr(key, 4)::int)) <= 1e-9,
          'many levels: every level''s coefficient 0.5 k to 1e-9')
  FROM jsonb_each_text(mldb.describe('gl_many') -> 'params' -> 'coef')
 WHERE key LIKE 'g=L%';
SELECT pg_temp.near(pg_temp.param('gl_many', 'coef', 'x'), 2, 0, 1e-9, 'many levels: x');
SELECT pg_temp.near(pg_temp.param('gl_many', 'coef', '(intercept)'), 1, 0, 1e-9,
                    'many levels: the intercept (the reference level''s)');

SELECT * FROM finish();
ROLLBACK;
