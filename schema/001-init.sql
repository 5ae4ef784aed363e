-- caviar schema, version 1.
--
-- This schema is a public interface: users query it with sqlite3 while the
-- daemon runs (WAL mode: readers never block the daemon, nor it them). Only
-- caviard writes. Times are unix seconds (REAL); use datetime(x, 'unixepoch').
-- Changes after a release go in a new numbered file that migrates version N to
-- N+1; columns and views documented here are not renamed or removed.

-- One row per submitted sweep.
CREATE TABLE sweeps (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    spec        TEXT    NOT NULL,   -- the spec as submitted (JSON)
    search      TEXT    NOT NULL,   -- random | grid | sobol | coarse_to_fine
    seed        INTEGER NOT NULL,   -- the sweep's seed; trial seeds derive from it
    metric      TEXT    NOT NULL,   -- the objective metric, e.g. val_acc
    mode        TEXT    NOT NULL CHECK (mode IN ('min', 'max')),
    budget      INTEGER NOT NULL,   -- total number of trials
    status      TEXT    NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'paused', 'done', 'cancelled')),
    created_at  REAL    NOT NULL,
    finished_at REAL
);

-- The search region of each round: one row for single-round strategies, one
-- per round for coarse_to_fine, so the zoom can be seen.
CREATE TABLE rounds (
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    round       INTEGER NOT NULL,   -- 0-based
    ranges      TEXT    NOT NULL,   -- JSON: {"lr": {"log": [lo, hi]}, ...}
    created_at  REAL    NOT NULL,
    PRIMARY KEY (sweep_id, round)
) WITHOUT ROWID;

-- One row per trial: a set of hyperparameters and how its training went.
CREATE TABLE trials (
    id          INTEGER PRIMARY KEY,
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    number      INTEGER NOT NULL,   -- 0-based within the sweep
    round       INTEGER NOT NULL DEFAULT 0,
    params      TEXT    NOT NULL,   -- JSON object of the sampled values
    seed        INTEGER NOT NULL,   -- the worker's seed (init, shuffling, dropout)
    status      TEXT    NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'done', 'failed', 'pruned',
                                  'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,  -- times a worker was started for it
    pid         INTEGER,            -- the worker's pid while running
    started_at  REAL,
    ended_at    REAL,
    exit_code   INTEGER,            -- the worker's exit status, when it exited
    exit_signal INTEGER,            -- the signal that killed it, when one did
    reason      TEXT,               -- why it ended: 'finished', 'diverged at ...', ...
    stderr_tail TEXT,               -- the last lines the worker wrote to stderr
    epochs      INTEGER NOT NULL DEFAULT 0,  -- last epoch reported
    best_value  REAL,               -- best objective value so far (per sweeps.mode)
    best_epoch  INTEGER,            -- the epoch where best_value was reached
    UNIQUE (sweep_id, number)
);
CREATE INDEX trials_by_status ON trials (status, sweep_id);
CREATE INDEX trials_by_best ON trials (sweep_id, best_value);

-- Learning curves: one row per metric value a worker reported.
CREATE TABLE points (
    trial_id    INTEGER NOT NULL REFERENCES trials (id),
    metric      TEXT    NOT NULL,   -- train_loss, val_acc, lr, elapsed, test_acc, ...
    epoch       INTEGER NOT NULL,   -- 1-based epoch the value belongs to
    step        INTEGER NOT NULL,   -- optimizer steps so far; 0 if not reported
    value       REAL    NOT NULL,
    wall_time   REAL    NOT NULL,   -- when the daemon received it
    PRIMARY KEY (trial_id, metric, epoch, step)
) WITHOUT ROWID;

-- Finished trials ranked by objective within their sweep, best first.
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

-- Every curve point with its sweep and trial number: the table to plot from.
CREATE VIEW curves AS
SELECT t.sweep_id, p.trial_id, t.number, p.metric, p.epoch, p.step, p.value, p.wall_time
  FROM points p JOIN trials t ON t.id = p.trial_id;

-- One row per sweep: how far it has come.
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

-- Trials that did not finish normally, and why.
CREATE VIEW failures AS
SELECT t.sweep_id, t.id AS trial_id, t.number, t.status, t.reason, t.exit_code,
       t.exit_signal, t.epochs, t.params, t.stderr_tail
  FROM trials t
 WHERE t.status IN ('failed', 'cancelled');
