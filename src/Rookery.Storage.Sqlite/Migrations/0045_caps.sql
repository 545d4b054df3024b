-- Verified entity capabilities (XEP-0115 §5.4): hash -> features, written once per hash, shared across restarts.
-- features: a JSON array of the disco#info feature names.
CREATE TABLE caps_hashes (
    algorithm TEXT    NOT NULL,
    ver       TEXT    NOT NULL,
    features  TEXT    NOT NULL,
    created   INTEGER NOT NULL,
    PRIMARY KEY (algorithm, ver)
) WITHOUT ROWID;
