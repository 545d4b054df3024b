-- Push notification registrations (XEP-0357): where to publish a notification when a message waits for a user.
-- owner holds the bare JID "user@domain"; PostgresAccountStore.DeleteAsync removes its rows with the account.
-- service is the app server's JID, node its provisioned node ('' when the enable request named none).
-- publish_options: the enable request's publish-options data form as XML, or NULL.
-- resource: the resource of the session that enabled it.
CREATE TABLE push_registrations (
    owner           text COLLATE "C" NOT NULL,
    service         text COLLATE "C" NOT NULL,
    node            text COLLATE "C" NOT NULL,
    publish_options text,
    resource        text             NOT NULL,
    enabled_at      timestamptz      NOT NULL,
    PRIMARY KEY (owner, service, node)
);
