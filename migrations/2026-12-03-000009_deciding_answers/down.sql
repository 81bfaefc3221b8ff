ALTER TABLE submissions DROP COLUMN deciding_answers;
