-- Dynamic purchasing systems and dynamic markets (DOMAIN.md, "Dynamic purchasing system /
-- dynamic market"). A DPS owns one competition of the engine with the same id, as a tender
-- does: it holds the DPS's lots and each lot's conditions of membership (a pass/fail
-- selection questionnaire per lot, admission outcome model). Establishing the DPS publishes
-- that competition, which freezes the conditions for the whole term. Each round of
-- applications will be a competition of its own whose lots mirror these.

-- The law a DPS runs under: a legacy PCR 2015 DPS (set up before 24 February 2025, ends by
-- 23 February 2029 at the latest) or a Procurement Act 2023 dynamic market.
CREATE TYPE dps_regime AS ENUM ('pcr2015', 'pa2023');
-- The market's notices on the Central Digital Platform.
CREATE TYPE dps_notice_kind AS ENUM ('intention', 'established', 'modified', 'ceased');

CREATE TABLE dps (
    id uuid PRIMARY KEY REFERENCES competitions (id),
    council_id uuid NOT NULL REFERENCES organisations (id),
    description text NOT NULL,
    regime dps_regime NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    -- Working days after a round's cut-off by which each application is decided.
    decision_working_days integer NOT NULL DEFAULT 10 CHECK (decision_working_days BETWEEN 1 AND 60),
    -- Whether applicants need every CQC location rated Good or Outstanding (or an exception).
    cqc_rule boolean NOT NULL DEFAULT true,
    -- When rounds open: six-field cron read in Europe/London, a tick on a day that is not a
    -- working day moving to the next working day at the same time.
    round_schedule text NOT NULL DEFAULT '0 0 9 1 * *',
    -- A round's cut-off: 17:00 on this day of the month the round opens in (or the next
    -- working day after it).
    cutoff_day integer NOT NULL DEFAULT 15 CHECK (cutoff_day BETWEEN 1 AND 28),
    established_at timestamptz,
    established_by uuid REFERENCES users (id),
    -- Ended before its term by the council, with the reason given in the notice.
    ceased_at timestamptz,
    ceased_by uuid REFERENCES users (id),
    cease_reason text,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on > starts_on),
    CHECK (regime <> 'pcr2015' OR (starts_on < DATE '2025-02-24' AND ends_on <= DATE '2029-02-23')),
    CHECK (regime <> 'pa2023' OR starts_on >= DATE '2025-02-24'),
    CHECK ((established_at IS NULL) = (established_by IS NULL)),
    CHECK ((ceased_at IS NULL) = (ceased_by IS NULL) AND (ceased_at IS NULL) = (cease_reason IS NULL)),
    CHECK (ceased_at IS NULL OR established_at IS NOT NULL)
);
CREATE INDEX dps_council ON dps (council_id);

-- The market segments a DPS buys (`organisations::model::ServiceType`).
CREATE TABLE dps_service_types (
    dps_id uuid NOT NULL REFERENCES dps (id) ON DELETE CASCADE,
    service_type text NOT NULL,
    PRIMARY KEY (dps_id, service_type)
);

-- Notices prepared as data, ready for publication. Intention, establishment and ceasing
-- happen once; modifications as often as the market is changed.
CREATE TABLE dps_notices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dps_id uuid NOT NULL REFERENCES dps (id),
    kind dps_notice_kind NOT NULL,
    notice jsonb NOT NULL,
    prepared_by uuid NOT NULL REFERENCES users (id),
    prepared_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dps_notices_once ON dps_notices (dps_id, kind)
    WHERE kind IN ('intention', 'established', 'ceased');
