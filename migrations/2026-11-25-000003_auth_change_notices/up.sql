-- Every instance caches signed-in users briefly (see backend/src/auth/cache.rs). These
-- triggers tell every instance, through NOTIFY, when something that decides whether a
-- token is still good changes, so that revocation takes effect everywhere at once.

CREATE FUNCTION notify_auth_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_auth_changed AFTER UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER organisations_auth_changed AFTER UPDATE OR DELETE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER revoked_tokens_auth_changed AFTER INSERT ON revoked_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
