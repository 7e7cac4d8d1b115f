-- pgTAP: classification metric aggregates (src/metrics.c, sql/src/30_metrics.sql):
-- accuracy, precision, recall, f1_score, roc_auc, log_loss, _classification_metrics.
--
-- Every expected number comes from outside mldb: scikit-learn's documented
-- examples, cases worked out by hand in the comments, independent plain-SQL
-- computations over the same rows (pair counts, rank sums, count FILTER), and
-- scikit-learn run as an oracle by the script below.
--
-- Oracle (reference only, not a dependency): Debian 12, /usr/bin/python3 3.11,
-- python3-sklearn 1.2.1+dfsg-1, python3-numpy 1:1.24.2-1+deb12u1.
-- ---------------------------------------------------------------------------
-- import warnings
-- import numpy as np
-- from sklearn.metrics import (accuracy_score, precision_score, recall_score,
--                              f1_score, roc_auc_score, log_loss,
--                              classification_report)
-- warnings.simplefilter("ignore")
-- p = lambda name, v: print("%-28s %.17g" % (name, v))
--
-- p("accuracy_doc", accuracy_score([0, 2, 1, 3], [0, 1, 2, 3]))
-- yt, yp = [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]
-- for f in (precision_score, recall_score, f1_score):
--     for c, v in zip([0, 1, 2], f(yt, yp, average=None)):
--         p("%s_doc[%d]" % (f.__name__, c), v)
-- yp0 = [0, 0, 0, 0, 0, 0]
-- for c, v in zip([0, 1, 2], precision_score(yt, yp0, average=None)):
--     p("precision_zero_div[%d]" % c, v)
-- p("roc_auc_doc", roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
-- p("log_loss_doc", log_loss(["spam", "ham", "ham", "spam"],
--                            [[.1, .9], [.9, .1], [.8, .2], [.35, .65]], eps=1e-15))
-- r = classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], output_dict=True)
-- for k in ("0", "1", "2", "macro avg", "weighted avg"):
--     for m in ("precision", "recall", "f1-score"):
--         p("report_doc[%s][%s]" % (k, m), r[k][m])
-- p("report_doc[accuracy]", r["accuracy"])
--
-- # generated cases; the same formulas are in sections 6-8 below
-- i = np.arange(1, 3001)
-- s_int = (i * 37) % 101
-- score = s_int / 100.0
-- label = (s_int + (i * 11) % 53) > 76
-- keep = (i % 97) != 0                     # the test sets score NULL there
-- p("gen_roc_auc", roc_auc_score(label[keep], score[keep]))
-- p("gen_log_loss", log_loss(label[keep], score[keep], eps=1e-15))
--
-- actual = ((i * 13) % 17) % 4
-- pred = (((i * 13) % 17) + (i % 5 == 0) + 2 * (i % 7 == 0)) % 4
-- for f in (precision_score, recall_score, f1_score):
--     for c, v in zip(range(4), f(actual, pred, average=None, labels=[0, 1, 2, 3])):
--         p("gen_%s[%d]" % (f.__name__, c), v)
-- p("gen_accuracy", accuracy_score(actual, pred))
--
-- ta = np.array(["c%d" % a for a in actual], dtype=object)
-- tp = np.array(["zz" if k % 23 == 0 else "c%d" % b for k, b in zip(i, pred)], dtype=object)
-- r = classification_report(ta, tp, output_dict=True)
-- for k in ("c0", "c1", "c2", "c3", "zz", "macro avg", "weighted avg"):
--     for m in ("precision", "recall", "f1-score"):
--         p("gen_report[%s][%s]" % (k, m), r[k][m])
-- p("gen_report[accuracy]", r["accuracy"])
-- ---------------------------------------------------------------------------
-- Output:
--   accuracy_doc                 0.5
--   precision_score_doc[0]       0.66666666666666663
--   precision_score_doc[1]       0
--   precision_score_doc[2]       0
--   recall_score_doc[0]          1
--   recall_score_doc[1]          0
--   recall_score_doc[2]          0
--   f1_score_doc[0]              0.80000000000000004
--   f1_score_doc[1]              0
--   f1_score_doc[2]              0
--   precision_zero_div[0]        0.33333333333333331
--   precision_zero_div[1]        0
--   precision_zero_div[2]        0
--   roc_auc_doc                  0.75
--   log_loss_doc                 0.21616187468057912
--   report_doc[0][precision]     0.5
--   report_doc[0][recall]        1
--   report_doc[0][f1-score]      0.66666666666666663
--   report_doc[1][precision]     0
--   report_doc[1][recall]        0
--   report_doc[1][f1-score]      0
--   report_doc[2][precision]     1
--   report_doc[2][recall]        0.66666666666666663
--   report_doc[2][f1-score]      0.80000000000000004
--   report_doc[macro avg][precision] 0.5
--   report_doc[macro avg][recall] 0.55555555555555547
--   report_doc[macro avg][f1-score] 0.48888888888888893
--   report_doc[weighted avg][precision] 0.69999999999999996
--   report_doc[weighted avg][recall] 0.59999999999999998
--   report_doc[weighted avg][f1-score] 0.6133333333333334
--   report_doc[accuracy]         0.59999999999999998
--   gen_roc_auc                  0.95392668305042705
--   gen_log_loss                 0.35179534889935904
--   gen_precision_score[0]       0.73090909090909095
--   gen_precision_score[1]       0.65943012211668928
--   gen_precision_score[2]       0.66712517193947729
--   gen_precision_score[3]       0.67932489451476796
--   gen_recall_score[0]          0.68522727272727268
--   gen_recall_score[1]          0.68644067796610164
--   gen_recall_score[2]          0.68502824858757061
--   gen_recall_score[3]          0.68607954545454541
--   gen_f1_score[0]              0.70733137829912029
--   gen_f1_score[1]              0.67266435986159168
--   gen_f1_score[2]              0.67595818815331021
--   gen_f1_score[3]              0.6826855123674912
--   gen_accuracy                 0.68566666666666665
--   gen_report[c0][precision]    0.73164556962025318
--   gen_report[c0][recall]       0.65681818181818186
--   gen_report[c0][f1-score]     0.69221556886227542
--   gen_report[c1][precision]    0.66002844950213369
--   gen_report[c1][recall]       0.65536723163841804
--   gen_report[c1][f1-score]     0.65768958185683912
--   gen_report[c2][precision]    0.66762589928057559
--   gen_report[c2][recall]       0.65536723163841804
--   gen_report[c2][f1-score]     0.66143977191731995
--   gen_report[c3][precision]    0.67741935483870963
--   gen_report[c3][recall]       0.65625
--   gen_report[c3][f1-score]     0.66666666666666674
--   gen_report[zz][precision]    0
--   gen_report[zz][recall]       0
--   gen_report[zz][f1-score]     0
--   gen_report[macro avg][precision] 0.54734385464833435
--   gen_report[macro avg][recall] 0.52476052901900361
--   gen_report[macro avg][f1-score] 0.53560231786062018
--   gen_report[weighted avg][precision] 0.68691020200347752
--   gen_report[weighted avg][recall] 0.65600000000000003
--   gen_report[weighted avg][f1-score] 0.67080887213474671
--   gen_report[accuracy]         0.65600000000000003
-- ---------------------------------------------------------------------------
\set ON_ERROR_STOP 1

BEGIN;
SELECT plan(107);

-- ---------------------------------------------------------------------------
-- 1. scikit-learn's documented examples
--    (https://scikit-learn.org/stable/modules/generated/sklearn.metrics.<name>.html)
-- ---------------------------------------------------------------------------

-- accuracy_score([0, 2, 1, 3], [0, 1, 2, 3]) = 0.5: pairs 1 and 4 agree, 2/4.
SELECT ok(abs(mldb.accuracy(a, p) - 0.5) < 1e-9, 'accuracy: sklearn accuracy_score example = 0.5')
  FROM (VALUES (0, 0), (2, 1), (1, 2), (3, 3)) v(a, p);

-- precision_score / recall_score / f1_score docstrings, average=None, i.e. one
-- value per class = our one-vs-rest metric with that class as positive:
--   y_true = (0, 1, 2, 0, 1, 2), y_pred = (0, 2, 1, 0, 0, 1)
--   class 0: actual at rows 1, 4; predicted at rows 1, 4, 5 -> tp 2, fp 1, fn 0
--            precision 2/3, recall 1, f1 = 2*2/(2*2 + 1 + 0) = 0.8
--   class 1: actual at 2, 5; predicted at 3, 6 -> tp 0 -> 0, 0, 0
--   class 2: actual at 3, 6; predicted at 2    -> tp 0 -> 0, 0, 0
CREATE TEMP TABLE sk3 (i int, a int, p int);
INSERT INTO sk3 VALUES (1, 0, 0), (2, 1, 2), (3, 2, 1), (4, 0, 0), (5, 1, 0), (6, 2, 1);

SELECT ok(abs(mldb.precision(a, p, 0) - 0.66666666666666663) < 1e-9, 'precision: sklearn docstring, class 0 = 2/3') FROM sk3;
SELECT ok(abs(mldb.precision(a, p, 1) - 0) < 1e-9, 'precision: sklearn docstring, class 1 = 0') FROM sk3;
SELECT ok(abs(mldb.precision(a, p, 2) - 0) < 1e-9, 'precision: sklearn docstring, class 2 = 0') FROM sk3;
SELECT ok(abs(mldb.recall(a, p, 0) - 1) < 1e-9, 'recall: sklearn docstring, class 0 = 1') FROM sk3;
SELECT ok(abs(mldb.recall(a, p, 1) - 0) < 1e-9, 'recall: sklearn docstring, class 1 = 0') FROM sk3;
SELECT ok(abs(mldb.recall(a, p, 2) - 0) < 1e-9, 'recall: sklearn docstring, class 2 = 0') FROM sk3;
SELECT ok(abs(mldb.f1_score(a, p, 0) - 0.80000000000000004) < 1e-9, 'f1_score: sklearn docstring, class 0 = 0.8') FROM sk3;
SELECT ok(abs(mldb.f1_score(a, p, 1) - 0) < 1e-9, 'f1_score: sklearn docstring, class 1 = 0') FROM sk3;
SELECT ok(abs(mldb.f1_score(a, p, 2) - 0) < 1e-9, 'f1_score: sklearn docstring, class 2 = 0') FROM sk3;

-- zero_division docstring example: y_pred = (0, 0, 0, 0, 0, 0)
--   class 0: tp 2, fp 4 -> precision 1/3
--   class 1: nothing predicted, tp + fp = 0 -> 0/0 -> 0.0 (zero_division="warn")
SELECT ok(abs(mldb.precision(a, 0, 0) - 0.33333333333333331) < 1e-9, 'precision: zero_division example, class 0 = 1/3') FROM sk3;
SELECT is(mldb.precision(a, 0, 1), 0::float8, 'precision: nothing predicted positive gives 0 (sklearn zero_division default)') FROM sk3;

-- roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75 (user guide):
--   pairs (pos, neg): (0.35, 0.1) 1, (0.35, 0.4) 0, (0.8, 0.1) 1, (0.8, 0.4) 1 -> 3/4
SELECT ok(abs(mldb.roc_auc(l, s) - 0.75) < 1e-9, 'roc_auc: sklearn example = 0.75')
  FROM (VALUES (false, 0.1::float8), (false, 0.4), (true, 0.35), (true, 0.8)) v(l, s);

-- log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
--   = 0.21616...: with label = (y = 'spam') and p = P(spam) = the second column,
--   -(ln 0.9 + ln 0.9 + ln 0.8 + ln 0.65) / 4 = 0.21616187468057912
SELECT ok(abs(mldb.log_loss(y = 'spam', p) - 0.21616187468057912) < 1e-9, 'log_loss: sklearn docstring example = 0.21616187468057912')
  FROM (VALUES ('spam', 0.9::float8), ('ham', 0.1), ('ham', 0.2), ('spam', 0.65)) v(y, p);
SELECT ok(abs(mldb.log_loss(y = 'spam', p) - (-(ln(0.9) + ln(0.9) + ln(0.8) + ln(0.65)) / 4)) < 1e-9,
          'log_loss: sklearn docstring example matches the closed form')
  FROM (VALUES ('spam', 0.9::float8), ('ham', 0.1), ('ham', 0.2), ('spam', 0.65)) v(y, p);

-- classification_report docstring: y_true = (0, 1, 2, 2, 2), y_pred = (0, 0, 2, 2, 1)
--   class 0: support 1, predicted 2, tp 1 -> P 0.5, R 1, F1 2/3
--   class 1: support 1, predicted 1, tp 0 -> 0, 0, 0
--   class 2: support 3, predicted 2, tp 2 -> P 1, R 2/3, F1 0.8
--   accuracy 3/5; macro P (0.5+0+1)/3 = 0.5, R 5/9, F1 (2/3+0.8)/3 = 22/45;
--   weighted P (0.5+0+3)/5 = 0.7, R 0.6, F1 (2/3 + 2.4)/5 = 0.61333...
CREATE TEMP TABLE rep AS
SELECT mldb._classification_metrics(a::text, p::text) AS m
  FROM (VALUES (0, 0), (1, 0), (2, 2), (2, 2), (2, 1)) v(a, p);

SELECT is(m - 'n' - 'accuracy' - 'classes' - 'per_class' - 'macro' - 'weighted', '{}'::jsonb,
          '_classification_metrics: keys n, accuracy, classes, per_class, macro, weighted') FROM rep;
SELECT is(m -> 'n', '5'::jsonb, '_classification_metrics: n = 5') FROM rep;
SELECT is(m -> 'classes', '["0", "1", "2"]'::jsonb, '_classification_metrics: classes sorted by text') FROM rep;
SELECT ok(abs((m ->> 'accuracy')::float8 - 0.59999999999999998) < 1e-9, 'report: accuracy = 0.6 (sklearn)') FROM rep;
SELECT ok(abs((m #>> '{per_class,0,precision}')::float8 - 0.5) < 1e-9
          AND abs((m #>> '{per_class,0,recall}')::float8 - 1) < 1e-9
          AND abs((m #>> '{per_class,0,f1}')::float8 - 0.66666666666666663) < 1e-9
          AND (m #>> '{per_class,0,support}')::int = 1,
          'report: class 0 precision 0.5, recall 1, f1 2/3, support 1 (sklearn)') FROM rep;
SELECT ok(abs((m #>> '{per_class,1,precision}')::float8) < 1e-9
          AND abs((m #>> '{per_class,1,recall}')::float8) < 1e-9
          AND abs((m #>> '{per_class,1,f1}')::float8) < 1e-9
          AND (m #>> '{per_class,1,support}')::int = 1,
          'report: class 1 precision 0, recall 0, f1 0, support 1 (sklearn)') FROM rep;
SELECT ok(abs((m #>> '{per_class,2,precision}')::float8 - 1) < 1e-9
          AND abs((m #>> '{per_class,2,recall}')::float8 - 0.66666666666666663) < 1e-9
          AND abs((m #>> '{per_class,2,f1}')::float8 - 0.80000000000000004) < 1e-9
          AND (m #>> '{per_class,2,support}')::int = 3,
          'report: class 2 precision 1, recall 2/3, f1 0.8, support 3 (sklearn)') FROM rep;
SELECT ok(abs((m #>> '{macro,precision}')::float8 - 0.5) < 1e-9
          AND abs((m #>> '{macro,recall}')::float8 - 0.55555555555555547) < 1e-9
          AND abs((m #>> '{macro,f1}')::float8 - 0.48888888888888893) < 1e-9,
          'report: macro avg 0.5, 5/9, 22/45 (sklearn)') FROM rep;
SELECT ok(abs((m #>> '{weighted,precision}')::float8 - 0.69999999999999996) < 1e-9
          AND abs((m #>> '{weighted,recall}')::float8 - 0.59999999999999998) < 1e-9
          AND abs((m #>> '{weighted,f1}')::float8 - 0.6133333333333334) < 1e-9,
          'report: weighted avg 0.7, 0.6, 0.61333 (sklearn)') FROM rep;

-- ---------------------------------------------------------------------------
-- 2. roc_auc with ties, by hand.  AUC = P(score_pos > score_neg) + 1/2 P(equal)
--    over all (positive, negative) pairs, which is the area of the ROC curve
--    through every threshold joined by straight lines (sklearn's trapezoids).
-- ---------------------------------------------------------------------------

-- positives 0.5, 0.5, 0.9; negatives 0.5, 0.1, 0.9 (P = N = 3, 9 pairs):
--   pos 0.5 vs neg (0.5, 0.1, 0.9): 1/2 + 1 + 0 = 1.5, twice       -> 3
--   pos 0.9 vs neg (0.5, 0.1, 0.9): 1 + 1 + 1/2                    -> 2.5
--   AUC = 5.5 / 9 = 11/18
-- Trapezoids: thresholds 0.9, 0.5, 0.1 give (fpr, tpr) = (1/3, 1/3), (1, 2/3)...
--   sorted by fpr: (0,0) (1/3,1/3) (2/3,1) (1,1):
--   1/3 * (0 + 1/3)/2 + 1/3 * (1/3 + 1)/2 + 1/3 * 1 = 1/18 + 4/18 + 6/18 = 11/18
SELECT ok(abs(mldb.roc_auc(l, s) - 11.0 / 18) < 1e-9, 'roc_auc: ties across classes count 1/2, = 11/18')
  FROM (VALUES (true, 0.5::float8), (true, 0.5), (true, 0.9),
               (false, 0.5), (false, 0.1), (false, 0.9)) v(l, s);

-- every score equal: each pair ties -> 1/2
SELECT ok(abs(mldb.roc_auc(l, 0.3) - 0.5) < 1e-9, 'roc_auc: constant score = 0.5')
  FROM (VALUES (true), (false), (false), (true), (true)) v(l);

-- perfect ranking 1, reversed 0 (ties only within a class do not matter)
SELECT ok(abs(mldb.roc_auc(l, s) - 1) < 1e-9, 'roc_auc: perfect ranking = 1')
  FROM (VALUES (false, 0.1::float8), (false, 0.2), (false, 0.2), (true, 0.7), (true, 0.7), (true, 0.9)) v(l, s);
SELECT ok(abs(mldb.roc_auc(l, s) - 0) < 1e-9, 'roc_auc: reversed ranking = 0')
  FROM (VALUES (true, 0.1::float8), (true, 0.2), (false, 0.7), (false, 0.9)) v(l, s);

-- positives 1, 2, 2; negatives 2, 2, 3, 0 (P = 3, N = 4, 12 pairs):
--   pos 1 vs (2, 2, 3, 0): 0 + 0 + 0 + 1         = 1
--   pos 2 vs (2, 2, 3, 0): 1/2 + 1/2 + 0 + 1 = 2, twice = 4
--   AUC = 5 / 12
SELECT ok(abs(mldb.roc_auc(l, s) - 5.0 / 12) < 1e-9, 'roc_auc: several tied pairs, = 5/12')
  FROM (VALUES (true, 1::float8), (true, 2), (true, 2), (false, 2), (false, 2), (false, 3), (false, 0)) v(l, s);

-- Input order that makes the state compact itself when full (8 entries) and
-- then receive a smaller score: scores 8, 7, ..., 1, 0.5 arrive in this order.
--   positives 8, 6, 4, 2, 0.5; negatives 7, 5, 3, 1 (P = 5, N = 4, 20 pairs)
--   pos 8 beats 4, pos 6 beats 3, pos 4 beats 2, pos 2 beats 1, pos 0.5 none
--   AUC = 10/20 = 0.5 (an unsorted state would rank 0.5 last: 14/20)
SELECT ok(abs(mldb.roc_auc(l, s) - 0.5) < 1e-9, 'roc_auc: a smaller score right after the state compacts itself, = 1/2')
  FROM (VALUES (true, 8::float8), (false, 7), (true, 6), (false, 5), (true, 4),
               (false, 3), (true, 2), (false, 1), (true, 0.5)) v(l, s);

-- only the order of the scores matters: infinities and -0 = 0 are fine
--   positives +inf, 0; negatives -0, -inf: (inf,-0) 1, (inf,-inf) 1, (0,-0) 1/2, (0,-inf) 1 -> 3.5/4
SELECT ok(abs(mldb.roc_auc(l, s) - 0.875) < 1e-9, 'roc_auc: infinite scores rank at the ends, -0 ties with 0, = 7/8')
  FROM (VALUES (true, 'Infinity'::float8), (true, 0), (false, '-0'), (false, '-Infinity')) v(l, s);

-- ---------------------------------------------------------------------------
-- 3. accuracy on labels of several types; equality is the type's own
-- ---------------------------------------------------------------------------
SELECT ok(abs(mldb.accuracy(a, p) - 2.0 / 3) < 1e-9, 'accuracy: text labels (case matters), 2/3')
  FROM (VALUES ('spam', 'spam'), ('ham', 'ham'), ('ham', 'Ham')) v(a, p);
SELECT ok(abs(mldb.accuracy(a, p) - 0.75) < 1e-9, 'accuracy: bool labels, 3/4')
  FROM (VALUES (true, true), (false, false), (true, false), (false, false)) v(a, p);
SELECT ok(abs(mldb.accuracy(a, p) - 0.4) < 1e-9, 'accuracy: bigint labels, 2/5')
  FROM (VALUES (1::bigint, 1::bigint), (2, 3), (3, 3), (4, 1), (5, 0)) v(a, p);
SELECT is(mldb.accuracy(a, p), 1::float8, 'accuracy: numeric 1.0 = 1.00 and float8 0 = -0 by the type''s equality, not by bytes')
  FROM (VALUES (1.0::numeric, 1.00::numeric), (2.50, 2.5)) v(a, p);
SELECT is(mldb.accuracy(0::float8, '-0'::float8), 1::float8, 'accuracy: float8 0 = -0');
SELECT ok(abs(mldb.accuracy(a, p) - 0.5) < 1e-9, 'accuracy: an int4 label against an int8 prediction (common type)')
  FROM (VALUES (1, 1::bigint), (2, 3)) v(a, p);
SELECT ok(abs(mldb.accuracy(a, p) - 0.5) < 1e-9, 'accuracy: array labels')
  FROM (VALUES (ARRAY[1, 2], ARRAY[1, 2]), (ARRAY[1], ARRAY[2])) v(a, p);
SELECT ok(abs(mldb.accuracy(a, p) - 0.5) < 1e-9, 'accuracy: composite labels')
  FROM (VALUES (ROW(1, 'x'::text), ROW(1, 'x'::text)), (ROW(1, 'x'::text), ROW(2, 'x'::text))) v(a, p);

-- NULL pairs are skipped: (1,1) (NULL,1) (2,NULL) (NULL,NULL) (3,4) -> 1 of 2
SELECT ok(abs(mldb.accuracy(a, p) - 0.5) < 1e-9, 'accuracy: pairs with a NULL are skipped')
  FROM (VALUES (1, 1), (NULL, 1), (2, NULL), (NULL, NULL), (3, 4)) v(a, p);
SELECT is(mldb.accuracy(a, p), NULL, 'accuracy: only NULL pairs gives NULL')
  FROM (VALUES (NULL::int, 1), (2, NULL)) v(a, p);
SELECT is(mldb.accuracy(a, p), NULL, 'accuracy: no rows gives NULL') FROM sk3 v(i, a, p) WHERE false;

-- ---------------------------------------------------------------------------
-- 4. precision / recall / f1_score, hand-computed
-- ---------------------------------------------------------------------------
-- text labels, positive 'spam':
--   (spam,spam) tp, (spam,spam) tp, (spam,ham) fn, (ham,spam) fp, (ham,ham) tn,
--   (ham,ham) tn, (NULL,spam) skipped, (spam,NULL) skipped
--   tp 2, fp 1, fn 1 -> precision 2/3, recall 2/3, f1 4/6
CREATE TEMP TABLE mail (a text, p text);
INSERT INTO mail VALUES ('spam', 'spam'), ('spam', 'spam'), ('spam', 'ham'), ('ham', 'spam'),
                        ('ham', 'ham'), ('ham', 'ham'), (NULL, 'spam'), ('spam', NULL);
SELECT ok(abs(mldb.precision(a, p, 'spam') - 2.0 / 3) < 1e-9, 'precision: text labels, tp 2 fp 1 -> 2/3') FROM mail;
SELECT ok(abs(mldb.recall(a, p, 'spam') - 2.0 / 3) < 1e-9, 'recall: text labels, tp 2 fn 1 -> 2/3') FROM mail;
SELECT ok(abs(mldb.f1_score(a, p, 'spam') - 2.0 / 3) < 1e-9, 'f1_score: text labels, 4/6') FROM mail;
-- the other class as positive: tp 2 (ham,ham), fp 1 (spam,ham), fn 1 (ham,spam)
SELECT ok(abs(mldb.precision(a, p, 'ham') - 2.0 / 3) < 1e-9, 'precision: the other class as positive, 2/3') FROM mail;

-- bool labels, positive true: (t,t) (t,t) (t,t) (t,f) (f,t) (f,f) (f,f) (f,f)
--   tp 3, fn 1, fp 1 -> precision 3/4, recall 3/4, f1 3/4
--   positive false: tp 3 (f,f), fn 1 (f,t), fp 1 (t,f) -> 3/4 as well
-- and a skewed one: (t,t) (t,f) (t,f) (f,t) (f,f): tp 1, fn 2, fp 1
--   precision 1/2, recall 1/3, f1 = 2*1/(2 + 1 + 2) = 2/5 (= 2PR/(P+R) = (1/3)/(5/6))
SELECT ok(abs(mldb.precision(a, p, true) - 0.75) < 1e-9 AND abs(mldb.recall(a, p, true) - 0.75) < 1e-9,
          'precision/recall: bool labels, 3/4')
  FROM (VALUES (true, true), (true, true), (true, true), (true, false), (false, true),
               (false, false), (false, false), (false, false)) v(a, p);
SELECT ok(abs(mldb.precision(a, p, true) - 0.5) < 1e-9, 'precision: skewed case tp 1 fp 1 = 1/2')
  FROM (VALUES (true, true), (true, false), (true, false), (false, true), (false, false)) v(a, p);
SELECT ok(abs(mldb.recall(a, p, true) - 1.0 / 3) < 1e-9, 'recall: skewed case tp 1 fn 2 = 1/3')
  FROM (VALUES (true, true), (true, false), (true, false), (false, true), (false, false)) v(a, p);
SELECT ok(abs(mldb.f1_score(a, p, true) - 0.4) < 1e-9, 'f1_score: skewed case = 2/5 = 2PR/(P+R)')
  FROM (VALUES (true, true), (true, false), (true, false), (false, true), (false, false)) v(a, p);

-- zero divisions (sklearn zero_division="warn" -> 0.0):
--   positive only predicted, never actual: tp 0, fp 1, fn 0 -> recall 0/0 = 0, f1 0
--   positive only actual, never predicted: tp 0, fp 0, fn 1 -> precision 0/0 = 0
SELECT is(mldb.recall(a, p, 1), 0::float8, 'recall: positive never actual gives 0')
  FROM (VALUES (0, 1), (0, 0)) v(a, p);
SELECT is(mldb.f1_score(a, p, 1), 0::float8, 'f1_score: tp = 0 gives 0')
  FROM (VALUES (0, 1), (0, 0)) v(a, p);
SELECT is(mldb.precision(a, p, 1), 0::float8, 'precision: positive never predicted gives 0')
  FROM (VALUES (1, 0), (0, 0)) v(a, p);

-- equality, not bytes, decides what is positive: 1.00 matches the positive 1.0
SELECT is(mldb.recall(a, p, 1.0), 1::float8, 'recall: numeric labels compared with numeric equality')
  FROM (VALUES (1.00::numeric, 1.000::numeric), (2, 2)) v(a, p);
-- a bigint column and the integer literal 1 as positive class
SELECT is(mldb.precision(a, p, 1), 0.5::float8, 'precision: bigint labels with an int positive literal')
  FROM (VALUES (1::bigint, 1::bigint), (0, 1)) v(a, p);

SELECT is(mldb.precision(a, p, 'spam'), NULL, 'precision: only NULL pairs gives NULL')
  FROM (VALUES (NULL, 'spam'), ('spam', NULL)) v(a, p);
SELECT is(mldb.f1_score(a, p, 'spam'), NULL, 'f1_score: no rows gives NULL') FROM mail WHERE false;

-- several aggregates in one query share one state and agree with each other
SELECT ok(abs(f - 2 * pr * rc / (pr + rc)) < 1e-12, 'f1_score equals 2PR/(P+R) computed from precision and recall')
  FROM (SELECT mldb.precision(a, p, true) pr, mldb.recall(a, p, true) rc, mldb.f1_score(a, p, true) f
          FROM (VALUES (true, true), (true, false), (true, false), (false, true), (false, false)) v(a, p)) s;

-- ---------------------------------------------------------------------------
-- 5. log_loss, hand-computed, and clipping to [1e-15, 1 - 1e-15]
-- ---------------------------------------------------------------------------
-- (true, 0.5), (false, 0.5): both ln 2 -> ln 2
SELECT ok(abs(mldb.log_loss(l, p) - ln(2)) < 1e-9, 'log_loss: p = 0.5 everywhere gives ln 2')
  FROM (VALUES (true, 0.5::float8), (false, 0.5)) v(l, p);
-- (true, 0.8), (false, 0.3), (true, 0.6): -(ln 0.8 + ln 0.7 + ln 0.6) / 3
SELECT ok(abs(mldb.log_loss(l, p) - (-(ln(0.8) + ln(0.7) + ln(0.6)) / 3)) < 1e-9, 'log_loss: mean of -ln(p) and -ln(1-p)')
  FROM (VALUES (true, 0.8::float8), (false, 0.3), (true, 0.6)) v(l, p);
-- A confident wrong answer is clipped: -ln(1e-15) = 34.538776394910684.
-- At the top, 1 - 1e-15 rounds to the double 1 - 9.992007221626409e-16
-- (9 ulps of 2^-53 below 1), so p = 1 for a false label costs
-- -ln(9.992007221626409e-16) = 34.539575992340879, and p = 1 for a true label
-- costs -ln(1 - 9.992e-16) = 9.9920072216264148e-16.  sklearn 1.2.1 gives the
-- same three numbers: log_loss([1], [0.0], eps=1e-15, labels=[0, 1]),
-- log_loss([0], [1.0], ...) and log_loss([1], [1.0], ...).
SELECT ok(abs(mldb.log_loss(true, 0) - 34.538776394910684) < 1e-9, 'log_loss: p = 0 for a true label is clipped to 1e-15');
SELECT ok(abs(mldb.log_loss(false, 1) - 34.539575992340879) < 1e-9, 'log_loss: p = 1 for a false label is clipped to 1 - 1e-15');
SELECT ok(abs(mldb.log_loss(true, 1) - 9.9920072216264148e-16) < 1e-20, 'log_loss: p = 1 for a true label costs ~1e-15, not 0');
SELECT ok(abs(mldb.log_loss(l, p) - ln(2)) < 1e-9, 'log_loss: rows with a NULL label or p are skipped')
  FROM (VALUES (true, 0.5::float8), (NULL, 0.1), (false, NULL), (false, 0.5)) v(l, p);
SELECT is(mldb.log_loss(l, p), NULL, 'log_loss: only NULL rows gives NULL')
  FROM (VALUES (NULL::bool, 0.1::float8), (true, NULL)) v(l, p);

-- ---------------------------------------------------------------------------
-- 6. roc_auc and log_loss on 3000 generated rows, three references:
--    an O(P N) pair count with ties as 1/2 (self-join), the Mann-Whitney rank
--    sum with midranks for ties, and sklearn (oracle above, same formulas).
--    The score is NULL on every 97th row (skipped).
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE gen AS
SELECT i,
       CASE WHEN i % 97 = 0 THEN NULL ELSE ((i * 37) % 101)::float8 / 100 END AS score,
       ((i * 37) % 101) + ((i * 11) % 53) > 76 AS label
  FROM generate_series(1, 3000) i;

CREATE TEMP TABLE gen_ref AS
SELECT (SELECT sum(CASE WHEN p.score > n.score THEN 1.0 WHEN p.score = n.score THEN 0.5 ELSE 0 END) / count(*)
          FROM gen p JOIN gen n ON p.label AND NOT n.label
         WHERE p.score IS NOT NULL AND n.score IS NOT NULL)::float8 AS auc_pairs,
       (SELECT (sum(midrank) FILTER (WHERE label) - npos * (npos + 1) / 2.0) / (npos * nneg)
          FROM (SELECT label,
                       rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS midrank,
                       count(*) FILTER (WHERE label) OVER () AS npos,
                       count(*) FILTER (WHERE NOT label) OVER () AS nneg
                  FROM gen WHERE score IS NOT NULL) r
         GROUP BY npos, nneg)::float8 AS auc_ranks,
       (SELECT avg(CASE WHEN label THEN -ln(greatest(score, 1e-15::float8))
                        ELSE -ln(1 - least(score, 1 - 1e-15::float8)) END)
          FROM gen WHERE score IS NOT NULL) AS logloss;

SELECT ok(abs(mldb.roc_auc(label, score) - (SELECT auc_pairs FROM gen_ref)) < 1e-9,
          'roc_auc on 3000 rows with ties matches the pair count') FROM gen;
SELECT ok(abs(mldb.roc_auc(label, score) - (SELECT auc_ranks FROM gen_ref)) < 1e-9,
          'roc_auc on 3000 rows with ties matches the Mann-Whitney rank sum') FROM gen;
SELECT ok(abs(mldb.roc_auc(label, score) - 0.95392668305042705) < 1e-9,
          'roc_auc on 3000 rows matches sklearn roc_auc_score = 0.95392668305042705') FROM gen;
SELECT ok(abs(mldb.log_loss(label, score) - (SELECT logloss FROM gen_ref)) < 1e-9,
          'log_loss on 3000 rows (p = 0 and p = 1 among them) matches avg of clipped -ln') FROM gen;
SELECT ok(abs(mldb.log_loss(label, score) - 0.35179534889935904) < 1e-9,
          'log_loss on 3000 rows matches sklearn log_loss(eps=1e-15) = 0.35179534889935904') FROM gen;

-- the same per group (several run-length states alive at once)
SELECT is(count(*), 3::bigint, 'roc_auc per group matches the per-group pair count')
  FROM (SELECT g.grp, mldb.roc_auc(g.label, g.score) AS auc
          FROM (SELECT i % 3 AS grp, label, score FROM gen) g GROUP BY g.grp) a
  JOIN (SELECT p.i % 3 AS grp,
               (sum(CASE WHEN p.score > n.score THEN 1.0 WHEN p.score = n.score THEN 0.5 ELSE 0 END) / count(*))::float8 AS auc
          FROM gen p JOIN gen n ON p.label AND NOT n.label AND p.i % 3 = n.i % 3
         WHERE p.score IS NOT NULL AND n.score IS NOT NULL
         GROUP BY 1) r USING (grp)
 WHERE abs(a.auc - r.auc) < 1e-9;

-- as a running window aggregate: the final function sorts the state in place
-- and must leave it usable for the following rows (rows 1..400 after two
-- peer rows i = 0, (true, 0.5) and (false, 0.5), so every frame has both classes)
CREATE TEMP TABLE win AS
SELECT 0 AS i, true AS label, 0.5::float8 AS score
UNION ALL SELECT 0, false, 0.5
UNION ALL SELECT i, label, score FROM gen WHERE i <= 400 AND score IS NOT NULL;
SELECT is(count(*), (SELECT count(*) FROM win), 'running roc_auc over ORDER BY i matches the pair count of each prefix')
  FROM (SELECT w.i, mldb.roc_auc(label, score) OVER (ORDER BY i) AS auc FROM win w) a
 WHERE abs(auc - (SELECT (sum(CASE WHEN p.score > n.score THEN 1.0 WHEN p.score = n.score THEN 0.5 ELSE 0 END) / count(*))::float8
                    FROM win p JOIN win n ON p.label AND NOT n.label
                   WHERE p.i <= a.i AND n.i <= a.i)) < 1e-9;

-- 60000 rows with (nearly) all-distinct scores in scrambled order: the state
-- is compacted and grown many times; reference: the rank sum
CREATE TEMP TABLE many AS
SELECT i, ((i::bigint * 7919) % 60013)::float8 / 60013 + (i % 3) * 1e-9 AS score,
       ((i::bigint * 7919) % 60013) + ((i * 31) % 10007) * 3 > 45000 AS label
  FROM generate_series(1, 60000) i;
SELECT ok(abs(mldb.roc_auc(label, score) -
              (SELECT ((sum(midrank) FILTER (WHERE label) - npos * (npos + 1) / 2.0) / (npos * nneg))::float8
                 FROM (SELECT label,
                              rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS midrank,
                              count(*) FILTER (WHERE label) OVER () AS npos,
                              count(*) FILTER (WHERE NOT label) OVER () AS nneg
                         FROM many) r
                GROUP BY npos, nneg)) < 1e-9,
          'roc_auc on 60000 distinct scores matches the Mann-Whitney rank sum') FROM many;

-- ---------------------------------------------------------------------------
-- 7. precision / recall / f1_score / accuracy on 3000 generated rows with 4
--    classes: plain count FILTER and sklearn (oracle above)
--      actual    = ((i * 13) % 17) % 4
--      predicted = (((i * 13) % 17) + (i % 5 = 0) + 2 (i % 7 = 0)) % 4
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE mc AS
SELECT i, ((i * 13) % 17) % 4 AS a,
       (((i * 13) % 17) + (i % 5 = 0)::int + 2 * (i % 7 = 0)::int) % 4 AS p
  FROM generate_series(1, 3000) i;

CREATE TEMP TABLE mc_ref AS
SELECT c,
       count(*) FILTER (WHERE a = c AND p = c)::float8 / count(*) FILTER (WHERE p = c) AS precision,
       count(*) FILTER (WHERE a = c AND p = c)::float8 / count(*) FILTER (WHERE a = c) AS recall,
       2 * count(*) FILTER (WHERE a = c AND p = c)::float8
         / (count(*) FILTER (WHERE a = c) + count(*) FILTER (WHERE p = c)) AS f1
  FROM mc, generate_series(0, 3) c
 GROUP BY c;
CREATE TEMP TABLE mc_sk (c int, precision float8, recall float8, f1 float8);
INSERT INTO mc_sk VALUES
    (0, 0.73090909090909095, 0.68522727272727268, 0.70733137829912029),
    (1, 0.65943012211668928, 0.68644067796610164, 0.67266435986159168),
    (2, 0.66712517193947729, 0.68502824858757061, 0.67595818815331021),
    (3, 0.67932489451476796, 0.68607954545454541, 0.6826855123674912);

SELECT is(count(*), 4::bigint, 'precision, recall, f1_score of each of 4 classes match count FILTER')
  FROM mc_ref r,
       LATERAL (SELECT mldb.precision(a, p, r.c) pr, mldb.recall(a, p, r.c) rc, mldb.f1_score(a, p, r.c) f FROM mc) m
 WHERE abs(m.pr - r.precision) < 1e-9 AND abs(m.rc - r.recall) < 1e-9 AND abs(m.f - r.f1) < 1e-9;
SELECT is(count(*), 4::bigint, 'precision, recall, f1_score of each of 4 classes match sklearn (average=None)')
  FROM mc_sk r,
       LATERAL (SELECT mldb.precision(a, p, r.c) pr, mldb.recall(a, p, r.c) rc, mldb.f1_score(a, p, r.c) f FROM mc) m
 WHERE abs(m.pr - r.precision) < 1e-9 AND abs(m.rc - r.recall) < 1e-9 AND abs(m.f - r.f1) < 1e-9;
SELECT ok(abs(mldb.accuracy(a, p) - 0.68566666666666665) < 1e-9, 'accuracy on 3000 rows matches sklearn = 0.68566666666666665') FROM mc;
SELECT ok(abs(mldb.accuracy(a, p) - avg((a = p)::int)) < 1e-9, 'accuracy on 3000 rows matches avg((a = p)::int)') FROM mc;

-- ---------------------------------------------------------------------------
-- 8. _classification_metrics on the same rows as text, with a class 'zz'
--    that is only ever predicted (every 23rd row): support 0, recall 0/0 = 0,
--    still counted in the macro average (sklearn classification_report)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE mc_report AS
SELECT mldb._classification_metrics('c' || a, CASE WHEN i % 23 = 0 THEN 'zz' ELSE 'c' || p END) AS m
  FROM mc;
CREATE TEMP TABLE mc_report_sk (k text, precision float8, recall float8, f1 float8);
INSERT INTO mc_report_sk VALUES
    ('c0', 0.73164556962025318, 0.65681818181818186, 0.69221556886227542),
    ('c1', 0.66002844950213369, 0.65536723163841804, 0.65768958185683912),
    ('c2', 0.66762589928057559, 0.65536723163841804, 0.66143977191731995),
    ('c3', 0.67741935483870963, 0.65625, 0.66666666666666674),
    ('zz', 0, 0, 0);

SELECT is(m -> 'classes', '["c0", "c1", "c2", "c3", "zz"]'::jsonb, 'report: the five classes, sorted') FROM mc_report;
SELECT is(m -> 'n', '3000'::jsonb, 'report: n = 3000') FROM mc_report;
SELECT ok(abs((m ->> 'accuracy')::float8 - 0.65600000000000003) < 1e-9, 'report: accuracy matches sklearn = 0.656') FROM mc_report;
SELECT is(count(*), 5::bigint, 'report: per-class precision, recall, f1 match sklearn classification_report')
  FROM mc_report, mc_report_sk s
 WHERE abs((m -> 'per_class' -> s.k ->> 'precision')::float8 - s.precision) < 1e-9
   AND abs((m -> 'per_class' -> s.k ->> 'recall')::float8 - s.recall) < 1e-9
   AND abs((m -> 'per_class' -> s.k ->> 'f1')::float8 - s.f1) < 1e-9;
SELECT is(m #> '{per_class,zz,support}', '0'::jsonb, 'report: a class only predicted has support 0') FROM mc_report;
SELECT ok(abs((m #>> '{macro,precision}')::float8 - 0.54734385464833435) < 1e-9
          AND abs((m #>> '{macro,recall}')::float8 - 0.52476052901900361) < 1e-9
          AND abs((m #>> '{macro,f1}')::float8 - 0.53560231786062018) < 1e-9,
          'report: macro averages match sklearn') FROM mc_report;
SELECT ok(abs((m #>> '{weighted,precision}')::float8 - 0.68691020200347752) < 1e-9
          AND abs((m #>> '{weighted,recall}')::float8 - 0.65600000000000003) < 1e-9
          AND abs((m #>> '{weighted,f1}')::float8 - 0.67080887213474671) < 1e-9,
          'report: weighted averages match sklearn') FROM mc_report;
-- the per-class numbers are exactly those of the single-class aggregates
SELECT is(count(*), 5::bigint, 'report: per-class values equal mldb.precision/recall/f1_score digit for digit')
  FROM mc_report,
       (SELECT c, mldb.precision(a, p, c) pr, mldb.recall(a, p, c) rc, mldb.f1_score(a, p, c) f
          FROM (SELECT 'c' || a AS a, CASE WHEN i % 23 = 0 THEN 'zz' ELSE 'c' || p END AS p FROM mc) t,
               (VALUES ('c0'), ('c1'), ('c2'), ('c3'), ('zz')) cls(c)
         GROUP BY c) s
 WHERE (m -> 'per_class' -> s.c ->> 'precision')::float8 = s.pr
   AND (m -> 'per_class' -> s.c ->> 'recall')::float8 = s.rc
   AND (m -> 'per_class' -> s.c ->> 'f1')::float8 = s.f;
-- the supports add up to n
SELECT is((SELECT sum((c.value ->> 'support')::bigint) FROM jsonb_each(m -> 'per_class') c),
          3000::numeric, 'report: the supports add up to n') FROM mc_report;

-- text sort order is bytewise (code point order), independent of the collation
SELECT is(mldb._classification_metrics(a, a) -> 'classes', '["B", "a", "ab", "b"]'::jsonb,
          'report: classes in byte order (B < a < ab < b)')
  FROM (VALUES ('b'), ('a'), ('B'), ('ab')) v(a);

-- NULL pairs skipped; only NULLs or no rows give NULL
SELECT is(mldb._classification_metrics(a, p) -> 'n', '2'::jsonb, 'report: NULL pairs are skipped')
  FROM (VALUES ('x', 'x'), (NULL, 'x'), ('y', NULL), ('y', 'x')) v(a, p);
SELECT is(mldb._classification_metrics(a, p), NULL, 'report: only NULL pairs gives NULL')
  FROM (VALUES (NULL::text, 'x'), ('y', NULL)) v(a, p);
SELECT is(mldb._classification_metrics(a, p), NULL, 'report: no rows gives NULL') FROM mail WHERE false;

-- exactly 1000 classes are fine
SELECT is(mldb._classification_metrics(i::text, i::text) ->> 'accuracy', '1', 'report: 1000 classes are accepted')
  FROM generate_series(1, 1000) i;

-- ---------------------------------------------------------------------------
-- 9. Errors
-- ---------------------------------------------------------------------------
-- unknown positive class (never among actual or predicted): 22023 + hint
SELECT throws_ok($$SELECT mldb.precision(a, p, 'Spam') FROM mail$$,
                 '22023', 'unknown positive class "Spam"', 'precision: unknown positive class is an error');
SELECT throws_ok($$SELECT mldb.recall(a, p, 7) FROM (VALUES (0, 0), (1, 1)) v(a, p)$$,
                 '22023', 'unknown positive class "7"', 'recall: unknown positive class is an error');
SELECT throws_ok($$SELECT mldb.f1_score(a, p, true) FROM (VALUES (false, false)) v(a, p)$$,
                 '22023', 'unknown positive class "t"', 'f1_score: unknown positive class is an error (bool shown as t)');
SELECT throws_ok($$SELECT mldb.precision(a, p, NULL::text) FROM mail$$,
                 '22004', 'positive class must not be NULL', 'precision: a NULL positive class is an error');
SELECT throws_ok($$SELECT mldb.precision(a, p, x) FROM (VALUES (0, 0, 1), (1, 1, 0)) v(a, p, x)$$,
                 '22023', 'positive class must be the same in every row', 'precision: a varying positive class is an error');
SELECT throws_ok($$SELECT mldb.accuracy(point(1, 1), point(1, 1))$$,
                 '42883', 'could not identify an equality operator for type point', 'accuracy: a type without equality is an error');

-- roc_auc: one class only (sklearn raises too), NaN score
SELECT throws_ok($$SELECT mldb.roc_auc(l, s) FROM (VALUES (true, 0.1::float8), (true, 0.4)) v(l, s)$$,
                 '22023', 'roc_auc is not defined when only one class is present', 'roc_auc: only positives is an error');
SELECT throws_ok($$SELECT mldb.roc_auc(l, s) FROM (VALUES (false, 0.1::float8), (NULL, 0.4), (true, NULL)) v(l, s)$$,
                 '22023', 'roc_auc is not defined when only one class is present', 'roc_auc: only negatives (after skipping NULLs) is an error');
SELECT throws_ok($$SELECT mldb.roc_auc(l, s) FROM (VALUES (false, 0.1::float8), (true, 'NaN')) v(l, s)$$,
                 '22023', 'roc_auc is not defined for NaN scores', 'roc_auc: a NaN score is an error');
SELECT is(mldb.roc_auc(l, s), NULL, 'roc_auc: no non-NULL rows gives NULL')
  FROM (VALUES (NULL::bool, 0.1::float8), (true, NULL)) v(l, s);

-- log_loss: p outside [0, 1]
SELECT throws_ok($$SELECT mldb.log_loss(true, 1.5)$$,
                 '22023', 'log_loss needs probabilities between 0 and 1', 'log_loss: p > 1 is an error');
SELECT throws_ok($$SELECT mldb.log_loss(false, -0.01)$$,
                 '22023', 'log_loss needs probabilities between 0 and 1', 'log_loss: p < 0 is an error');
SELECT throws_ok($$SELECT mldb.log_loss(false, 'NaN')$$,
                 '22023', 'log_loss needs probabilities between 0 and 1', 'log_loss: NaN p is an error');

-- more than 1000 classes: 54000 program_limit_exceeded
SELECT throws_ok($$SELECT mldb._classification_metrics(i::text, '1') FROM generate_series(1, 1001) i$$,
                 '54000', 'too many classes for classification metrics', 'report: 1001 classes is an error');

-- ---------------------------------------------------------------------------
-- 10. Catalog: parallel safe with combine/serialize/deserialize, documented
-- ---------------------------------------------------------------------------
SELECT is(count(*), 7::bigint, 'all seven classification aggregates are PARALLEL SAFE with combine/serial/deserial functions')
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.pronamespace = 'mldb'::regnamespace
   AND p.proname IN ('accuracy', 'precision', 'recall', 'f1_score', 'roc_auc', 'log_loss', '_classification_metrics')
   AND p.proparallel = 's'
   AND a.aggtranstype = 'internal'::regtype
   AND a.aggcombinefn <> 0 AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0;
SELECT is(count(*), 7::bigint, 'all seven classification aggregates have a COMMENT')
  FROM pg_proc p
 WHERE p.pronamespace = 'mldb'::regnamespace
   AND p.proname IN ('accuracy', 'precision', 'recall', 'f1_score', 'roc_auc', 'log_loss', '_classification_metrics')
   AND p.prokind = 'a'
   AND obj_description(p.oid, 'pg_proc') IS NOT NULL;

SELECT * FROM finish();
ROLLBACK;
