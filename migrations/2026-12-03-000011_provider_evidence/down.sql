DROP TABLE cqc_rating_changes;
DROP TABLE insurance_reminders;
DROP TABLE insurances;
