"""The data auditor: rows whose foreign-key columns reference no row (orphans).

Catalog rules never touch the data; this package does, and only with read-only, time-bounded
anti-joins (`NOT EXISTS`) that take no lock stronger than ACCESS SHARE, so it can run against
production or a hot standby. `queries` builds the SQL for one foreign key; `scan` runs it.
"""

# `--orphans`: which foreign keys are scanned. Here, import-free, for the CLI's option parsing.
MODES = ("suspect", "all", "off")
