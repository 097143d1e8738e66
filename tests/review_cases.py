"""Review test cases are data: small migration folders, each a base and new migrations, whose
statements say which change rule (FK7xx) must fire on them and which must not.

A change rule judges a review (`check --migrations DIR --new-since FILE`), never an audit, so
it cannot be tested by tests/cases/*.sql. tests/test_review_rules.py writes each case's files
to a folder, reviews it on a real server and checks the report exactly; tests/
test_documentation.py checks that every change rule has a case that fires and one that must not.

A marker is a comment on the first line of a statement of a new migration:

    ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p;  -- expect: FK701 c_p
    ALTER TABLE c VALIDATE CONSTRAINT c_p;                    -- silent: FK702; expect: FK704 c_p

`expect: CODE constraint`: the review reports CODE on that key at this file and line (its
`location`). `silent: CODE`: it reports no CODE at this statement. The check is exact: the
FK7xx findings of the review are exactly the `expect` markers, so a `silent` marker documents
what the case is about and cannot pass by accident. Findings of the other rules that the change
introduces (a NOT VALID key's FK401) are listed in `others`, exactly too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from textwrap import dedent

_MARKERS = re.compile(r"--\s*((?:expect|silent):.*)$")
_MARKER = re.compile(r"^(expect|silent):\s*(FK7\d\d)(?:\s+(\S+))?$")


@dataclass(frozen=True)
class Marker:
    """One marker: whether `code` must fire at `file`:`line` (on `constraint`) or must not."""

    fires: bool
    code: str
    constraint: str | None
    file: str
    line: int


@dataclass(frozen=True)
class ReviewCase:
    """A migration folder: `base` files, then `new` files (the first is `--new-since`), each a
    (file name, SQL) pair in the order the folder's tool applies them."""

    name: str
    base: tuple[tuple[str, str], ...]
    new: tuple[tuple[str, str], ...]
    # Findings of other rules the change introduces: (code, constraint, or [table]).
    others: tuple[tuple[str, str], ...] = ()
    transaction: str = "auto"  # --transaction
    config: str = ""  # fkaudit.toml, when not empty
    min_version: int = 12

    def files(self) -> Iterator[tuple[str, str]]:
        for name, text in (*self.base, *self.new):
            yield name, dedent(text).lstrip("\n")

    def markers(self) -> list[Marker]:
        found: list[Marker] = []
        for name, text in self.new:
            for number, line in enumerate(dedent(text).lstrip("\n").splitlines(), 1):
                comment = _MARKERS.search(line)
                if not comment:
                    continue
                for item in comment[1].split(";"):
                    marker = _MARKER.match(item.strip())
                    if marker is None:
                        raise ValueError(f"{self.name}: {name}:{number}: bad marker {item!r}")
                    kind, code, constraint = marker.groups()
                    if (kind == "expect") != (constraint is not None):
                        raise ValueError(f"{self.name}: {name}:{number}: {item!r}")
                    found.append(Marker(kind == "expect", code, constraint, name, number))
        return found


def _case(
    name: str,
    base: str,
    *new: tuple[str, str],
    others: tuple[tuple[str, str], ...] = (),
    transaction: str = "auto",
    config: str = "",
) -> ReviewCase:
    """A psql-mode case: one base file, `001_base.sql`, then the new files."""
    return ReviewCase(name, (("001_base.sql", base),), new, others, transaction, config)


# Tables every psql-mode case starts from: p is referenced; c, d, e, f, g reference it (or will).
# Indexes on the key columns keep FK101 (and so FK704) out of cases about other rules.
_TABLES = """
    CREATE TABLE p (id int PRIMARY KEY);
    INSERT INTO p VALUES (1);
    CREATE TABLE c (id int PRIMARY KEY, p_id int, n int);
    CREATE INDEX c_p_id ON c (p_id);
    CREATE TABLE d (id int PRIMARY KEY, p_id int, n int);
    CREATE INDEX d_p_id ON d (p_id);
    CREATE TABLE e (id int PRIMARY KEY);
    CREATE TABLE f (id int PRIMARY KEY, p_id int);
    CREATE INDEX f_p_id ON f (p_id);
    ALTER TABLE f ADD CONSTRAINT f_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
    CREATE TABLE g (id int PRIMARY KEY, p_id int, n int);
"""
# A cascade chain r <- s <- t <- u <- v: a delete in r reaches 4 tables, FK705's and FK306's
# default limit, so the base has no FK306 finding. Keys NOT NULL and indexed: no FK303, FK101.
_CHAIN = """
    CREATE TABLE r (id int PRIMARY KEY);
    CREATE TABLE s (id int PRIMARY KEY, r_id int NOT NULL CONSTRAINT s_r REFERENCES r ON DELETE CASCADE);
    CREATE INDEX s_r_id ON s (r_id);
    CREATE TABLE t (id int PRIMARY KEY, s_id int NOT NULL CONSTRAINT t_s REFERENCES s ON DELETE CASCADE);
    CREATE INDEX t_s_id ON t (s_id);
    CREATE TABLE u (id int PRIMARY KEY, t_id int NOT NULL CONSTRAINT u_t REFERENCES t ON DELETE CASCADE);
    CREATE INDEX u_t_id ON u (t_id);
    CREATE TABLE v (id int PRIMARY KEY, u_id int NOT NULL CONSTRAINT v_u REFERENCES u ON DELETE CASCADE);
    CREATE INDEX v_u_id ON v (u_id);
    CREATE TABLE a (id int PRIMARY KEY, b_id int NOT NULL);
    CREATE INDEX a_b_id ON a (b_id);
    CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL CONSTRAINT b_a REFERENCES a ON DELETE CASCADE);
    CREATE INDEX b_a_id ON b (a_id);
"""  # noqa: E501

# A partitioned table of four partitions: PostgreSQL copies a key (and an index) to each.
_PARTITIONED = """
    CREATE TABLE p (id int PRIMARY KEY);
    CREATE TABLE c (id int, p_id int NOT NULL, day date) PARTITION BY RANGE (day);
    CREATE TABLE c_1 PARTITION OF c FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
    CREATE TABLE c_2 PARTITION OF c FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
    CREATE TABLE c_3 PARTITION OF c FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
    CREATE TABLE c_4 PARTITION OF c FOR VALUES FROM ('2026-04-01') TO ('2026-05-01');
"""

REVIEW_CASES: tuple[ReviewCase, ...] = (
    _case(
        "FK701 a validated key added to an existing table: alone, in BEGIN/COMMIT, by a new "
        "column with a default",
        _TABLES,
        (
            "002_keys.sql",
            """
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p;  -- expect: FK701 c_p
            BEGIN;
            ALTER TABLE d  -- expect: FK701 d_p
                ADD CONSTRAINT d_p FOREIGN KEY (p_id) REFERENCES p;
            COMMIT;
            """,
        ),
        (
            "003_column.sql",
            """
            -- every existing row gets p_id = 1: PostgreSQL checks them all
            ALTER TABLE e ADD COLUMN p_id int DEFAULT 1 CONSTRAINT e_p REFERENCES p;  -- expect: FK701 e_p; expect: FK704 e_p
            """,  # noqa: E501
        ),
    ),
    _case(
        "FK701 must not: NOT VALID, a table the change creates, a new column without a default",
        _TABLES,
        (
            "002_keys.sql",
            """
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;  -- silent: FK701
            CREATE TABLE n (id int PRIMARY KEY, p_id int);
            CREATE INDEX n_p_id ON n (p_id);
            ALTER TABLE n ADD CONSTRAINT n_p FOREIGN KEY (p_id) REFERENCES p;  -- silent: FK701
            ALTER TABLE e ADD COLUMN p_id int CONSTRAINT e_p REFERENCES p;  -- silent: FK701; expect: FK704 e_p
            """,  # noqa: E501
        ),
        others=(("FK401", "c_p"),),
    ),
    _case(
        "FK702 validation in the transaction that added the key, or that rewrote its table",
        _TABLES,
        (
            "002_validate.sql",
            """
            BEGIN;
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;  -- silent: FK701
            ALTER TABLE c VALIDATE CONSTRAINT c_p;  -- expect: FK702 c_p
            COMMIT;
            BEGIN;
            ALTER TABLE f ADD COLUMN x int;
            ALTER TABLE f VALIDATE CONSTRAINT f_p;  -- expect: FK702 f_p
            COMMIT;
            """,  # noqa: E501
        ),
    ),
    _case(
        "FK702 on the referenced table: a transaction that rewrote it, not one that wrote rows",
        _TABLES,
        (
            "002_validate.sql",
            """
            BEGIN;
            INSERT INTO p VALUES (2);
            ALTER TABLE f VALIDATE CONSTRAINT f_p;  -- silent: FK702
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
            COMMIT;
            BEGIN;
            ALTER TABLE p ADD COLUMN label text;
            ALTER TABLE c VALIDATE CONSTRAINT c_p;  -- expect: FK702 c_p
            COMMIT;
            """,
        ),
    ),
    _case(
        "FK702 must not: each statement in its own transaction, or the stronger lock taken "
        "after the validation",
        _TABLES,
        (
            "002_validate.sql",
            """
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
            ALTER TABLE c VALIDATE CONSTRAINT c_p;  -- silent: FK702
            BEGIN;
            ALTER TABLE f VALIDATE CONSTRAINT f_p;  -- silent: FK702
            ALTER TABLE f ADD COLUMN x int;
            COMMIT;
            """,
        ),
    ),
    _case(
        "FK702 with --transaction file: a psql file without BEGIN runs as one transaction",
        _TABLES,
        (
            "002_validate.sql",
            """
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
            ALTER TABLE c VALIDATE CONSTRAINT c_p;  -- expect: FK702 c_p
            """,
        ),
        transaction="file",
    ),
    ReviewCase(
        "FK702 in a tool that wraps each file (golang-migrate): one file fires, two do not",
        (("1_base.up.sql", _TABLES),),
        (
            (
                "2_add_and_validate.up.sql",
                """
                ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
                ALTER TABLE c VALIDATE CONSTRAINT c_p;  -- expect: FK702 c_p
                """,
            ),
            (
                "3_add.up.sql",
                """
                ALTER TABLE d ADD CONSTRAINT d_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
                """,
            ),
            ("4_validate.up.sql", "ALTER TABLE d VALIDATE CONSTRAINT d_p;  -- silent: FK702\n"),
        ),
    ),
    ReviewCase(
        "FK702 must not with --transaction statement, even in a wrapping tool",
        (("1_base.up.sql", _TABLES),),
        (
            (
                "2_add_and_validate.up.sql",
                """
                ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
                ALTER TABLE c VALIDATE CONSTRAINT c_p;  -- silent: FK702
                """,
            ),
        ),
        transaction="statement",
    ),
    _case(
        "FK703 a plain CREATE INDEX leading with an existing table's key columns",
        _TABLES
        + """
            DROP INDEX c_p_id;
            DROP INDEX d_p_id;
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p;
            ALTER TABLE d ADD CONSTRAINT d_p FOREIGN KEY (p_id) REFERENCES p;
        """,
        (
            "002_indexes.sql",
            """
            CREATE INDEX c_p_id ON c (p_id);  -- expect: FK703 c_p
            BEGIN;
            CREATE INDEX d_p_id_n ON d (p_id, n);  -- expect: FK703 d_p
            COMMIT;
            -- the index first, its key after it
            CREATE INDEX g_p_id ON g (p_id);  -- expect: FK703 g_p
            ALTER TABLE g ADD CONSTRAINT g_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;
            """,
        ),
        others=(("FK401", "g_p"),),
    ),
    _case(
        "FK703 must not: CONCURRENTLY, other columns, the key's columns not leading, a new table",
        _TABLES
        + """
            DROP INDEX c_p_id;
            DROP INDEX d_p_id;
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p;
            ALTER TABLE d ADD CONSTRAINT d_p FOREIGN KEY (p_id) REFERENCES p;
        """,
        (
            "002_indexes.sql",
            """
            CREATE INDEX CONCURRENTLY c_p_id ON c (p_id);  -- silent: FK703
            CREATE INDEX c_n ON c (n);  -- silent: FK703
            CREATE INDEX d_n_p_id ON d (n, p_id);  -- silent: FK703
            CREATE TABLE n (id int PRIMARY KEY, p_id int CONSTRAINT n_p REFERENCES p);
            CREATE INDEX n_p_id ON n (p_id);  -- silent: FK703
            """,
        ),
    ),
    _case(
        "FK704 a new unindexed key, a dropped index, SET NULL on NOT NULL, a key added back",
        _TABLES
        + """
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p;
            ALTER TABLE d ADD CONSTRAINT d_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL;
            CREATE TABLE h (id int PRIMARY KEY, p_id int NOT NULL);
            CREATE INDEX h_p_id ON h (p_id);
        """,
        (
            "002_worse.sql",
            """
            CREATE TABLE n (id int PRIMARY KEY, p_id int CONSTRAINT n_p REFERENCES p);  -- expect: FK704 n_p
            DROP INDEX c_p_id;  -- expect: FK704 c_p
            ALTER TABLE d ALTER COLUMN p_id SET NOT NULL;  -- expect: FK704 d_p
            ALTER TABLE h ADD CONSTRAINT h_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL NOT VALID;  -- expect: FK704 h_p
            ALTER TABLE f DROP CONSTRAINT f_p;
            ALTER TABLE f ADD CONSTRAINT f_p FOREIGN KEY (p_id) REFERENCES p;  -- expect: FK704 f_p; expect: FK701 f_p
            """,  # noqa: E501
        ),
        others=(("FK401", "h_p"),),
    ),
    _case(
        "FK704 must not: the base's own problems, touched or re-created NOT VALID",
        _TABLES
        + """
            ALTER TABLE g ADD CONSTRAINT g_p FOREIGN KEY (p_id) REFERENCES p;
            CREATE TABLE h (id int PRIMARY KEY, p_id int NOT NULL);
            CREATE INDEX h_p_id ON h (p_id);
            ALTER TABLE h ADD CONSTRAINT h_p FOREIGN KEY (p_id) REFERENCES p ON DELETE SET NULL;
        """,
        (
            "002_same.sql",
            """
            ALTER TABLE g ADD COLUMN x int;  -- silent: FK704
            ALTER TABLE h ADD COLUMN x int;  -- silent: FK704
            ALTER TABLE g DROP CONSTRAINT g_p;
            ALTER TABLE g ADD CONSTRAINT g_p FOREIGN KEY (p_id) REFERENCES p NOT VALID;  -- silent: FK704
            ALTER TABLE g VALIDATE CONSTRAINT g_p;  -- silent: FK704
            """,  # noqa: E501
        ),
    ),
    _case(
        "FK705 a new cascade closing a cycle, a new cascade making a chain deeper than 4",
        _CHAIN,
        (
            "002_cascades.sql",
            """
            -- FK305 names a cycle by the key of its first table (b_a): FK704 reports that key here
            ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b ON DELETE CASCADE NOT VALID;  -- expect: FK705 a_b; expect: FK704 b_a
            CREATE TABLE w (id int PRIMARY KEY, v_id int NOT NULL CONSTRAINT w_v REFERENCES v ON DELETE CASCADE);  -- expect: FK705 w_v
            CREATE INDEX w_v_id ON w (v_id);
            """,  # noqa: E501
        ),
        others=(("FK401", "a_b"), ("FK306", "[r]")),
    ),
    _case(
        "FK705 must not: a short cascade, a self-referencing tree",
        _CHAIN,
        (
            "002_cascades.sql",
            """
            -- a delete in a now reaches b and w
            CREATE TABLE w (id int PRIMARY KEY, b_id int NOT NULL CONSTRAINT w_b REFERENCES b ON DELETE CASCADE);  -- silent: FK705
            CREATE INDEX w_b_id ON w (b_id);
            -- a new key between new tables, a self-reference: FK303 (a nullable key under a
            -- cascade) is the change's, found by the final audit
            CREATE TABLE tree (id int PRIMARY KEY, parent_id int CONSTRAINT tree_parent REFERENCES tree ON DELETE CASCADE);  -- silent: FK705; expect: FK704 tree_parent
            CREATE INDEX tree_parent_id ON tree (parent_id);
            """,  # noqa: E501
        ),
    ),
    _case(
        "FK705 max_tables from the configuration file: 5 lets the deeper chain pass",
        _CHAIN,
        (
            "002_cascades.sql",
            """
            CREATE TABLE w (id int PRIMARY KEY, v_id int NOT NULL CONSTRAINT w_v REFERENCES v ON DELETE CASCADE);  -- silent: FK705
            CREATE INDEX w_v_id ON w (v_id);
            """,  # noqa: E501
        ),
        others=(("FK306", "[r]"),),
        config="[rules.FK705]\nmax_tables = 5\n",
    ),
    _case(
        "FK705 max_tables from the configuration file: 2 makes a 3-table cascade fire",
        """
        CREATE TABLE x (id int PRIMARY KEY);
        CREATE TABLE y (id int PRIMARY KEY, x_id int NOT NULL CONSTRAINT y_x REFERENCES x ON DELETE CASCADE);
        CREATE INDEX y_x_id ON y (x_id);
        CREATE TABLE z (id int PRIMARY KEY, y_id int NOT NULL CONSTRAINT z_y REFERENCES y ON DELETE CASCADE);
        CREATE INDEX z_y_id ON z (y_id);
        """,  # noqa: E501
        (
            "002_cascades.sql",
            """
            CREATE TABLE w (id int PRIMARY KEY, z_id int NOT NULL CONSTRAINT w_z REFERENCES z ON DELETE CASCADE);  -- expect: FK705 w_z
            CREATE INDEX w_z_id ON w (z_id);
            """,  # noqa: E501
        ),
        config="[rules.FK705]\nmax_tables = 2\n",
    ),
    _case(
        "FK701 FK703 FK705 a partitioned table's key and index count once, not per partition",
        _PARTITIONED,
        (
            "002_partitioned.sql",
            """
            -- a delete in p cascades to c: one table, whatever its partitions
            ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE;  -- expect: FK701 c_p; silent: FK705
            CREATE INDEX c_p_id ON c (p_id);  -- expect: FK703 c_p
            """,  # noqa: E501
        ),
    ),
)
