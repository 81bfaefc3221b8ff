DROP TABLE dps_notices;
DROP TABLE dps_service_types;
DROP TABLE dps;
DROP TYPE dps_notice_kind;
DROP TYPE dps_regime;
