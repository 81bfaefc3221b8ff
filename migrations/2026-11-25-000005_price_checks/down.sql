ALTER TABLE submissions DROP COLUMN price_check, DROP COLUMN price_checked_at, DROP COLUMN price_checked_by;
