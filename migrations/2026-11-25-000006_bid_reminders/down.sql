ALTER TABLE submissions DROP COLUMN reminded_for;
