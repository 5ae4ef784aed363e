-- caviar schema, version 3: a sweep's life. A sweep whose every trial failed
-- ends 'failed'; why a sweep ended (a wall-clock budget spent) is recorded;
-- a sweep can carry a note and tags.
--
-- sweeps.status has a CHECK, which SQLite cannot alter in place: the table is
-- rebuilt the documented way (https://www.sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"), keeping every row and id.
-- caviard applies migrations with foreign keys off and checks them
-- (PRAGMA foreign_key_check) before committing. The views that read sweeps
-- are dropped first and created again unchanged.

DROP VIEW leaderboard;
DROP VIEW sweep_progress;

CREATE TABLE new_sweeps (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    spec        TEXT    NOT NULL,   -- the spec as submitted (JSON)
    search      TEXT    NOT NULL,   -- random | grid | sobol | coarse_to_fine
    seed        INTEGER NOT NULL,   -- the sweep's seed; trial seeds derive from it
    metric      TEXT    NOT NULL,   -- the objective metric, e.g. val_acc
    mode        TEXT    NOT NULL CHECK (mode IN ('min', 'max')),
    budget      INTEGER NOT NULL,   -- total number of trials (grows with `caviar extend`)
    status      TEXT    NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'paused', 'done', 'cancelled', 'failed')),
    created_at  REAL    NOT NULL,
    finished_at REAL,
    ended_reason TEXT,              -- why it ended, when not simply done, cancelled or
                                    -- failed: "the sweep's budget of 30 min is spent"
    note        TEXT                -- free text (`caviar note`)
);
INSERT INTO new_sweeps (id, name, spec, search, seed, metric, mode, budget, status,
                        created_at, finished_at)
SELECT id, name, spec, search, seed, metric, mode, budget, status, created_at, finished_at
  FROM sweeps;
DROP TABLE sweeps;
ALTER TABLE new_sweeps RENAME TO sweeps;

-- A sweep's tags (`caviar tag`), one row each.
CREATE TABLE tags (
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    tag         TEXT    NOT NULL,
    PRIMARY KEY (sweep_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_tag ON tags (tag);

-- The views of version 1, as they were.
CREATE VIEW leaderboard AS
SELECT t.sweep_id,
       s.name AS sweep,
       RANK() OVER (PARTITION BY t.sweep_id
                    ORDER BY CASE s.mode WHEN 'max' THEN -t.best_value
                                         ELSE t.best_value END) AS rank,
       t.id AS trial_id,
       t.number,
       t.status,
       s.metric,
       t.best_value AS objective,
       t.best_epoch,
       t.epochs,
       t.params
  FROM trials t JOIN sweeps s ON s.id = t.sweep_id
 WHERE t.status IN ('done', 'pruned') AND t.best_value IS NOT NULL
 ORDER BY t.sweep_id, rank, t.number;

CREATE VIEW sweep_progress AS
SELECT s.id AS sweep_id,
       s.name,
       s.status,
       s.budget,
       count(t.id) AS sampled,
       coalesce(sum(t.status = 'queued'), 0) AS queued,
       coalesce(sum(t.status = 'running'), 0) AS running,
       coalesce(sum(t.status = 'done'), 0) AS done,
       coalesce(sum(t.status = 'failed'), 0) AS failed,
       coalesce(sum(t.status = 'pruned'), 0) AS pruned,
       coalesce(sum(t.status = 'cancelled'), 0) AS cancelled,
       s.metric,
       CASE s.mode WHEN 'max' THEN max(t.best_value) ELSE min(t.best_value) END AS best
  FROM sweeps s LEFT JOIN trials t ON t.sweep_id = s.id
 GROUP BY s.id;
