-- naive_bayes against scikit-learn 1.2.1 (Debian python3-sklearn, run as an
-- oracle; script /tmp/nbref.py reproduced in test/data/REFERENCES.md,
-- section "naive bayes"):
--   GaussianNB().fit(iris X, y): score 0.96, epsilon_ 3.0955026666666677e-09,
--     predict_proba rows 1, 51, 71, 101, 134 as below;
--   CategoricalNB(alpha=1.0).fit(penguins [island, sex] with NA as its own
--     category, species): score 0.71220930232558144 (245/344), predict_proba
--     rows 1, 153, 301 as below; alpha=0.5 row 1 as below.
-- Tolerance: 1e-9 absolute on probabilities and accuracy, 1e-9 relative on epsilon.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(24);

CREATE TABLE nb_iris (sepal_length float8, sepal_width float8, petal_length float8,
                      petal_width float8, species text);
\copy nb_iris from 'test/data/iris.csv' csv header
ALTER TABLE nb_iris ADD COLUMN id serial;
CREATE TABLE nb_peng (species text, island text, bill_length_mm float8, bill_depth_mm float8,
                      flipper_length_mm float8, body_mass_g float8, sex text, year int);
\copy nb_peng from 'test/data/penguins.csv' csv header null 'NA'
ALTER TABLE nb_peng ADD COLUMN id serial;

CREATE FUNCTION pg_temp.close(a float8[], b float8[], tol float8) RETURNS boolean
LANGUAGE sql AS $$
    SELECT cardinality(a) = cardinality(b)
       AND bool_and(abs(x - y) <= tol) FROM unnest(a, b) AS u(x, y)
$$;

SELECT lives_ok($$SELECT mldb.train('nb_g', 'naive_bayes', 'nb_iris', 'species',
    ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], '{"test_size": 0}')$$,
    'gaussian naive bayes trains on iris');
SELECT is(mldb.classes('nb_g'), ARRAY['setosa', 'versicolor', 'virginica'], 'classes in byte order');
SELECT ok(abs((mldb.describe('nb_g')->'params'->>'epsilon')::float8 - 3.0955026666666677e-09)
          <= 1e-9 * 3.0955026666666677e-09, 'var_smoothing epsilon as sklearn');
SELECT ok(abs((mldb.describe('nb_g')->'metrics'->>'accuracy')::float8 - 0.96) <= 1e-9,
          'training accuracy 0.96 as sklearn');
SELECT ok(pg_temp.close(mldb.predict_proba('nb_g', i),
          ARRAY[1, 1.3578426545097532e-18, 7.1128351163031529e-26], 1e-9), 'iris row 1 probabilities')
  FROM nb_iris i WHERE id = 1;
SELECT ok(pg_temp.close(mldb.predict_proba('nb_g', i),
          ARRAY[3.2138093542663014e-109, 0.80403766553968226, 0.19596233446031797], 1e-9), 'iris row 51')
  FROM nb_iris i WHERE id = 51;
SELECT ok(pg_temp.close(mldb.predict_proba('nb_g', i),
          ARRAY[2.5915380282501682e-130, 0.15449408494388256, 0.84550591505611739], 1e-9), 'iris row 71')
  FROM nb_iris i WHERE id = 71;
SELECT ok(pg_temp.close(mldb.predict_proba('nb_g', i),
          ARRAY[3.2324518072371566e-254, 6.3538103115958551e-11, 0.99999999993646194], 1e-9), 'iris row 101')
  FROM nb_iris i WHERE id = 101;
SELECT ok(pg_temp.close(mldb.predict_proba('nb_g', i),
          ARRAY[2.6838258262863244e-131, 0.71264514421552927, 0.2873548557844709], 1e-9), 'iris row 134')
  FROM nb_iris i WHERE id = 134;
SELECT is(mldb.predict_class('nb_g', i), 'versicolor', 'row 134 predicted versicolor (as sklearn)')
  FROM nb_iris i WHERE id = 134;

-- categorical: NULL sex is its own level, as sklearn's NA category
SELECT lives_ok($$SELECT mldb.train('nb_c', 'naive_bayes', 'nb_peng', 'species',
    ARRAY['island', 'sex'], '{"test_size": 0}')$$, 'categorical naive bayes trains on penguins');
SELECT ok(abs((mldb.describe('nb_c')->'metrics'->>'accuracy')::float8 - 245.0 / 344) <= 1e-9,
          'training accuracy 245/344 as sklearn');
SELECT ok(pg_temp.close(mldb.predict_proba('nb_c', p),
          ARRAY[0.96317151222366859, 0.018326355531756162, 0.018502132244575416], 1e-9),
          'penguins row 1 (Torgersen, male)') FROM nb_peng p WHERE id = 1;
SELECT ok(pg_temp.close(mldb.predict_proba('nb_c', p),
          ARRAY[0.26927714297990452, 0.0060344170989836314, 0.72468843992111176], 1e-9),
          'penguins row 153 (Biscoe, female)') FROM nb_peng p WHERE id = 153;
SELECT ok(pg_temp.close(mldb.predict_proba('nb_c', p),
          ARRAY[0.44688031589342342, 0.54552393321574189, 0.007595750890834977], 1e-9),
          'penguins row 301 (Dream, female)') FROM nb_peng p WHERE id = 301;
SELECT mldb.train('nb_c', 'naive_bayes', 'nb_peng', 'species', ARRAY['island', 'sex'],
                  '{"test_size": 0, "alpha": 0.5, "deploy": "always"}') IS NOT NULL;
SELECT ok(pg_temp.close(mldb.predict_proba('nb_c', p),
          ARRAY[0.98089127119862285, 0.0095692037536379438, 0.0095395250477391981], 1e-9),
          'alpha 0.5 as CategoricalNB(alpha=0.5)') FROM nb_peng p WHERE id = 1;
-- an island never seen contributes nothing: the prior and sex alone decide
SELECT ok(pg_temp.close(mldb.predict_proba('nb_c', '{"island": "Atlantis", "sex": "male"}'::jsonb),
          mldb.predict_proba('nb_c', '{"island": "Atlantis", "sex": "male"}'::jsonb), 0)
          AND abs((SELECT sum(x) FROM unnest(mldb.predict_proba('nb_c', '{"island": "Atlantis", "sex": "male"}'::jsonb)) x) - 1) < 1e-12,
          'unseen category: a valid distribution, no error');

-- diagnostics agree with each other and with the metric aggregates
SELECT is((SELECT sum(count) FROM mldb.confusion_matrix('nb_g', 'nb_iris')), 150::numeric,
          'confusion matrix counts every row');
SELECT ok(abs((SELECT sum(count) FILTER (WHERE actual = predicted) / sum(count) FROM mldb.confusion_matrix('nb_g', 'nb_iris'))
              - (mldb.evaluate('nb_g', 'nb_iris')->>'accuracy')::numeric) < 1e-9,
          'confusion matrix diagonal = evaluate accuracy');
-- the trapezoid area under roc_curve equals the exact roc_auc aggregate
CREATE TABLE nb_bin AS SELECT sepal_length, sepal_width, species = 'virginica' AS is_v FROM nb_iris;
SELECT mldb.train('nb_b', 'naive_bayes', 'nb_bin', 'is_v', NULL, '{"test_size": 0}') IS NOT NULL;
SELECT ok(abs((SELECT sum((fpr - lag_fpr) * (tpr + lag_tpr) / 2)
                 FROM (SELECT fpr, tpr, lag(fpr) OVER w AS lag_fpr, lag(tpr) OVER w AS lag_tpr
                         FROM mldb.roc_curve('nb_b', 'nb_bin') WINDOW w AS (ORDER BY threshold DESC)) c
                WHERE lag_fpr IS NOT NULL)
              - (SELECT mldb.roc_auc(is_v, mldb.predict_proba('nb_b', b, 'true')) FROM nb_bin b)) < 1e-9,
          'area under roc_curve = roc_auc');

-- integer labels: classes in numeric order, predict returns the label itself
CREATE TABLE nb_int AS SELECT sepal_length, petal_length,
       CASE species WHEN 'setosa' THEN 10 WHEN 'versicolor' THEN 2 ELSE 33 END AS label FROM nb_iris;
SELECT mldb.train('nb_i', 'naive_bayes', 'nb_int', 'label', NULL, '{"test_size": 0}') IS NOT NULL;
SELECT is(mldb.classes('nb_i'), ARRAY['2', '10', '33'], 'integer classes in numeric order');
SELECT is(mldb.predict('nb_i', 5.0::float8, 1.4::float8), 10::float8, 'predict returns the integer label');

-- numeric labels are classes by value: 1, 1.0 and 1.00 are one class,
-- also when the evaluated relation has another numeric type
CREATE TABLE nb_num AS SELECT sepal_length, petal_length,
       (CASE species WHEN 'setosa' THEN 1.0 WHEN 'versicolor' THEN 2 ELSE 3.00 END)::numeric AS label
  FROM nb_iris;
UPDATE nb_num SET label = 1 WHERE sepal_length < 5 AND label = 1.0;
SELECT mldb.train('nb_n', 'naive_bayes', 'nb_num', 'label', NULL, '{"test_size": 0}') IS NOT NULL;
SELECT is(mldb.classes('nb_n'), ARRAY['1', '2', '3'], 'one class per numeric value');
SELECT ok(abs((mldb.evaluate('nb_n', 'SELECT sepal_length, petal_length, label::numeric(10,2) AS label FROM nb_num')->>'accuracy')::float8
              - (SELECT avg((mldb.predict('nb_n', sepal_length, petal_length) = label::float8)::int) FROM nb_num)) < 1e-12,
          'evaluate matches labels by value across numeric types');

SELECT * FROM finish();
ROLLBACK;
