"""The tables and the ``apply_operation`` function of a PostgresStore, and their migrations.

Version 1 holds the tables (see :mod:`orderkit.inventory._postgres`); version 2 adds
``apply_operation``, which makes a reserve, release, commit or extend that Python has
already worked out in one statement (see :mod:`orderkit.inventory._pg_apply`); version 3
replaces its body with one that aborts the statement instead of opening a subtransaction
when it must hand the operation to the general path; version 4 replaces it with one that
takes the stock moves as arrays and lets a reserve that can go ahead write at once, reading
the operation key, the reservation id and the stock first only when it cannot; it also
leaves most of ``journal_head``'s page and half of each ``stock`` page free, so that the
row versions every write leaves are pruned in place while they are few, and indexes only
the reservations that expire.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, LiteralString

from orderkit.errors import ConfigError

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["GENERAL_PATH", "SCHEMA_VERSION", "compose", "migrate"]

GENERAL_PATH = "OKGEN"
"""The SQLSTATE of ``apply_operation`` finding what it cannot handle after writing."""

_TABLES: tuple[LiteralString, ...] = (
    """CREATE TABLE {s}.stock (
        sku text COLLATE "C" NOT NULL,
        location text COLLATE "C" NOT NULL,
        on_hand bigint NOT NULL,
        reserved bigint NOT NULL,
        frozen boolean NOT NULL,
        updated_at_ms bigint NOT NULL,
        PRIMARY KEY (sku, location),
        CHECK (0 <= reserved AND reserved <= on_hand)
    )""",
    """CREATE TABLE {s}.reservations (
        reservation_id text COLLATE "C" PRIMARY KEY,
        status text NOT NULL
            CHECK (status IN ('active', 'released', 'committed', 'expired')),
        expires_at_ms bigint,
        reservation jsonb NOT NULL
    )""",
    """CREATE INDEX reservations_due ON {s}.reservations (expires_at_ms)
        WHERE status = 'active'""",
    """CREATE TABLE {s}.reservation_lines (
        reservation_id text COLLATE "C" NOT NULL
            REFERENCES {s}.reservations (reservation_id),
        sku text COLLATE "C" NOT NULL,
        location text COLLATE "C" NOT NULL,
        expires_at_ms bigint NOT NULL,
        PRIMARY KEY (reservation_id, sku, location)
    )""",
    """CREATE INDEX reservation_lines_by_key
        ON {s}.reservation_lines (sku, location, expires_at_ms)""",
    """CREATE TABLE {s}.operations (
        op_key text PRIMARY KEY,
        fingerprint text,
        result jsonb
    )""",
    """CREATE TABLE {s}.journal (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        entry jsonb NOT NULL
    )""",
    """CREATE TABLE {s}.journal_head (
        single boolean PRIMARY KEY DEFAULT true CHECK (single),
        last_seq bigint NOT NULL
    )""",
    "INSERT INTO {s}.journal_head (last_seq) VALUES (0)",
)

# Arguments: the operation key, its fingerprint and outcome (NULL: the outcome is p_after),
# the reservation as read (NULL for a reserve) and as written, the journal entry, the stock
# moves in key order as arrays (sku, location, on hand and reserved deltas), and the keys to
# index in reservation_lines (NULL unless p_after is active and expires). Returns NULL when
# applied, {replay, fingerprint, result} when the operation key has an outcome, {refused,
# stocks} when a reserve lacks stock (the stock of each move), and {general} for the
# general path; nothing is written unless applied. A reserve first inserts its operation
# key only if every move's row is not frozen, has enough and has no reservation due on it
# (read without locks); if that inserts nothing, one snapshot read of the key's outcome,
# the stock of the moves, the reservation id and due reservations decides what to return.
# The writes follow the lock order: the operation key, the reservation (created, or updated
# only if it is still p_before) and its expiring keys, the moves in key order (a reserve
# only where the row is not frozen and still has enough), and journal_head last. Whatever
# it cannot do raises OKGEN: the call is one autocommit statement, so the error undoes
# every write (no subtransaction needed) and the caller takes the general path.
_APPLY_OPERATION: LiteralString = """
CREATE OR REPLACE FUNCTION {s}.apply_operation(
    p_op_key text, p_print text, p_outcome jsonb, p_before jsonb, p_after jsonb, p_entry jsonb,
    p_skus text[], p_locations text[], p_on_hand bigint[], p_reserved bigint[],
    p_expiring_skus text[], p_expiring_locations text[]
) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    rid text := p_after ->> 'reservation_id';
    status_after text := p_after ->> 'status';
    expires_after bigint := (p_after ->> 'expires_at_ms')::bigint;
    at_ms bigint := (p_entry ->> 'at_ms')::bigint;
    moves integer := coalesce(cardinality(p_skus), 0);
    prior text[];
    stocks jsonb;
    enough boolean;
    defer boolean;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RETURN ARRAY['general'];
    END IF;
    IF p_before IS NULL THEN
        IF moves = 1 THEN
            INSERT INTO {s}.operations (op_key, fingerprint, result)
            SELECT p_op_key, p_print, coalesce(p_outcome, p_after)
             WHERE (SELECT NOT s.frozen AND s.on_hand - s.reserved >= p_reserved[1]
                      FROM {s}.stock s WHERE s.sku = p_skus[1] AND s.location = p_locations[1])
               AND coalesce((SELECT min(l.expires_at_ms) FROM {s}.reservation_lines l
                              WHERE l.sku = p_skus[1] AND l.location = p_locations[1]) > at_ms,
                            true)
            ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO {s}.operations (op_key, fingerprint, result)
            SELECT p_op_key, p_print, coalesce(p_outcome, p_after)
             WHERE NOT EXISTS (
                SELECT FROM generate_subscripts(p_skus, 1) AS k
                 WHERE NOT coalesce((SELECT NOT s.frozen AND s.on_hand - s.reserved >= p_reserved[k]
                                       FROM {s}.stock s
                                      WHERE s.sku = p_skus[k] AND s.location = p_locations[k]),
                                    false)
                    OR (SELECT min(l.expires_at_ms) FROM {s}.reservation_lines l
                         WHERE l.sku = p_skus[k] AND l.location = p_locations[k]) <= at_ms)
            ON CONFLICT DO NOTHING;
        END IF;
        IF NOT FOUND THEN
            SELECT (SELECT ARRAY['replay', o.fingerprint, o.result::text]
                      FROM {s}.operations o WHERE o.op_key = p_op_key),
                   jsonb_agg(jsonb_build_array(coalesce(s.on_hand, 0), coalesce(s.reserved, 0),
                                               coalesce(s.frozen, false)) ORDER BY k),
                   bool_and(coalesce(NOT s.frozen AND s.on_hand - s.reserved >= p_reserved[k],
                                     false)),
                   EXISTS (SELECT FROM {s}.reservations r WHERE r.reservation_id = rid)
                   OR coalesce(bool_or((SELECT min(l.expires_at_ms) FROM {s}.reservation_lines l
                                         WHERE l.sku = p_skus[k] AND l.location = p_locations[k])
                                       <= at_ms), false)
              INTO prior, stocks, enough, defer
              FROM generate_subscripts(p_skus, 1) AS k
              LEFT JOIN LATERAL (
                  SELECT * FROM {s}.stock s
                   WHERE s.sku = p_skus[k] AND s.location = p_locations[k] OFFSET 0) s ON true;
            IF prior IS NOT NULL THEN
                RETURN prior;
            ELSIF NOT defer AND NOT enough THEN
                RETURN ARRAY['refused', stocks::text];
            END IF;
            RETURN ARRAY['general'];
        END IF;
        INSERT INTO {s}.reservations (reservation_id, status, expires_at_ms, reservation)
        VALUES (rid, status_after, expires_after, p_after) ON CONFLICT DO NOTHING;
    ELSE
        LOOP
            INSERT INTO {s}.operations (op_key, fingerprint, result)
            VALUES (p_op_key, p_print, coalesce(p_outcome, p_after)) ON CONFLICT DO NOTHING;
            EXIT WHEN FOUND;
            SELECT ARRAY['replay', o.fingerprint, o.result::text] INTO prior
              FROM {s}.operations o WHERE o.op_key = p_op_key;
            IF FOUND THEN
                RETURN prior;
            END IF;
        END LOOP;
        UPDATE {s}.reservations r
           SET status = status_after, expires_at_ms = expires_after, reservation = p_after
         WHERE r.reservation_id = rid AND r.reservation = p_before;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'general path' USING ERRCODE = 'OKGEN';
    END IF;
    IF p_before IS NOT NULL THEN
        DELETE FROM {s}.reservation_lines l WHERE l.reservation_id = rid;
    END IF;
    IF p_expiring_skus IS NOT NULL THEN
        INSERT INTO {s}.reservation_lines (reservation_id, sku, location, expires_at_ms)
        SELECT rid, l.sku, l.location, expires_after
          FROM unnest(p_expiring_skus, p_expiring_locations) AS l (sku, location);
    END IF;
    FOR i IN 1 .. moves LOOP
        UPDATE {s}.stock s
           SET on_hand = s.on_hand + p_on_hand[i], reserved = s.reserved + p_reserved[i],
               updated_at_ms = at_ms
         WHERE s.sku = p_skus[i] AND s.location = p_locations[i]
           AND (p_reserved[i] <= 0
                OR NOT s.frozen AND s.on_hand - s.reserved >= p_reserved[i]);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'general path' USING ERRCODE = 'OKGEN';
        END IF;
    END LOOP;
    WITH head AS (
        UPDATE {s}.journal_head SET last_seq = last_seq + 1 RETURNING last_seq)
    INSERT INTO {s}.journal (seq, entry)
    SELECT last_seq, p_entry || jsonb_build_object('seq', last_seq) FROM head;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journal_head has no row' USING ERRCODE = 'OKGEN';
    END IF;
    RETURN NULL;
END
$$"""

_MIGRATIONS: tuple[tuple[LiteralString, ...], ...] = (
    _TABLES,
    (),
    (),
    (
        "DROP FUNCTION IF EXISTS {s}.apply_operation(text, text, jsonb, jsonb, jsonb, jsonb)",
        _APPLY_OPERATION,
        "ALTER TABLE {s}.journal_head SET (fillfactor = 10)",
        "ALTER TABLE {s}.stock SET (fillfactor = 50)",
        "DROP INDEX {s}.reservations_due",
        """CREATE INDEX reservations_due ON {s}.reservations (expires_at_ms)
            WHERE status = 'active' AND expires_at_ms IS NOT NULL""",
    ),
)
"""Versions 2 and 3 installed earlier forms of ``apply_operation``, which version 4 drops
for one with another signature: a store made at version 1 needs neither and goes
straight to version 4."""

SCHEMA_VERSION = len(_MIGRATIONS)
"""The schema version this release creates and understands."""


@functools.cache
def compose(text: LiteralString, schema: str) -> LiteralString:
    """A statement with ``{s}`` naming the store's schema, rendered once.

    The schema is quoted as an identifier (any ``"`` doubled), which is the same text
    in every client encoding, so the statement is as safe as a literal one and each
    call sends the cached string instead of composing it again.
    """
    from psycopg import sql

    return sql.SQL(text).format(s=sql.Identifier(schema)).as_string()


def migrate(conn: Connection[Any], schema: str) -> int:
    """Create ``schema`` and its tables, or upgrade them; returns the schema version.

    One transaction under an advisory lock on the schema's name, so processes starting
    together queue and each version is applied once, recorded in ``schema_version``. A
    schema made by a newer release raises :class:`~orderkit.errors.ConfigError`.
    """
    with conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            (f"orderkit.inventory:{schema}",),
        )
        conn.execute(compose("CREATE SCHEMA IF NOT EXISTS {s}", schema))
        conn.execute(
            compose(
                "CREATE TABLE IF NOT EXISTS {s}.schema_version ("
                " version integer PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                schema,
            )
        )
        row = conn.execute(
            compose("SELECT coalesce(max(version), 0) FROM {s}.schema_version", schema)
        ).fetchone()
        current = 0 if row is None else int(row[0])
        if current > SCHEMA_VERSION:
            raise ConfigError(
                f"schema {schema!r} is at version {current}, newer than the "
                f"{SCHEMA_VERSION} this orderkit knows: upgrade orderkit"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[version - 1]:
                conn.execute(compose(statement, schema))
            conn.execute(
                compose("INSERT INTO {s}.schema_version (version) VALUES (%s)", schema),
                (version,),
            )
    return SCHEMA_VERSION
