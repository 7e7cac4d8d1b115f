-- gradient_boosting with "early_stopping": the hold-out split decides when
-- to stop, by scikit-learn's rule (HistGradientBoosting._should_stop with
-- scoring "loss": stop after round m when none of the last n_iter_no_change
-- rounds has a hold-out loss below the loss n_iter_no_change rounds before
-- them, less tol; round 0 is the constant model).  Checked independently:
--   * each reported hold-out loss is scikit-learn's loss of the model cut
--     at that round, recomputed by mldb.evaluate on the hold-out rows of a
--     model trained with that many rounds and no early stopping (half the
--     MSE for regression, the log-loss for classes); 1e-9 relative;
--   * the early-stopped model is that model: the same predictions (1e-9);
--   * the rule, written here in SQL, fires at the reported round and at no
--     round before it.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(16);
\ir helpers.psql
\ir data_breast_cancer.psql

CREATE TABLE es_diab (age float8, sex float8, bmi float8, bp float8, s1 float8, s2 float8,
                      s3 float8, s4 float8, s5 float8, s6 float8, target float8);
\copy es_diab from 'test/data/diabetes.csv' csv header

CREATE FUNCTION pg_temp.gb(model text, rel text, target text, opts text) RETURNS void LANGUAGE sql AS $$
    SELECT FROM mldb.train(model, 'gradient_boosting', rel, target, NULL,
                           '{"learning_rate": 0.3, "n_estimators": 300}'::jsonb || opts::jsonb)
$$;
-- hold-out loss after each round: 0 = the constant model
CREATE FUNCTION pg_temp.vloss(model text) RETURNS TABLE (m int, loss float8) LANGUAGE sql AS $$
    SELECT 0, (params -> 'early_stopping' ->> 'initial_validation_loss')::float8
      FROM mldb.model_versions WHERE model = $1
    UNION ALL
    SELECT (x ->> 'iteration')::int, (x ->> 'validation_loss')::float8
      FROM mldb.model_versions, jsonb_array_elements(training_info -> 'iterations') x
     WHERE model = $1
$$;
-- scikit-learn's rule at round m, from the reported losses
CREATE FUNCTION pg_temp.stops_at(model text, m int, patience int, tol float8) RETURNS bool LANGUAGE sql AS $$
    SELECT m >= patience AND NOT EXISTS (
        SELECT FROM pg_temp.vloss(model) r, pg_temp.vloss(model) ref
         WHERE ref.m = $2 - $3 AND r.m > $2 - $3 AND r.m <= $2 AND r.loss < ref.loss - $4)
$$;
CREATE FUNCTION pg_temp.n_iter(model text) RETURNS int LANGUAGE sql AS $$
    SELECT pg_temp.param(model, 'n_iter')::int
$$;

-- regression on diabetes (learning rate 0.3 overfits within a few dozen rounds)
SELECT pg_temp.gb('es_r', 'es_diab', 'target', '{"early_stopping": true, "n_iter_no_change": 5}');
SELECT ok(pg_temp.n_iter('es_r') < 300 AND (mldb.describe('es_r') -> 'params' -> 'early_stopping' ->> 'stopped')::bool,
          'regression: stopped before 300 rounds');
SELECT ok(pg_temp.stops_at('es_r', pg_temp.n_iter('es_r'), 5, 1e-7), 'regression: the rule holds at the stop');
SELECT is((SELECT count(*) FROM generate_series(1, pg_temp.n_iter('es_r') - 1) m
            WHERE pg_temp.stops_at('es_r', m, 5, 1e-7)), 0::bigint,
          'regression: ... and at no round before it');
SELECT pg_temp.gb('es_r_cut', 'es_diab', 'target',
                  format('{"n_estimators": %s}', pg_temp.n_iter('es_r')));
SELECT pg_temp.gb('es_r_ref', 'es_diab', 'target',
                  format('{"n_estimators": %s}', pg_temp.n_iter('es_r') - 5));
SELECT pg_temp.near((SELECT loss FROM pg_temp.vloss('es_r') WHERE m = pg_temp.n_iter('es_r')),
                    (mldb.evaluate('es_r_cut') ->> 'mse')::float8 / 2, 1e-9, 0,
                    'regression: hold-out loss at the stop = half the MSE of the model cut there');
SELECT pg_temp.near((SELECT loss FROM pg_temp.vloss('es_r') WHERE m = pg_temp.n_iter('es_r') - 5),
                    (mldb.evaluate('es_r_ref') ->> 'mse')::float8 / 2, 1e-9, 0,
                    'regression: ... and at the reference round');
SELECT is((SELECT max(abs(mldb.predict('es_r', d) - mldb.predict('es_r_cut', d))) FROM es_diab d),
          0::float8, 'regression: the stopped model predicts as the one trained with n_iter rounds');
SELECT is((mldb.describe('es_r_cut') -> 'params' ->> 'n_iter')::int, pg_temp.n_iter('es_r'),
          'without early stopping n_iter is n_estimators');

-- binary classification on breast cancer: the log-loss
SELECT pg_temp.gb('es_c', 'bc', 'diagnosis', '{"early_stopping": true, "n_iter_no_change": 3, "tol": 0.001}');
SELECT ok(pg_temp.n_iter('es_c') < 300, 'classification: stopped before 300 rounds');
SELECT ok(pg_temp.stops_at('es_c', pg_temp.n_iter('es_c'), 3, 0.001)
          AND (SELECT count(*) FROM generate_series(1, pg_temp.n_iter('es_c') - 1) m
                WHERE pg_temp.stops_at('es_c', m, 3, 0.001)) = 0,
          'classification: the rule holds at the stop and not before');
SELECT pg_temp.gb('es_c_cut', 'bc', 'diagnosis', format('{"n_estimators": %s}', pg_temp.n_iter('es_c')));
SELECT pg_temp.near((SELECT loss FROM pg_temp.vloss('es_c') WHERE m = pg_temp.n_iter('es_c')),
                    (mldb.evaluate('es_c_cut') ->> 'log_loss')::float8, 1e-9, 0,
                    'classification: hold-out loss at the stop = the log-loss of the model cut there');
SELECT is((SELECT max(abs((mldb.predict_proba('es_c', b))[2] - (mldb.predict_proba('es_c_cut', b))[2])) FROM bc b),
          0::float8, 'classification: the stopped model is the cut one');

-- bad input
SELECT throws_ok($$SELECT pg_temp.gb('es_bad', 'es_diab', 'target', '{"early_stopping": true, "test_size": 0}')$$,
                 '22023', 'early stopping needs a hold-out split', 'early stopping without a hold-out: error');
SELECT is((pg_temp.error_of($$SELECT pg_temp.gb('es_bad', 'es_diab', 'target', '{"early_stopping": true, "test_size": 0}')$$)).hint,
          'Give test_size > 0 (the default is 0.25): the hold-out rows decide when to stop.', '... with a hint');
SELECT throws_ok($$SELECT pg_temp.gb('es_bad', 'es_diab', 'target', '{"n_iter_no_change": 5}')$$,
                 '22023', 'options "n_iter_no_change" and "tol" apply to early stopping only',
                 'n_iter_no_change without early stopping: error');
SELECT is((pg_temp.error_of($$SELECT pg_temp.gb('es_bad', 'es_diab', 'target', '{"early_stopping": true, "n_iter_no_change": 0}')$$)).state,
          '22023', 'n_iter_no_change 0: out of range');
SELECT is((pg_temp.error_of($$SELECT FROM mldb.train('es_bad', 'random_forest', 'es_diab', 'target', NULL, '{"early_stopping": true}')$$)).state,
          '22023', 'early_stopping is an option of gradient_boosting only');

SELECT * FROM finish();
ROLLBACK;
