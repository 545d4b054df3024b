-- Verified entity capabilities (XEP-0115 §5.4): hash -> features, written once per hash, shared by every node.
-- features: a JSON array of the disco#info feature names.
CREATE TABLE caps_hashes (
    algorithm text COLLATE "C" NOT NULL,
    ver       text COLLATE "C" NOT NULL,
    features  text             NOT NULL,
    created   timestamptz      NOT NULL,
    PRIMARY KEY (algorithm, ver)
);
