-- caviar schema: why search "tpe" proposed each trial. (Numbered 005 after
-- the migrations 003 and 004 of other branches; files apply in name order.)

-- For a trial proposed by the tpe model, what the model saw and the log
-- densities of the chosen point under the good (l) and bad (g) trials:
--   {"finished": 23, "good": 3, "bad": 18, "liars": 2, "log_l": 1.9,
--    "log_g": -0.4, "params": {"lr": {"log_l": 0.8, "log_g": -0.3}, ...}}
-- (with "multivariate": true, the joint densities under "joint"). A tpe
-- startup trial sampled after submission: {"startup": true, "finished": k}.
-- NULL for every other trial.
ALTER TABLE trials ADD COLUMN suggestion TEXT;
