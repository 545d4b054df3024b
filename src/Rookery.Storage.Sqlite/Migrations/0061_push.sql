-- Push notification registrations (XEP-0357): where to publish a notification when a message waits for a user.
-- owner holds the bare JID "user@domain"; SqliteAccountStore.DeleteAsync removes its rows with the account.
-- service is the app server's JID, node its provisioned node ('' when the enable request named none).
-- publish_options: the enable request's publish-options data form as XML, or NULL.
-- resource: the resource of the session that enabled it; enabled_at: Unix milliseconds.
CREATE TABLE push_registrations (
    owner           TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    node            TEXT    NOT NULL,
    publish_options TEXT,
    resource        TEXT    NOT NULL,
    enabled_at      INTEGER NOT NULL,
    PRIMARY KEY (owner, service, node)
) WITHOUT ROWID;
