-- caviar schema, version 8: several objectives and constraints (a spec's
-- "objectives" and "constraints"), and each trial's Pareto rank.
--
-- SQL cannot do non-dominated sorting well, so caviard computes it
-- (common/pareto.c) and stores it in trials.pareto_rank, crowding and
-- violation: for every trial of a sweep with goals that ended done or pruned,
-- rewritten in the same transaction that records a trial's end. Each goal's
-- value is its metric's last reported value (the last epoch and step): the
-- model as the trial left it, its accuracy beside its size and its time.
-- Old views keep their columns; leaderboard gains `feasible` at the end and
-- ranks feasible trials before infeasible ones.

-- A sweep's objectives (idx 0.., in the spec's order; idx 0 is sweeps.metric)
-- then its constraints. A sweep with one objective and no constraint has none.
CREATE TABLE goals (
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    idx         INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('objective', 'constraint')),
    metric      TEXT    NOT NULL,
    mode        TEXT    CHECK (mode IN ('min', 'max')), -- objectives; NULL for constraints
    lo          REAL,               -- constraints: "min", NULL when absent
    hi          REAL,               -- constraints: "max", NULL when absent
    PRIMARY KEY (sweep_id, idx)
) WITHOUT ROWID;

ALTER TABLE trials ADD COLUMN pareto_rank INTEGER; -- 0: on the front; NULL: not ranked
ALTER TABLE trials ADD COLUMN crowding REAL;  -- within its rank; Inf at the extremes
ALTER TABLE trials ADD COLUMN violation REAL;  -- 0: feasible; how far outside the bounds

-- Each goal's value for each trial that counts (done or pruned): the last
-- value its trial reported of the metric, NULL when it never did.
CREATE VIEW goal_values AS
SELECT t.sweep_id,
       t.id AS trial_id,
       t.number,
       g.idx,
       g.kind,
       g.metric,
       (SELECT p.value FROM points p WHERE p.trial_id = t.id AND p.metric = g.metric
         ORDER BY p.epoch DESC, p.step DESC LIMIT 1) AS value
  FROM trials t JOIN goals g ON g.sweep_id = t.sweep_id
 WHERE t.status IN ('done', 'pruned');

-- One row per ranked trial of a sweep with goals, the front (rank 0) first,
-- lonelier (larger crowding) first within a rank. objectives and constraints
-- are JSON objects {"val_acc": 0.91, "params": 26506}, in the spec's order.
CREATE VIEW pareto AS
SELECT t.sweep_id,
       s.name AS sweep,
       t.id AS trial_id,
       t.number,
       t.status,
       t.pareto_rank AS rank,
       t.crowding,
       t.violation,
       t.violation = 0 AS feasible,
       (SELECT json_group_object(v.metric, v.value) FROM
          (SELECT metric, value FROM goal_values
            WHERE trial_id = t.id AND kind = 'objective' ORDER BY idx) v) AS objectives,
       (SELECT json_group_object(v.metric, v.value) FROM
          (SELECT metric, value FROM goal_values
            WHERE trial_id = t.id AND kind = 'constraint' ORDER BY idx) v) AS constraints,
       t.params
  FROM trials t JOIN sweeps s ON s.id = t.sweep_id
 WHERE t.pareto_rank IS NOT NULL
 ORDER BY t.sweep_id, rank, t.crowding DESC, t.number;

-- The trials that count, as in version 4, with their violation at the end.
DROP VIEW leaderboard;
DROP VIEW sweep_progress;
DROP VIEW objectives;
CREATE VIEW objectives AS
SELECT t.sweep_id,
       t.id AS trial_id,
       t.number,
       t.status,
       t.best_value AS objective,
       t.best_epoch,
       t.epochs,
       t.params,
       coalesce(t.violation, 0) AS violation
  FROM trials t
 WHERE t.status IN ('done', 'pruned') AND t.best_value IS NOT NULL;

-- Ranked by the first objective, feasible trials first (a sweep without
-- constraints has only feasible ones: the ranks of version 4).
CREATE VIEW leaderboard AS
SELECT o.sweep_id,
       s.name AS sweep,
       RANK() OVER (PARTITION BY o.sweep_id
                    ORDER BY o.violation > 0,
                             CASE s.mode WHEN 'max' THEN -o.objective
                                         ELSE o.objective END) AS rank,
       o.trial_id,
       o.number,
       o.status,
       s.metric,
       o.objective,
       o.best_epoch,
       o.epochs,
       o.params,
       o.violation = 0 AS feasible
  FROM objectives o JOIN sweeps s ON s.id = o.sweep_id
 ORDER BY o.sweep_id, rank, o.number;

-- As in version 4, the best trial being the leaderboard's first row: now the
-- best feasible one when there is one.
CREATE VIEW sweep_progress AS
SELECT s.id AS sweep_id,
       s.name,
       s.status,
       s.budget,
       coalesce(c.sampled, 0) AS sampled,
       coalesce(c.queued, 0) AS queued,
       coalesce(c.running, 0) AS running,
       coalesce(c.done, 0) AS done,
       coalesce(c.failed, 0) AS failed,
       coalesce(c.pruned, 0) AS pruned,
       coalesce(c.cancelled, 0) AS cancelled,
       s.metric,
       b.objective AS best,
       s.mode,
       coalesce(c.done + c.failed + c.pruned + c.cancelled, 0) AS ended,
       b.trial_id AS best_trial_id
  FROM sweeps s
  LEFT JOIN (SELECT sweep_id,
                    count(*) AS sampled,
                    sum(status = 'queued') AS queued,
                    sum(status = 'running') AS running,
                    sum(status = 'done') AS done,
                    sum(status = 'failed') AS failed,
                    sum(status = 'pruned') AS pruned,
                    sum(status = 'cancelled') AS cancelled
               FROM trials GROUP BY sweep_id) c ON c.sweep_id = s.id
  LEFT JOIN objectives b ON b.trial_id =
       CASE s.mode
       WHEN 'max' THEN (SELECT t.id FROM trials t
                         WHERE t.sweep_id = s.id AND t.status IN ('done', 'pruned')
                           AND t.best_value IS NOT NULL
                         ORDER BY coalesce(t.violation, 0) > 0, t.best_value DESC, t.number
                         LIMIT 1)
       ELSE (SELECT t.id FROM trials t
              WHERE t.sweep_id = s.id AND t.status IN ('done', 'pruned')
                AND t.best_value IS NOT NULL
              ORDER BY coalesce(t.violation, 0) > 0, t.best_value, t.number
              LIMIT 1)
       END;
