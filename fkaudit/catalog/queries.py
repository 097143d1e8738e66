"""The catalog queries, as constants.

They read `pg_catalog` (never `information_schema`: it hides constraints from roles without table
privileges and is pathologically slow at scale), qualify every catalog name, keep arrays in key
order and end in a deterministic ORDER BY. The number of queries is fixed whatever the schema
size: `catalog_queries()`, then `type_and_operator_queries()`, small ones about the types and
operators the first returned; each runs as its result is turned into model objects.

Version differences live here and in `introspect` only: `confdelsetcols` exists from 15,
`conenforced` and `conperiod` from 18, NOT NULL constraints (contype 'n') from 18.
"""

from __future__ import annotations

# Relations outside the system schemas. Extension-owned tables are read too (a user's foreign
# key may reference one, e.g. PostGIS's spatial_ref_sys) but flagged, and never inspected.
_USER_RELATION = """
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
"""

# With each partitioned table's strategy and key columns, and each partition's bound as a node
# tree: a LIST partition of one value holds its key column at that value, which the RI lookup
# then never needs an index for (`coverage`).
TABLES = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, inh.inhparent,
       c.reltuples, c.relpages::bigint * pg_catalog.current_setting('block_size')::bigint,
       EXISTS (
           SELECT 1 FROM pg_catalog.pg_depend d
           WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
             AND d.objid = c.oid AND d.deptype = 'e'),
       pt.partstrat, pt.partattrs::pg_catalog.int2[],
       CASE WHEN c.relispartition THEN c.relpartbound::pg_catalog.text END
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid
WHERE c.relkind IN ('r', 'p', 'f') AND {_USER_RELATION}
ORDER BY c.oid
"""

# Only the columns rules reason about: those of a foreign key (either side) and every column of
# a partition (a partitioned FK's columns are found in its leaves by name). Schemas have many
# more columns than FK columns; reading them all would triple this, the largest, query.
# Each wanted column is then looked up by the (attrelid, attnum) index, one probe per column,
# behind an OFFSET 0 fence so that no row estimate can change that plan: PostgreSQL 12-16
# estimate ten elements for every unnest() of a column, which at 100,000 keys made the planner
# hash all of pg_attribute (spilling to disk) for 150,000 wanted columns; and a filter
# `relispartition OR EXISTS (...)` before that ran the EXISTS as a per-row subplan once its
# hashed form outgrew work_mem (48 s at 15,000 keys).
COLUMNS = f"""
WITH wanted AS (
    SELECT con.conrelid AS attrelid, pg_catalog.unnest(con.conkey) AS attnum
    FROM pg_catalog.pg_constraint con WHERE con.contype = 'f'
    UNION
    SELECT con.confrelid, pg_catalog.unnest(con.confkey)
    FROM pg_catalog.pg_constraint con WHERE con.contype = 'f'
    UNION
    SELECT a.attrelid, a.attnum
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
    WHERE c.relispartition AND a.attnum > 0
)
SELECT a.attrelid, a.attnum, a.attname, pg_catalog.quote_ident(a.attname), a.atttypid,
       pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attcollation
FROM wanted w
CROSS JOIN LATERAL (
    SELECT * FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = w.attrelid AND a.attnum = w.attnum AND NOT a.attisdropped
    OFFSET 0
) a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'f') AND {_USER_RELATION}
ORDER BY a.attrelid, a.attnum
"""

# What makes a referencing column NOT NULL besides a declared, validated NOT NULL: CHECK
# constraints whose stored expression holds a null test (`nodetree` decides which columns they
# prove non-NULL, validated or not), and PostgreSQL 18's NOT VALID NOT NULL constraints, which set
# attnotnull although old rows may still hold NULLs (contype 'n' exists from 18; older servers
# simply have no such rows). Only the tables that declare a foreign key, through a hashed
# semi-join (never a per-row subplan), and only the few checks that mention NULLTEST at all.
NOT_NULL_CONSTRAINTS = """
SELECT con.conrelid, con.conname, con.contype, con.convalidated, con.conkey,
       CASE WHEN con.contype = 'c' THEN con.conbin::pg_catalog.text END
FROM pg_catalog.pg_constraint con
WHERE con.conrelid IN (
        SELECT f.conrelid FROM pg_catalog.pg_constraint f
        WHERE f.contype = 'f' AND f.conparentid = 0)
  AND ((con.contype = 'c' AND con.conbin::pg_catalog.text LIKE '%{NULLTEST %')
       OR (con.contype = 'n' AND NOT con.convalidated))
ORDER BY con.conrelid, con.conname, con.contype
"""

INDEXES = f"""
SELECT i.indexrelid, i.indrelid, ic.relname, am.amname, i.indnkeyatts,
       i.indkey::pg_catalog.int2[], i.indclass::pg_catalog.oid[],
       i.indcollation::pg_catalog.oid[],
       pg_catalog.pg_get_expr(i.indpred, i.indrelid), i.indpred::pg_catalog.text,
       i.indexprs::pg_catalog.text,
       i.indisunique, i.indisprimary, i.indisvalid, i.indisready, i.indislive
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE c.relkind IN ('r', 'p') AND {_USER_RELATION}
ORDER BY i.indrelid, ic.relname
"""

OPCLASS_FAMILIES = """
SELECT o.oid, o.opcfamily FROM pg_catalog.pg_opclass o ORDER BY o.oid
"""

_FOREIGN_KEYS = """
SELECT con.oid, n.nspname, con.conname, con.conrelid, con.confrelid,
       con.conkey, con.confkey, con.conpfeqop::pg_catalog.oid[],
       con.confdeltype, con.confupdtype, con.confmatchtype,
       con.condeferrable, con.condeferred, con.convalidated,
       NULLIF(con.conparentid, 0),
       {delete_set_columns}, {enforced}, {period}
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
WHERE con.contype = 'f'
ORDER BY con.oid
"""

# RI triggers not in their normal state ('O'): disabled ('D') or firing only in replica
# ('R') or always ('A') mode. Every FK has four triggers; only the exceptions are worth a row.
# They sit on the constraint that created them, which for partitions is a clone.
TRIGGERS = """
SELECT t.tgconstraint, t.tgrelid, t.tgname, t.tgenabled
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_constraint con ON con.oid = t.tgconstraint
WHERE con.contype = 'f' AND t.tgisinternal AND t.tgenabled <> 'O'
ORDER BY t.tgconstraint, t.tgrelid, t.tgname
"""

# The second batch, run with what the first returned: the types of the columns read and the
# operators the foreign keys compare with. Restricting these to a handful of OIDs keeps them
# in the milliseconds, where deriving them from pg_constraint again cost ~60 ms at 10,000 keys.

# Which (operator family, operator) pairs can drive an index search, for the RI operators. An
# index column helps a foreign key only when the FK's equality operator belongs to the column's
# operator family: that excludes cast-forcing type pairs such as an int child referencing a
# numeric parent.
SEARCH_OPERATORS = """
SELECT DISTINCT ao.amopfamily, ao.amopopr
FROM pg_catalog.pg_amop ao
WHERE ao.amoppurpose = 's' AND ao.amopopr = ANY (%(operators)s::pg_catalog.oid[])
ORDER BY 1, 2
"""

# The btree operator family a plain index on a referencing column's type would use, the way
# CREATE INDEX picks a default operator class: an exact type match first, then the base type of
# a domain (domains over domains followed to the end), then polymorphic classes (enum, array,
# range) and binary-coercible types (varchar uses text_ops). If the FK's equality operator is
# not in that family, the check casts the column.
TYPE_FAMILIES = """
WITH RECURSIVE fk_type AS (
    SELECT pg_catalog.unnest(%(types)s::pg_catalog.oid[]) AS oid
), chain AS (
    SELECT fk_type.oid, fk_type.oid AS base FROM fk_type
    UNION ALL
    SELECT chain.oid, d.typbasetype
    FROM chain JOIN pg_catalog.pg_type d ON d.oid = chain.base
    WHERE d.typtype = 'd'
), resolved AS (
    SELECT chain.oid, chain.base FROM chain
    JOIN pg_catalog.pg_type b ON b.oid = chain.base
    WHERE b.typtype <> 'd'
)
SELECT t.oid, b.oid, t.typcollation, (
    SELECT opc.opcfamily
    FROM pg_catalog.pg_opclass opc
    JOIN pg_catalog.pg_am am ON am.oid = opc.opcmethod
    JOIN pg_catalog.pg_type it ON it.oid = opc.opcintype
    WHERE am.amname = 'btree' AND opc.opcdefault
      AND (opc.opcintype IN (t.oid, b.oid)
           OR (it.typname = 'anyenum' AND b.typtype = 'e')
           OR (it.typname = 'anyrange' AND b.typtype = 'r')
           OR (it.typname = 'anyarray' AND b.typelem <> 0 AND b.typlen = -1)
           OR EXISTS (
               SELECT 1 FROM pg_catalog.pg_cast ca
               WHERE ca.castsource = b.oid AND ca.casttarget = opc.opcintype
                 AND ca.castmethod = 'b'))
    ORDER BY opc.opcintype = t.oid DESC, opc.opcintype = b.oid DESC,
             it.typispreferred DESC, opc.oid
    LIMIT 1)
FROM resolved
JOIN pg_catalog.pg_type t ON t.oid = resolved.oid
JOIN pg_catalog.pg_type b ON b.oid = resolved.base
ORDER BY t.oid
"""

# The type each RI equality operator compares the referencing column as (0 for polymorphic
# operators such as enum = enum), with its qualified name for the orphan queries, which compare
# exactly as the RI triggers do. The type is spelled `schema.typname`, as the RI triggers cast:
# format_type() would say `character`, which as a cast target means char(1). Then the
# binary-coercible casts (varchar -> text): a column of
# another type that is not binary-coercible to it is cast in the lookup, which no index matches.
FK_OPERATOR_TYPES = """
SELECT o.oid, CASE WHEN t.typtype = 'p' THEN 0 ELSE o.oprright END,
       n.nspname, o.oprname,
       pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.typname)
FROM pg_catalog.pg_operator o
JOIN pg_catalog.pg_type t ON t.oid = o.oprright
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
WHERE o.oid = ANY (%(operators)s::pg_catalog.oid[])
ORDER BY o.oid
"""

# The collations the RI comparisons may run in: those of the columns read and of their types
# (a domain declared with COLLATE gives the lookup's parameter its collation), with every
# nondeterministic one (on 12-17 the lookup adds the parent's COLLATE when it is one).
COLLATIONS = """
SELECT c.oid, n.nspname, c.collname, c.collisdeterministic
FROM pg_catalog.pg_collation c
JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
WHERE c.oid = ANY (%(collations)s::pg_catalog.oid[])
   OR c.oid IN (SELECT t.typcollation FROM pg_catalog.pg_type t
                WHERE t.oid = ANY (%(types)s::pg_catalog.oid[]))
   OR NOT c.collisdeterministic
ORDER BY c.oid
"""

BINARY_CASTS = """
SELECT ca.castsource, ca.casttarget FROM pg_catalog.pg_cast ca
WHERE ca.castmethod = 'b'
ORDER BY 1, 2
"""

# Defaults of the columns an ON DELETE/UPDATE SET DEFAULT action writes: the column's own
# default, else an identity (a sequence value), else the default of its domain (followed through
# domains over domains), with whether it is a constant (a Const node, possibly wrapped in
# coercions to a domain), and what the parent-row probe needs: USAGE on the referenced schema,
# SELECT on the table or the referenced column, and no row-level security hiding rows (RI checks
# bypass RLS; a probe would not see the hidden rows).
SET_DEFAULT_COLUMNS = """
WITH RECURSIVE domain_default AS (
    SELECT t.oid AS type_oid, t.typbasetype AS next, t.typdefaultbin AS bin
    FROM pg_catalog.pg_type t WHERE t.typtype = 'd'
    UNION ALL
    SELECT dd.type_oid, b.typbasetype, b.typdefaultbin
    FROM domain_default dd JOIN pg_catalog.pg_type b ON b.oid = dd.next
    WHERE dd.bin IS NULL AND b.typtype = 'd'
)
SELECT con.oid, a.attnum,
       COALESCE(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
                CASE WHEN a.attidentity <> '' THEN 'GENERATED AS IDENTITY' END,
                pg_catalog.pg_get_expr(dd.bin, 0)),
       CASE WHEN ad.adbin IS NOT NULL
            THEN ad.adbin::pg_catalog.text ~ '^({COERCETODOMAIN :arg )*{CONST '
            WHEN a.attidentity <> '' THEN false
            ELSE COALESCE(dd.bin::pg_catalog.text ~ '^({COERCETODOMAIN :arg )*{CONST ', false)
       END,
       pg_catalog.has_schema_privilege(pc.relnamespace, 'USAGE'),
       pg_catalog.has_table_privilege(con.confrelid, 'SELECT')
         OR pg_catalog.has_column_privilege(
              con.confrelid, con.confkey[pg_catalog.array_position(con.conkey, a.attnum)],
              'SELECT'),
       pg_catalog.row_security_active(con.confrelid)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class pc ON pc.oid = con.confrelid
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN domain_default dd ON dd.type_oid = a.atttypid AND dd.bin IS NOT NULL
WHERE con.contype = 'f' AND 'd' IN (con.confdeltype, con.confupdtype)
ORDER BY con.oid, a.attnum
"""

# Suppressions live with the schema, in comments on foreign keys or tables.
SUPPRESSION_COMMENTS = """
SELECT d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass, d.objoid, d.description
FROM pg_catalog.pg_description d
WHERE d.objsubid = 0 AND d.description LIKE '%fkaudit:ignore%'
  AND d.classoid IN ('pg_catalog.pg_constraint'::pg_catalog.regclass,
                     'pg_catalog.pg_class'::pg_catalog.regclass)
ORDER BY 1, 2
"""

# Names of the relations other than tables and indexes (sequences, views, materialized views,
# composite types): a generated index name must not collide with them either.
OTHER_RELATION_NAMES = f"""
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('S', 'v', 'm', 'c') AND {_USER_RELATION}
ORDER BY 1, 2
"""


def foreign_keys_query(server_version_num: int) -> str:
    """The foreign-key query for one server version."""
    return _FOREIGN_KEYS.format(
        delete_set_columns=(
            "con.confdelsetcols" if server_version_num >= 150000 else "NULL::pg_catalog.int2[]"
        ),
        enforced="con.conenforced" if server_version_num >= 180000 else "true",
        period="con.conperiod" if server_version_num >= 180000 else "false",
    )


# FK502 (opt-in), read only when it runs: columns named `<stem>_id` that no foreign key covers,
# paired with the single-column primary key, of the same type, of a table named like the stem
# (customer_id: customer, customers; category_id: categories), with both columns' details, so
# the pair can be checked for orphans like a real key (compared with `=` of their type). Each
# candidate's spellings are looked up by the pg_class name index, behind an OFFSET 0 fence:
# joining on `relname IN (stem, stem || 's', ...)` could only filter every candidate against
# every primary key (11-16 s at 10,000 keys, past 60 s at 50,000), and a join on the spelled-out
# names went back to that nested loop wherever the planner underestimated the primary keys.
IMPLIED_REFERENCES = f"""
WITH candidate AS MATERIALIZED (
    SELECT a.attrelid, a.attnum, a.atttypid, pg_catalog.left(a.attname, -3) AS stem
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {_USER_RELATION}
      AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname LIKE '%\\_id' AND pg_catalog.length(a.attname) > 3
      AND NOT EXISTS (
          SELECT 1 FROM pg_catalog.pg_constraint f
          WHERE f.contype = 'f' AND f.conrelid = a.attrelid AND a.attnum = ANY (f.conkey))
)
SELECT cand.attrelid, cand.attnum, pk.conrelid, pk.attnum,
       ca.attname, pg_catalog.quote_ident(ca.attname), ca.atttypid,
       pg_catalog.format_type(ca.atttypid, ca.atttypmod), ca.attnotnull, ca.attcollation,
       pa.attname, pg_catalog.quote_ident(pa.attname), pa.atttypid,
       pg_catalog.format_type(pa.atttypid, pa.atttypmod), pa.attnotnull, pa.attcollation
FROM candidate cand
CROSS JOIN LATERAL (VALUES
    (cand.stem), (cand.stem || 's'), (cand.stem || 'es'),
    (NULLIF(pg_catalog.regexp_replace(cand.stem, 'y$', 'ies'), cand.stem))
) AS spelling (relname)
CROSS JOIN LATERAL (
    SELECT con.conrelid, con.conkey[1] AS attnum
    FROM pg_catalog.pg_class pc
    JOIN pg_catalog.pg_constraint con ON con.conrelid = pc.oid
    WHERE pc.relname = spelling.relname::pg_catalog.name
      AND con.contype = 'p' AND pg_catalog.cardinality(con.conkey) = 1
    OFFSET 0
) pk
JOIN pg_catalog.pg_attribute pa ON pa.attrelid = pk.conrelid AND pa.attnum = pk.attnum
JOIN pg_catalog.pg_attribute ca ON ca.attrelid = cand.attrelid AND ca.attnum = cand.attnum
WHERE pa.atttypid = cand.atttypid AND pk.conrelid <> cand.attrelid
ORDER BY 1, 2, 3
"""


def type_and_operator_queries() -> tuple[str, ...]:
    """The second batch, with `%(types)s`, `%(operators)s` and `%(collations)s` (OID lists)."""
    return (SEARCH_OPERATORS, TYPE_FAMILIES, FK_OPERATOR_TYPES, BINARY_CASTS, COLLATIONS)


def catalog_queries(server_version_num: int) -> tuple[str, ...]:
    """The first batch of introspection queries, in the order `introspect` reads them: each
    result set is turned into model objects before the next, so what one needs comes first
    (NULL checks before columns, columns before tables, operator classes before indexes,
    triggers before foreign keys)."""
    return (
        NOT_NULL_CONSTRAINTS,
        COLUMNS,
        TABLES,
        OPCLASS_FAMILIES,
        INDEXES,
        TRIGGERS,
        foreign_keys_query(server_version_num),
        SET_DEFAULT_COLUMNS,
        SUPPRESSION_COMMENTS,
        OTHER_RELATION_NAMES,
    )
