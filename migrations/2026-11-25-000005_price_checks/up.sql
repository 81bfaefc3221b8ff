-- DOMAIN.md: an abnormally low price is flagged "for a documented check, never automatic
-- exclusion". The commissioner's record of that check, kept with the bid; a flagged bid
-- cannot be awarded without one.
ALTER TABLE submissions
    ADD COLUMN price_check text,
    ADD COLUMN price_checked_at timestamptz,
    ADD COLUMN price_checked_by uuid REFERENCES users (id),
    ADD CHECK ((price_check IS NULL) = (price_checked_at IS NULL));
