-- The feature pipeline, readably: how NULLs and text columns are encoded,
-- what describe() and feature_stats show, and the errors specific to it.
-- (The numbers themselves are checked against statsmodels / scikit-learn in
-- test/pgtap/pipeline_reference.sql; here they are rounded.)
SET client_min_messages = warning;
SET extra_float_digits = 0;

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    st text; msg text; detail text; hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN st || ': ' || msg
        || coalesce(E'\n       detail: ' || nullif(detail, ''), '')
        || E'\n       hint: ' || coalesce(nullif(hint, ''), 'NO HINT');
END
$f$;

-- coefficients of a model, rounded, one per row in name order
CREATE FUNCTION pg_temp.coefs(m text) RETURNS TABLE (term text, coef numeric)
LANGUAGE sql AS $$
    SELECT key, round(value::numeric, 4)
      FROM jsonb_each_text(mldb.describe(m) -> 'params' -> 'coef')
     ORDER BY key
$$;

-- The Palmer penguins: NULLs in the measurements (2 rows) and in sex (11).
CREATE TABLE penguins (
    id                serial,
    species           text,
    island            text,
    bill_length_mm    float8,
    bill_depth_mm     float8,
    flipper_length_mm int,
    body_mass_g       int,
    sex               text,
    year              int
);
\copy penguins (species, island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex, year) FROM 'test/data/penguins.csv' WITH (FORMAT csv, HEADER true, NULL 'NA')
SELECT species, count(*) FROM penguins GROUP BY 1 ORDER BY 2 DESC, 1;
SELECT island, count(*) FROM penguins GROUP BY 1 ORDER BY 2 DESC, 1;
SELECT sex, count(*) FROM penguins GROUP BY 1 ORDER BY 2 DESC, 1;

-- 1. OLS with text columns: one 0/1 column per level named column=value,
--    except the most frequent level of each column, the reference (all
--    zeros): here Adelie, Biscoe and male.  NULL sex is the level __null__.
--    The 2 rows without body_mass_g are skipped.
SELECT model, rows_used, rows_skipped
  FROM mldb.train('pl_ols', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0}');
SELECT * FROM pg_temp.coefs('pl_ols');
SELECT round((mldb.describe('pl_ols') -> 'params' ->> 'r2')::numeric, 6) AS r2,
       mldb.describe('pl_ols') -> 'params' ->> 'solver' AS solver;

-- feature_stats: what the profiling pass saw on the training rows (also
-- the two rows whose target is NULL), kept for drift monitoring
SELECT key AS "column", value ->> 'type' AS type, value -> 'count' AS count,
       value -> 'nulls' AS nulls,
       round((value ->> 'mean')::numeric, 4) AS mean,
       round((value ->> 'std')::numeric, 4) AS std,
       value -> 'min' AS min, value -> 'max' AS max,
       value -> 'distinct' AS distinct, value -> 'counts' AS counts
  FROM mldb.model_versions, jsonb_each(feature_stats->'profile')
 WHERE model = 'pl_ols'
 ORDER BY key;

-- 2. Penalised models keep every level (no reference): species=Adelie,
--    island=Biscoe and sex=male are there; columns are standardised.
SELECT model, rows_used
  FROM mldb.train('pl_ridge', 'ridge', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0, "alpha": 1}');
SELECT * FROM pg_temp.coefs('pl_ridge');
SELECT mldb.describe('pl_ridge') -> 'params' -> 'standardize' AS standardize;

-- 3. max_categories: the most frequent values keep their own column, the
--    others share __other__ (sex: male kept, female is __other__).
SELECT model, rows_used
  FROM mldb.train('pl_max1', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['species', 'island', 'sex'],
                  '{"test_size": 0, "max_categories": 1}');
SELECT * FROM pg_temp.coefs('pl_max1');
SELECT model, rows_used
  FROM mldb.train('pl_max2', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['species', 'island', 'sex'],
                  '{"test_size": 0, "max_categories": 2}');
SELECT * FROM pg_temp.coefs('pl_max2');
-- Chinstrap and Torgersen are now __other__: same prediction either way
SELECT mldb.predict('pl_max2', 'Chinstrap'::text, 'Torgersen'::text, 'female'::text)
     = mldb.predict('pl_max2', 'Rockhopper'::text, 'Anvers'::text, 'female'::text) AS other_is_other;

-- 4. __null__ exists only when NULL occurred in training.  Trained on rows
--    with a sex, a NULL sex at predict time is unseen: all zeros, which for
--    OLS is the reference level (male).
SELECT model, rows_used
  FROM mldb.train('pl_nonull', 'linear_regression',
                  'SELECT * FROM penguins WHERE sex IS NOT NULL', 'body_mass_g',
                  ARRAY['flipper_length_mm', 'species', 'sex'], '{"test_size": 0}');
SELECT * FROM pg_temp.coefs('pl_nonull');
SELECT mldb.predict('pl_nonull', 200, 'Gentoo'::text, NULL::text)
     = mldb.predict('pl_nonull', 200, 'Gentoo'::text, 'male'::text) AS null_sex_is_reference;

-- 5. predict with NULLs and unseen values, never an error
SELECT round(mldb.predict('pl_ols', 45.0::float8, 200, 'Gentoo'::text, 'Dream'::text, 'female'::text)::numeric, 4) AS known,
       round(mldb.predict('pl_ols', 45.0::float8, 200, 'Emperor'::text, 'Dream'::text, 'female'::text)::numeric, 4) AS unseen_species,
       round(mldb.predict('pl_ols', 45.0::float8, 200, 'Adelie'::text, 'Dream'::text, 'female'::text)::numeric, 4) AS reference_species,
       round(mldb.predict('pl_ols', NULL::float8, 200, 'Gentoo'::text, 'Dream'::text, NULL::text)::numeric, 4) AS null_bill_and_sex;
-- a NULL number is the stored training mean
SELECT abs(mldb.predict('pl_ols', NULL::float8, 200, 'Gentoo'::text, 'Dream'::text, 'female'::text)
         - mldb.predict('pl_ols', (SELECT avg(bill_length_mm) FROM penguins WHERE body_mass_g IS NOT NULL),
                        200, 'Gentoo'::text, 'Dream'::text, 'female'::text)) < 1e-9 AS null_is_mean;
-- the whole row (row 4 has no measurement and no sex), and jsonb
SELECT id, round(mldb.predict('pl_ols', p)::numeric, 4) AS predicted
  FROM penguins p WHERE id IN (1, 4, 9) ORDER BY id;
SELECT round(mldb.predict('pl_ols', '{"bill_length_mm": null, "flipper_length_mm": 200, "species": "Emperor",
                                      "island": null, "sex": "female"}'::jsonb)::numeric, 4) AS jsonb_nulls_and_unseen;

-- 6. impute: mean (default), median, zero, drop.  year is never NULL, so
--    the two rows without measurements are imputed, or skipped by drop.
SELECT model, rows_used, rows_skipped,
       round((metrics ->> 'r2')::numeric, 6) AS r2
  FROM (VALUES ('mean'), ('median'), ('zero'), ('drop')) i(rule),
       LATERAL mldb.train('pl_imp_' || rule, 'linear_regression', 'penguins', 'year',
                          ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm',
                                'body_mass_g', 'species', 'island', 'sex'],
                          jsonb_build_object('test_size', 0, 'impute', rule));
SELECT rule, round(mldb.predict('pl_imp_' || rule, NULL::float8, NULL::float8, NULL::int, NULL::int,
                                'Adelie'::text, 'Dream'::text, 'female'::text)::numeric, 4) AS all_measurements_null
  FROM (VALUES ('mean'), ('median'), ('zero'), ('drop')) i(rule);
SELECT options ->> 'impute' AS impute FROM mldb.model_versions WHERE model = 'pl_imp_drop';

-- 7. other categorical types: bool (true/false), enums (their labels),
--    varchar.  features NULL = every other numeric or text-like column.
CREATE TYPE pl_island AS ENUM ('Torgersen', 'Biscoe', 'Dream');
CREATE TABLE penguins_typed AS
SELECT island::pl_island AS island, (sex = 'male') AS male,
       species::varchar(12) AS species, flipper_length_mm, body_mass_g
  FROM penguins;
SELECT model, rows_used
  FROM mldb.train('pl_typed', 'linear_regression', 'penguins_typed', 'body_mass_g', NULL,
                  '{"test_size": 0}');
SELECT mldb.describe('pl_typed') -> 'features' AS features;
SELECT * FROM pg_temp.coefs('pl_typed');
SELECT mldb.predict('pl_typed', 'Dream'::pl_island, true, 'Gentoo'::text, 200)
     = mldb.predict('pl_typed', '{"island": "Dream", "male": true, "species": "Gentoo", "flipper_length_mm": 200}'::jsonb)
       AS enum_bool_and_jsonb_agree;

-- 8. the split: same seed, same hold-out; evaluate() finds it again
SELECT a.rows_used = b.rows_used AND a.metrics = b.metrics AS same_seed_same_metrics,
       a.rows_used + (a.metrics ->> 'n')::int + a.rows_skipped AS rows_total,
       a.metrics ->> 'split' AS split
  FROM mldb.train('pl_split', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['flipper_length_mm', 'species', 'sex'], '{"seed": 7}') a,
       mldb.train('pl_split', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['flipper_length_mm', 'species', 'sex'], '{"seed": 7}') b;
SELECT abs((mldb.evaluate('pl_split') ->> 'r2')::float8 - (metrics ->> 'r2')::float8) < 1e-9 AS evaluate_matches,
       (mldb.evaluate('pl_split') ->> 'n') = metrics ->> 'n' AS same_rows
  FROM mldb.model_versions WHERE model = 'pl_split' AND version = 2;

-- 9. errors specific to the pipeline
CREATE TABLE pl_err AS
SELECT id, body_mass_g, flipper_length_mm, species, NULL::float8 AS empty_num,
       NULL::text AS empty_text
  FROM penguins;
-- a numeric column with no value at all cannot be imputed: by the
-- profile (text column present), by the moments (numeric only), by median
SELECT pg_temp.err($$SELECT model FROM mldb.train('pl_e1', 'linear_regression', 'pl_err', 'body_mass_g', ARRAY['flipper_length_mm', 'species', 'empty_num'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('pl_e1', 'linear_regression', 'pl_err', 'body_mass_g', ARRAY['flipper_length_mm', 'empty_num'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('pl_e1', 'ridge', 'pl_err', 'body_mass_g', ARRAY['flipper_length_mm', 'empty_num'], '{"impute": "median"}')$$);
-- impute drop then leaves no row
SELECT pg_temp.err($$SELECT model FROM mldb.train('pl_e1', 'linear_regression', 'pl_err', 'body_mass_g', ARRAY['flipper_length_mm', 'empty_num'], '{"impute": "drop"}')$$);
-- max_categories must be a positive integer
SELECT pg_temp.err($$SELECT model FROM mldb.train('pl_e1', 'ridge', 'pl_err', 'body_mass_g', ARRAY['species'], '{"max_categories": 2.5}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('pl_e1', 'ridge', 'pl_err', 'body_mass_g', ARRAY['species'], '{"max_categories": "10"}')$$);
-- a column with more distinct values than mldb.max_distinct is an identifier
SET mldb.max_distinct = 2;
SELECT pg_temp.err($$SELECT model FROM mldb.train('pl_e1', 'ridge', 'pl_err', 'body_mass_g', ARRAY['species'])$$);
RESET mldb.max_distinct;
-- a categorical feature cannot travel in a float8[]; it needs a text-like value
SELECT pg_temp.err($$SELECT mldb.predict('pl_ols', ARRAY[45, 200, 1, 2, 3]::float8[])$$);
SELECT pg_temp.err($$SELECT mldb.predict('pl_ols', 45.0::float8, 200, 1, 'Dream'::text, 'female'::text)$$);
-- jsonb must name every feature (null is fine, absent is not)
SELECT pg_temp.err($$SELECT mldb.predict('pl_ols', '{"bill_length_mm": 45, "flipper_length_mm": 200}'::jsonb)$$);
-- evaluate on a relation without a categorical feature
SELECT pg_temp.err($$SELECT mldb.evaluate('pl_ols', 'SELECT body_mass_g, bill_length_mm, flipper_length_mm, species, island FROM penguins')$$);

SELECT count(*) AS dropped FROM mldb.models m, LATERAL mldb.drop_model(m.name) WHERE m.name LIKE 'pl\_%';
DROP TABLE penguins, penguins_typed, pl_err;
DROP TYPE pl_island;
