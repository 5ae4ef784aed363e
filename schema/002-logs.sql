-- caviar schema, version 2: what command trials print that is not a metric.

-- The output lines of command trials that are not metrics (progress bars,
-- warnings, prints), per attempt, so a person can read what a trial said.
-- At most 10,000 lines are kept per attempt.
CREATE TABLE logs (
    trial_id    INTEGER NOT NULL REFERENCES trials (id),
    attempt     INTEGER NOT NULL,   -- trials.attempts when the line was printed
    seq         INTEGER NOT NULL,   -- line number within the attempt, from 1
    wall_time   REAL    NOT NULL,
    line        TEXT    NOT NULL,
    PRIMARY KEY (trial_id, attempt, seq)
) WITHOUT ROWID;
