-- caviar schema: steering running models ("panda"): adjustments made while a
-- trial trains, and trials forked from another trial's checkpoint (by hand
-- with `caviar fork`, or by the rule of search "pbt").

-- A forked trial starts from its parent's checkpoint after epoch
-- parent_epoch and records epochs parent_epoch+1 onward; its curve up to
-- parent_epoch is its parent's (see the view lineage_points). NULL for a
-- trial that started from scratch.
ALTER TABLE trials ADD COLUMN parent_trial_id INTEGER REFERENCES trials (id);
ALTER TABLE trials ADD COLUMN parent_epoch INTEGER;
CREATE INDEX trials_by_parent ON trials (parent_trial_id)
    WHERE parent_trial_id IS NOT NULL;

-- One row per hyperparameter changed on a trial, in the order applied:
--   `caviar adjust` on a running trial: from (epoch, step) on, as the worker
--   confirmed it (a refused change is not recorded);
--   a fork's changes (`caviar fork`, a PBT exploit and explore): epoch is the
--   child's parent_epoch and step the parent's step there; old_value is the
--   parent's value.
-- Values keep their JSON type (a number, or a string for a choice).
CREATE TABLE adjustments (
    id          INTEGER PRIMARY KEY,
    trial_id    INTEGER NOT NULL REFERENCES trials (id),
    epoch       INTEGER NOT NULL,   -- the last epoch finished before the change
    step        INTEGER NOT NULL,   -- optimizer steps before the change; 0 if unknown
    name        TEXT    NOT NULL,   -- the hyperparameter, e.g. lr
    old_value,
    new_value   NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('user', 'pbt')),
    created_at  REAL    NOT NULL
);
CREATE INDEX adjustments_by_trial ON adjustments (trial_id, epoch, step);

-- Every trial's whole curve: its own points and, for a fork, its ancestors'
-- points up to the epoch each fork was made at. from_trial_id says whose
-- point it is. Read one trial's with WHERE trial_id = ?.
CREATE VIEW lineage_points AS
WITH RECURSIVE chain (trial_id, ancestor_id, upto) AS (
    SELECT id, id, NULL FROM trials
    UNION ALL
    SELECT c.trial_id, t.parent_trial_id,
           CASE WHEN c.upto IS NULL OR t.parent_epoch < c.upto
                THEN t.parent_epoch ELSE c.upto END
      FROM chain c JOIN trials t ON t.id = c.ancestor_id
     WHERE t.parent_trial_id IS NOT NULL
       AND t.parent_trial_id < t.id -- a parent is older: a damaged loop ends
)
SELECT c.trial_id,
       p.trial_id AS from_trial_id,
       p.metric,
       p.epoch,
       p.step,
       p.value,
       p.wall_time
  FROM chain c JOIN points p ON p.trial_id = c.ancestor_id
 WHERE c.upto IS NULL OR p.epoch <= c.upto;
