"""Django's PostgreSQL backend (django.db.backends.postgresql over psycopg2)
against PostgreSQL or rowchain: migrate, showmigrations, the ORM's common
operations, transaction.atomic, select_for_update, bulk_create, JSONField
lookups, IntegrityError, and `migrate django_app zero`.

Connection from libpq's env (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
Every table carries RC_PREFIX: the app's models and its migration set
`db_table` (and the named constraint) from it, and the migration recorder's
own table becomes `<prefix>django_migrations` (its model's db_table is patched
before migrate), so parallel runs in one database never collide. The end (and
a failure) unapplies the migration, which drops the app's tables, and drops
the recorder's table by hand, so a rerun in the same database starts clean.

At connect the backend reads the server version from ParameterStatus
(`server_version`; Django 5.2 refuses anything below 14) and sends `SELECT
set_config('TimeZone', 'UTC', false)` when the session's TimeZone is not UTC.
`migrate` introspects through pg_catalog (pg_class, pg_constraint, pg_index,
pg_attribute, unnest(... WITH ORDINALITY), array_agg), creates the tables,
then `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... DEFERRABLE INITIALLY
DEFERRED`, `CREATE INDEX ... (name varchar_pattern_ops)` and `ALTER TABLE ...
ADD CONSTRAINT ... UNIQUE`, all inside one transaction.

RC_DJANGO_SQL=1 logs every statement Django sends (django.db.backends at
DEBUG) to stderr; an unexpected database error always prints the last one.

With RC_TARGET=rowchain the checks named in EXPECTED_FAILURES may fail: each
prints `xfail django: <check>: <reason>` and the run goes on (a database
error while a check computes its value counts as that check failing). A
listed check that passes fails the run, so the list only ever shrinks.
Against PostgreSQL every check must pass.
"""

import datetime
import decimal
import io
import os
import secrets
import sys

os.environ.setdefault("RC_PREFIX", "t_" + secrets.token_hex(4))
PREFIX = os.environ["RC_PREFIX"]
TARGET = os.environ.get("RC_TARGET", "postgres")
LOG_SQL = os.environ.get("RC_DJANGO_SQL") == "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=LOG_SQL,
    USE_TZ=True,
    TIME_ZONE="UTC",
    INSTALLED_APPS=["django_app"],
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "postgres"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
    }},
    LOGGING={
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}},
        "loggers": {"django.db.backends": {"handlers": ["stderr"], "level": "DEBUG" if LOG_SQL else "WARNING"}},
    },
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, IntegrityError, connection, transaction  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402

from django_app.models import Author, Book  # noqa: E402

MigrationRecorder.Migration._meta.db_table = f"{PREFIX}django_migrations"
TABLES = {f"{PREFIX}author", f"{PREFIX}book", f"{PREFIX}django_migrations"}
PASSED = 0
XFAILED = []
LAST_SQL = []

# Checks rowchain fails for a feature it lacks, with that feature: honoured
# only with RC_TARGET=rowchain (see the module docs). Remove an entry as soon
# as its feature lands; the run fails until you do.
EXPECTED_FAILURES = {
    "FK DEFERRABLE INITIALLY DEFERRED: a dangling author_id is accepted until commit":
        "deferred constraints: rowchain checks a foreign key at its own statement (DEFERRABLE is accepted and "
        "ignored), so the INSERT fails with 23503 instead of the COMMIT",
}


class ExpectedFailure(Exception):
    """An expected failure (see EXPECTED_FAILURES) that stops the rest of
    its scenario, whose later checks depend on it."""


def remember_sql(execute, sql, params, many, context):
    """An execute_wrapper on every statement: keeps the last one for the
    report of an unexpected database error."""
    LAST_SQL[:] = [sql, params if not many else "<executemany>"]
    return execute(sql, params, many, context)


def expected_failure(check):
    """The reason `check` is expected to fail on this target, or None."""
    return EXPECTED_FAILURES.get(check) if TARGET == "rowchain" else None


def failed(check, detail):
    """Reports a failed check: ends the run, unless the failure is expected
    (then it returns False)."""
    reason = expected_failure(check)
    if reason is None:
        print(f"FAIL django: {check}: {detail}", file=sys.stderr, flush=True)
        sys.exit(1)
    XFAILED.append(check)
    print(f"xfail django: {check}: {reason} ({detail})", flush=True)
    return False


def fail(check, detail):
    """A failed check in the middle of a scenario: an expected one raises
    ExpectedFailure, as what follows it depends on it."""
    failed(check, detail)
    raise ExpectedFailure(check)


def ok(check):
    global PASSED
    if expected_failure(check) is not None:
        print(f"FAIL django: {check}: expected failure now passes; remove it from EXPECTED_FAILURES",
              file=sys.stderr, flush=True)
        sys.exit(1)
    PASSED += 1
    print(f"ok   django: {check}", flush=True)


def expect(check, actual, expected):
    """`actual` is the value, or a function computing it: then a database
    error on the way is this check's failure."""
    if callable(actual):
        try:
            actual = actual()
        except DatabaseError as error:
            return failed(check, f"SQLSTATE {sqlstate(error)}: {error!r}; last statement: {repr(LAST_SQL)[:1000]}")
    if actual != expected:
        return failed(check, f"expected {expected!r}, got {actual!r}")
    ok(check)
    return True


def sqlstate(error):
    return getattr(error.__cause__, "pgcode", None)


def tables():
    return {t for t in connection.introspection.table_names() if t.startswith(PREFIX)}


def check_migrate():
    connection.ensure_connection()
    if remember_sql not in connection.execute_wrappers:
        connection.execute_wrappers.append(remember_sql)
    version = connection.pg_version
    if version < 140000:
        fail("connect: server_version >= 14", version)
    ok(f"connect: server_version {connection.connection.info.parameter_status('server_version')} "
       f"(pg_version {version} >= 140000)")
    expect("connect: session TimeZone is UTC",
           lambda: connection.connection.info.parameter_status("TimeZone") in ("UTC", "Etc/UTC"), True)

    call_command("migrate", "django_app", verbosity=0, interactive=False)
    ok("migrate django_app")
    expect("migrate created the tables", lambda: tables(), TABLES)

    out = io.StringIO()
    call_command("showmigrations", "django_app", stdout=out)
    expect("showmigrations lists 0001_initial as applied", lambda: out.getvalue().split(),
           ["django_app", "[X]", "0001_initial"])
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name, applied IS NOT NULL FROM "{PREFIX}django_migrations" ORDER BY id')
        expect("django_migrations has the row", lambda: cursor.fetchall(), [("django_app", "0001_initial", True)])

    def introspect(method, table):
        """Each check introspects anew, so a query the server refuses fails
        that check alone."""
        with connection.cursor() as cursor:
            return getattr(connection.introspection, method)(cursor, f"{PREFIX}{table}")

    expect("introspection: columns of the book table",
           lambda: [c.name for c in introspect("get_table_description", "book")],
           ["id", "title", "price", "in_print", "published_at", "data", "author_id"])
    expect("introspection: the foreign key",
           lambda: [(c["columns"], c["foreign_key"]) for c in introspect("get_constraints", "book").values()
                    if c["foreign_key"]],
           [(["author_id"], (f"{PREFIX}author", "id"))])
    expect("introspection: the named unique constraint",
           lambda: introspect("get_constraints", "book").get(f"{PREFIX}book_author_title", {}).get("columns"),
           ["author_id", "title"])
    expect("introspection: primary key",
           lambda: [c["columns"] for c in introspect("get_constraints", "book").values() if c["primary_key"]],
           [["id"]])
    expect("introspection: varchar_pattern_ops (_like) indexes on name and email",
           lambda: sorted((c["columns"], c["unique"]) for n, c in introspect("get_constraints", "author").items()
                          if c["index"] and n.endswith("_like")),
           [(["email"], False), (["name"], False)])
    expect("introspection: UNIQUE email",
           lambda: [c["columns"] for c in introspect("get_constraints", "author").values()
                    if c["unique"] and not c["primary_key"]],
           [["email"]])

    call_command("migrate", "django_app", verbosity=0, interactive=False)
    ok("migrate again is a no-op")


def check_crud():
    ada = Author.objects.create(name="Ada Lovelace", email="ada@example.com")
    if not isinstance(ada.pk, int) or ada.pk < 1:
        fail("create: bigserial pk", ada.pk)
    ok(f"create: bigserial pk {ada.pk} (INSERT ... RETURNING)")
    grace = Author.objects.create(name="Grace Hopper ✓ 😀", email="grace@example.com")
    alan = Author.objects.create(name="Alan Turing", email="alan@example.com", active=False)
    expect("second pk is larger", grace.pk > ada.pk, True)

    at = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)
    notes = Book.objects.create(author=ada, title="Notes", price=decimal.Decimal("0.10"), published_at=at,
                                data={"genre": "math", "pages": 66, "tags": ["engine", "note G"]})
    Book.objects.create(author=ada, title="Letters", price=decimal.Decimal("0.20"), data={"genre": "letters"})
    Book.objects.create(author=grace, title="COBOL", price=decimal.Decimal("12.50"), in_print=False)

    got = Book.objects.get(pk=notes.pk)
    expect("get: DecimalField", got.price, decimal.Decimal("0.10"))
    expect("get: DateTimeField (timestamptz, microseconds)", got.published_at, at)
    expect("get: JSONField", got.data, {"genre": "math", "pages": 66, "tags": ["engine", "note G"]})
    expect("get: BooleanField default", got.in_print, True)
    expect("get: NULL DateTimeField", lambda: Book.objects.get(title="Letters").published_at, None)
    expect("get: unicode with a 4-byte char", lambda: Author.objects.get(pk=grace.pk).name, "Grace Hopper ✓ 😀")
    expect("select_related", lambda: Book.objects.select_related("author").get(title="COBOL").author.email,
           "grace@example.com")

    expect("filter exact", lambda: list(Book.objects.filter(title="Letters").values_list("price", flat=True)),
           [decimal.Decimal("0.20")])
    expect("filter icontains",
           lambda: sorted(Author.objects.filter(name__icontains="HOPPER").values_list("email", flat=True)),
           ["grace@example.com"])
    expect("filter startswith",
           lambda: sorted(Author.objects.filter(name__startswith="A").values_list("pk", flat=True)),
           sorted([ada.pk, alan.pk]))
    expect("filter gt on a decimal", lambda: list(Book.objects.filter(price__gt=decimal.Decimal("0.10"))
                                        .order_by("price").values_list("title", flat=True)), ["Letters", "COBOL"])
    expect("filter in", lambda: Author.objects.filter(pk__in=[ada.pk, alan.pk, -1]).count(), 2)
    expect("filter on a boolean", lambda: list(Author.objects.filter(active=False).values_list("name", flat=True)),
           ["Alan Turing"])
    expect("filter on a datetime range", lambda: Book.objects.filter(published_at__year=2024).count(), 1)
    expect("order_by descending, then ascending",
           lambda: list(Book.objects.order_by("-author_id", "title").values_list("title", flat=True)),
           ["COBOL", "Letters", "Notes"])
    expect("slice (LIMIT/OFFSET)", lambda: list(Book.objects.order_by("price").values_list("title", flat=True)[1:3]),
           ["Letters", "COBOL"])
    expect("count", lambda: Book.objects.count(), 3)
    expect("exists", lambda: Author.objects.filter(email="nobody@example.com").exists(), False)
    expect("aggregate Sum of a decimal is exact",
           lambda: Book.objects.filter(author=ada).aggregate(total=Sum("price"))["total"], decimal.Decimal("0.30"))
    expect("annotate Count over the foreign key",
           lambda: sorted(Author.objects.annotate(n=Count("books")).values_list("name", "n")),
           [("Ada Lovelace", 2), ("Alan Turing", 0), ("Grace Hopper ✓ 😀", 1)])
    expect("reverse relation", lambda: sorted(ada.books.values_list("title", flat=True)), ["Letters", "Notes"])
    expect("JSONField key lookup (data__genre='math')",
           lambda: list(Book.objects.filter(data__genre="math").values_list("title", flat=True)), ["Notes"])
    expect("JSONField contains", lambda: Book.objects.filter(data__contains={"genre": "letters"}).count(), 1)
    expect("JSONField has_key", lambda: Book.objects.filter(data__has_key="pages").count(), 1)

    expect("update() count", lambda: Book.objects.filter(author=ada).update(in_print=False), 2)
    expect("update() persisted", lambda: Book.objects.filter(in_print=False).count(), 3)
    notes.price = decimal.Decimal("1.05")
    notes.save()
    expect("save() of a loaded instance (UPDATE by pk)", lambda: Book.objects.get(pk=notes.pk).price,
           decimal.Decimal("1.05"))

    obj, created = Author.objects.get_or_create(email="edsger@example.com", defaults={"name": "Edsger"})
    expect("get_or_create creates", created, True)
    again, created = Author.objects.get_or_create(email="edsger@example.com", defaults={"name": "other"})
    expect("get_or_create finds the row", (again.pk, again.name, created), (obj.pk, "Edsger", False))

    def bulk_create():
        bulk = Book.objects.bulk_create([
            Book(author=alan if i % 2 else grace, title=f"bulk {i:03}", price=decimal.Decimal(i) / 100,
                 published_at=at + datetime.timedelta(days=i), data={"n": i})
            for i in range(100)])
        return len(bulk), all(isinstance(b.pk, int) for b in bulk), len({b.pk for b in bulk})

    expect("bulk_create of 100 rows returns them with primary keys", bulk_create, (100, True, 100))
    expect("bulk_create rows are there", lambda: Book.objects.filter(title__startswith="bulk ").count(), 100)
    expect("bulk_create values", lambda: Book.objects.filter(title__startswith="bulk ").aggregate(s=Sum("price"))["s"],
           decimal.Decimal("49.50"))
    expect("bulk_create JSON", lambda: Book.objects.get(title="bulk 042").data, {"n": 42})

    expect("delete() count", lambda: Book.objects.filter(title__startswith="bulk ", author=alan).delete(),
           (50, {"django_app.Book": 50}))
    expect("delete() of an author with no books left", lambda: Author.objects.filter(pk=alan.pk).delete()[0], 1)
    expect("delete() cascades to the books (Django collects them)",
           lambda: Author.objects.filter(pk=grace.pk).delete(), (52, {"django_app.Book": 51, "django_app.Author": 1}))


def check_errors_and_transactions():
    ada = Author.objects.get(email="ada@example.com")
    try:
        Author.objects.create(name="copy", email="ada@example.com")
        fail("unique violation", "create succeeded")
    except IntegrityError as error:
        expect("unique violation (UNIQUE column) -> IntegrityError 23505", sqlstate(error), "23505")
    try:
        Book.objects.create(author=ada, title="Notes", price=1)
        fail("unique violation of the named constraint", "create succeeded")
    except IntegrityError as error:
        expect("unique violation (UniqueConstraint) -> IntegrityError 23505", sqlstate(error), "23505")
    expect("connection usable after IntegrityError", lambda: Author.objects.filter(email="ada@example.com").count(), 1)

    with transaction.atomic():
        Author.objects.create(name="Barbara", email="barbara@example.com")
        expect("inside atomic: own write visible",
               lambda: Author.objects.filter(email="barbara@example.com").count(), 1)
    expect("transaction.atomic commit", lambda: Author.objects.filter(email="barbara@example.com").count(), 1)

    before = (Author.objects.count(), Book.objects.count())
    try:
        with transaction.atomic():
            Author.objects.create(name="ghost", email="ghost@example.com")
            Book.objects.create(author=ada, title="ghost book", price=1)
            Author.objects.create(name="dup", email="barbara@example.com")
        fail("IntegrityError inside atomic", "no error")
    except IntegrityError as error:
        expect("IntegrityError inside atomic propagates (23505)", sqlstate(error), "23505")
    expect("transaction.atomic rolled back: the rows are absent",
           lambda: (Author.objects.filter(email="ghost@example.com").exists(),
                    (Author.objects.count(), Book.objects.count())),
           (False, before))

    with transaction.atomic():
        Author.objects.create(name="kept", email="kept@example.com")
        try:
            with transaction.atomic():
                Author.objects.create(name="undone", email="undone@example.com")
                Author.objects.create(name="dup", email="kept@example.com")
        except IntegrityError:
            ok("IntegrityError inside a nested atomic (savepoint)")
    expect("savepoint rollback keeps the outer writes",
           lambda: sorted(Author.objects.filter(name__in=["kept", "undone"]).values_list("name", flat=True)), ["kept"])

    with transaction.atomic():
        locked = Author.objects.select_for_update().get(pk=ada.pk)
        locked.active = False
        locked.save(update_fields=["active"])
        books = list(Book.objects.select_for_update().filter(author=ada).order_by("title").values_list("title", flat=True))
    ok("select_for_update() inside atomic")
    expect("select_for_update rows and the update made under it",
           lambda: (books, Author.objects.get(pk=ada.pk).active), (["Letters", "Notes"], False))
    with transaction.atomic():
        locked = list(Author.objects.select_for_update(no_key=True).filter(pk=ada.pk).values_list("email", flat=True))
    expect("select_for_update(no_key=True) (FOR NO KEY UPDATE)", locked, ["ada@example.com"])


def check_deferred_foreign_key():
    try:
        with transaction.atomic():
            try:
                Book.objects.create(author_id=999999999, title="orphan", price=1)
            except IntegrityError as error:
                fail("FK DEFERRABLE INITIALLY DEFERRED: a dangling author_id is accepted until commit",
                     f"IntegrityError {sqlstate(error)} at the INSERT")
            ok("FK DEFERRABLE INITIALLY DEFERRED: a dangling author_id is accepted until commit")
        fail("dangling foreign key at commit", "commit succeeded")
    except IntegrityError as error:
        expect("dangling foreign key -> IntegrityError 23503 at commit", sqlstate(error), "23503")
    except ExpectedFailure:
        # Refused at the INSERT: there is no COMMIT to check.
        print("skip  django: dangling foreign key -> IntegrityError 23503 at commit: the check before it failed",
              flush=True)
    expect("the dangling row is absent", lambda: Book.objects.filter(title="orphan").exists(), False)


def check_set_constraints():
    ada = Author.objects.get(email="ada@example.com")
    # What loaddata and TestCase do: SET CONSTRAINTS ALL IMMEDIATE, then DEFERRED.
    with transaction.atomic():
        Book.objects.create(author=ada, title="checked", price=1)
        connection.check_constraints()
    ok("connection.check_constraints() (SET CONSTRAINTS ALL IMMEDIATE / DEFERRED)")


def cleanup():
    call_command("migrate", "django_app", "zero", verbosity=0, interactive=False)
    ok("migrate django_app zero")
    out = io.StringIO()
    call_command("showmigrations", "django_app", stdout=out)
    expect("showmigrations lists 0001_initial as unapplied", lambda: out.getvalue().split(),
           ["django_app", "[", "]", "0001_initial"])
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{PREFIX}django_migrations"')
    expect("tables dropped", lambda: tables(), set())


def cleanup_after_failure():
    """Best effort after a failure: drop whatever is left, over a raw
    connection of its own. Django's may be unusable: a statement the schema
    editor defers to its exit (CREATE INDEX, ADD CONSTRAINT ... FOREIGN KEY)
    that fails leaves Django inside migrate's atomic block."""
    try:
        if connection.connection is not None:
            connection.connection.close()
    except Exception:
        pass
    try:
        raw = connection.get_new_connection(connection.get_connection_params())
        raw.autocommit = True
        with raw.cursor() as cursor:
            for table in (f"{PREFIX}book", f"{PREFIX}author", f"{PREFIX}django_migrations"):
                try:
                    cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
                except Exception:
                    pass
        raw.close()
    except Exception:
        pass


def main():
    try:
        for scenario in (check_migrate, check_crud, check_errors_and_transactions, check_deferred_foreign_key,
                         check_set_constraints):
            try:
                scenario()
            except ExpectedFailure:
                pass  # Reported as xfail; the next scenario starts afresh.
    except BaseException:
        failed_sql = list(LAST_SQL)
        cleanup_after_failure()
        LAST_SQL[:] = failed_sql
        raise
    cleanup()
    connection.close()
    print(f"django {django.get_version()}")
    xfailed = f", {len(XFAILED)} expected failures ({TARGET})" if XFAILED else ""
    print(f"django: {PASSED} passed, 0 failed{xfailed}")


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except DatabaseError as error:
        fail("unexpected database error",
             f"SQLSTATE {sqlstate(error)}: {error!r}; last statement: {repr(LAST_SQL)[:3000]}")
    except Exception as error:
        fail("unexpected error", f"{error!r}; last statement: {repr(LAST_SQL)[:3000]}")
