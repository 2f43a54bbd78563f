-- Queries join findings and layers to the subjects whose current snapshot
-- they belong to.
CREATE INDEX subject_current_snapshot ON subject (current_snapshot);
