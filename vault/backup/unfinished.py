"""The mark of a restore under way: a table made in the transaction that writes the backup's
rows, so that no moment has the rows committed without it, and dropped once the objects, the
keyring and the schema are all written. A restore killed in between (a closed terminal, a
machine stopped) leaves it: the instance then refuses to start (vault.wiring) rather than
serve accounts whose papers were never copied. The table is not in the models: no backup,
migration or count of rows sees it."""

from sqlalchemy import Connection, Engine, inspect, text

RESTORE_UNFINISHED = "coffre_restore_unfinished"

UNFINISHED = (
    "a restore into this instance did not finish (its rows are written, not all of its "
    "objects or its keyring): empty its database, its blob store and its keyring path, then "
    "run the restore again"
)


def mark_restore_unfinished(connection: Connection) -> None:
    connection.execute(text(f"CREATE TABLE {RESTORE_UNFINISHED} (started INTEGER)"))


def mark_restore_finished(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {RESTORE_UNFINISHED}"))


def restore_unfinished(engine: Engine) -> bool:
    with engine.connect() as connection:
        return inspect(connection).has_table(RESTORE_UNFINISHED)
