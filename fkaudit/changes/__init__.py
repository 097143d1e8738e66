"""Migration review: what a pull request's new migrations do to the foreign keys, observed.

`fkaudit check --migrations DIR --new-since FILE` (or `--base-ref REF`) applies the migrations
before FILE to a throwaway server (the base), then the new ones one statement at a time, each
in the transaction its migration tool would give it, and records after every statement the
locks the session holds on tables that existed before (`pg_locks`), the scans PostgreSQL made
of them (`pg_stat_xact_user_tables`), and the foreign keys and indexes that appeared, changed
or went away. The FK7xx rules (`fkaudit.rules.ChangeRule`) judge that record; the base and the
result are audited too, and what the change made worse is reported against the statement that
did it.

- `transactions`: how each migration tool groups a file's statements into transactions.
- `observe`: the snapshot taken after each statement, and what changed between two.
- `replay`: applying the new migrations statement by statement and recording it all.
- `review`: the base and final audits, the FK7xx findings and their file:line locations.
- `sizes`: `--sizes-from DSN`, the live sizes of the tables FK701-FK703 block, and the ranking.
"""
