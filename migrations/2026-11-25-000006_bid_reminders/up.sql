-- The deadline a "your bid is not submitted" reminder was last sent for, so each deadline
-- is reminded once (and a moved deadline is reminded again).
ALTER TABLE submissions ADD COLUMN reminded_for timestamptz;
