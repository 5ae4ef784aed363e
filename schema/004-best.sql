-- caviar schema, version 4: one definition of a sweep's best trial.
--
-- A trial counts toward its sweep's best only when it ended normally: done,
-- or pruned by early stopping (its curve is sound, just short). A failed
-- trial never counts, whatever it reported before it failed (a value from
-- epoch 1 of a run that then crashed is not a result), nor does a cancelled,
-- queued or running one. That rule is written once, in the view `objectives`;
-- `leaderboard` ranks its rows and `sweep_progress` takes leaderboard's first
-- row, so `caviar ls`, `top`, `wait --progress`, `show`, `export` and `plot`
-- all agree. The views keep their names and columns; columns are only added,
-- at the end.
-- (Numbered 004 in the tree: 003 is another migration of the same release.)

DROP VIEW leaderboard;
DROP VIEW sweep_progress;

-- The trials that count, one row each, with their objective: done or pruned,
-- with a value of the objective metric.
CREATE VIEW objectives AS
SELECT t.sweep_id,
       t.id AS trial_id,
       t.number,
       t.status,
       t.best_value AS objective,
       t.best_epoch,
       t.epochs,
       t.params
  FROM trials t
 WHERE t.status IN ('done', 'pruned') AND t.best_value IS NOT NULL;

-- The trials that count, ranked by objective within their sweep, best first
-- (ties share a rank).
CREATE VIEW leaderboard AS
SELECT o.sweep_id,
       s.name AS sweep,
       RANK() OVER (PARTITION BY o.sweep_id
                    ORDER BY CASE s.mode WHEN 'max' THEN -o.objective
                                         ELSE o.objective END) AS rank,
       o.trial_id,
       o.number,
       o.status,
       s.metric,
       o.objective,
       o.best_epoch,
       o.epochs,
       o.params
  FROM objectives o JOIN sweeps s ON s.id = o.sweep_id
 ORDER BY o.sweep_id, rank, o.number;

-- One row per sweep: its trials counted by status, and its best trial (the
-- leaderboard's first row: rank 1, lowest number on a tie), found through the
-- index trials_by_best rather than by ranking every trial.
-- Added in version 4: mode; ended, the trials that are over (done + failed +
-- pruned + cancelled), so sampled = queued + running + ended; best_trial_id.
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
                         ORDER BY t.best_value DESC, t.number LIMIT 1)
       ELSE (SELECT t.id FROM trials t
              WHERE t.sweep_id = s.id AND t.status IN ('done', 'pruned')
                AND t.best_value IS NOT NULL
              ORDER BY t.best_value, t.number LIMIT 1)
       END;
