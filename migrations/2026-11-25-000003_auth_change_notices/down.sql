DROP TRIGGER revoked_tokens_auth_changed ON revoked_tokens;
DROP TRIGGER organisations_auth_changed ON organisations;
DROP TRIGGER users_auth_changed ON users;
DROP FUNCTION notify_auth_changed();
