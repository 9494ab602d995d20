"""Django's MySQL backend (django.db.backends.mysql over mysqlclient) against
MariaDB or rowchain: migrate, ORM CRUD, IntegrityError, transaction.atomic.

Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE.
Every table carries RC_PREFIX: the app's models set `db_table`, and the
migration recorder's own table becomes `<prefix>django_migrations` (its
model's db_table is patched before migrate), so parallel runs in one database
never collide. `migrate rcapp zero` drops the app's tables at the end and the
recorder table is dropped by hand.

Django's connection sets `client_flag = CLIENT.FOUND_ROWS` (UPDATE counts
matched rows) and, by default on MySQL, READ COMMITTED isolation.
"""

import datetime
import os
import secrets
import sys

os.environ.setdefault("RC_PREFIX", "t_" + secrets.token_hex(4))
PREFIX = os.environ["RC_PREFIX"]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    USE_TZ=False,
    INSTALLED_APPS=["rcapp"],
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    DATABASES={"default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": os.environ.get("MYSQL_DATABASE", "test"),
        "USER": os.environ.get("MYSQL_USER", "root"),
        "PASSWORD": os.environ.get("MYSQL_PASSWORD", ""),
        "HOST": os.environ.get("MYSQL_HOST", "127.0.0.1"),
        "PORT": os.environ.get("MYSQL_PORT", "3306"),
        "OPTIONS": {"charset": "utf8mb4"},
    }},
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import IntegrityError, connection, transaction  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402
from django.db.models import Count, F  # noqa: E402

from rcapp.models import Author, Book  # noqa: E402

MigrationRecorder.Migration._meta.db_table = f"{PREFIX}django_migrations"
PASSED = 0


def fail(check, detail):
    print(f"FAIL django: {check}: {detail}", file=sys.stderr, flush=True)
    sys.exit(1)


def ok(check):
    global PASSED
    PASSED += 1
    print(f"ok   django: {check}", flush=True)


def expect(check, actual, expected):
    if actual != expected:
        fail(check, f"expected {expected!r}, got {actual!r}")
    ok(check)


def tables():
    return {t for t in connection.introspection.table_names() if t.startswith(PREFIX)}


def check_migrate():
    connection.ensure_connection()
    ok(f"connect: server {connection.mysql_server_info}, is_mariadb={connection.mysql_is_mariadb}")
    call_command("migrate", "rcapp", verbosity=0, interactive=False)
    ok("migrate rcapp")
    expect("migrate created the tables", tables(),
           {f"{PREFIX}author", f"{PREFIX}book", f"{PREFIX}django_migrations"})
    applied = MigrationRecorder(connection).applied_migrations()
    expect("migration recorded", sorted(applied), [("rcapp", "0001_initial")])
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, f"{PREFIX}book")
    fks = [c["foreign_key"] for c in constraints.values() if c["foreign_key"]]
    expect("introspection: the foreign key", fks, [(f"{PREFIX}author", "id")])
    call_command("migrate", "rcapp", verbosity=0, interactive=False)
    ok("migrate again is a no-op")


def check_crud():
    ada = Author.objects.create(name="Ada ✓ 😀", email="ada@example.com", joined=datetime.date(1843, 9, 1))
    if not isinstance(ada.pk, int) or ada.pk < 1:
        fail("create: AUTO_INCREMENT pk", ada.pk)
    ok(f"create: AUTO_INCREMENT pk {ada.pk}")
    alan = Author.objects.create(name="Alan", active=False)
    expect("second pk is the next one", alan.pk, ada.pk + 1)
    at = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)
    notes = Book.objects.create(author=ada, title="Notes", copies=9223372036854775807, rating=4.5,
                                summary="analytical engine 😀", added_at=at)
    Book.objects.bulk_create([Book(author=ada, title="Letters"),
                              Book(author=alan, title="Computing", copies=-9223372036854775808)])
    expect("bulk_create", Book.objects.count(), 3)

    got = Book.objects.select_related("author").get(pk=notes.pk)
    expect("round trip: author through select_related", got.author.name, "Ada ✓ 😀")
    expect("round trip: BIGINT max", got.copies, 9223372036854775807)
    expect("round trip: float", got.rating, 4.5)
    expect("round trip: DATETIME(6)", got.added_at, at)
    expect("round trip: text with a 4-byte char", got.summary, "analytical engine 😀")
    expect("round trip: DATE", Author.objects.get(pk=ada.pk).joined, datetime.date(1843, 9, 1))
    expect("round trip: NULLs", Author.objects.values_list("email", "joined").get(pk=alan.pk), (None, None))
    expect("round trip: BIGINT min", Book.objects.get(title="Computing").copies, -9223372036854775808)
    expect("filter on a boolean", list(Author.objects.filter(active=False).values_list("name", flat=True)),
           ["Alan"])
    expect("reverse relation + order_by", list(ada.books.order_by("id").values_list("title", flat=True)),
           ["Notes", "Letters"])
    expect("annotate Count", sorted(Author.objects.annotate(n=Count("books")).values_list("name", "n")),
           [("Ada ✓ 😀", 2), ("Alan", 1)])
    expect("slice (LIMIT/OFFSET)", list(Book.objects.order_by("id").values_list("title", flat=True)[1:3]),
           ["Letters", "Computing"])
    expect("icontains", Book.objects.filter(summary__icontains="ENGINE").count(), 1)

    expect("update() count", Book.objects.filter(author=ada).update(copies=F("copies") - 1), 2)
    expect("update() to the same values counts matched rows (FOUND_ROWS)",
           Author.objects.filter(pk=alan.pk).update(active=False), 1)
    notes.refresh_from_db()
    expect("F() expression update", notes.copies, 9223372036854775806)
    obj, created = Author.objects.get_or_create(name="Alan", defaults={"email": "x"})
    expect("get_or_create finds the row", (obj.pk, created), (alan.pk, False))
    obj, created = Author.objects.update_or_create(name="Grace", defaults={"email": "grace@example.com"})
    expect("update_or_create creates", created, True)
    obj, created = Author.objects.update_or_create(name="Grace", defaults={"email": "g@example.com"})
    expect("update_or_create updates", (created, Author.objects.get(name="Grace").email), (False, "g@example.com"))
    deleted, per_model = Book.objects.filter(title="Letters").delete()
    expect("delete() count", deleted, 1)


def check_errors_and_transactions():
    try:
        with transaction.atomic():
            Author.objects.create(name="Alan")
        fail("unique violation", "create succeeded")
    except IntegrityError as error:
        expect("unique violation -> IntegrityError 1062", error.args[0], 1062)
    expect("connection usable after IntegrityError", Author.objects.filter(name="Alan").count(), 1)

    before = (Author.objects.count(), Book.objects.count())
    try:
        with transaction.atomic():
            grace = Author.objects.get(name="Grace")
            Book.objects.create(author=grace, title="COBOL")
            Author.objects.filter(name="Alan").update(email="changed")
            expect("inside atomic: own writes visible", Book.objects.filter(title="COBOL").count(), 1)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    expect("transaction.atomic rollback leaves nothing", (Author.objects.count(), Book.objects.count()), before)
    expect("rolled-back update not visible", Author.objects.get(name="Alan").email, None)

    with transaction.atomic():
        Book.objects.create(author=Author.objects.get(name="Grace"), title="kept")
        try:
            with transaction.atomic():
                Book.objects.create(author=Author.objects.get(name="Grace"), title="undone")
                Author.objects.create(name="Ada ✓ 😀")
        except IntegrityError:
            ok("IntegrityError inside a nested atomic (savepoint)")
    expect("savepoint rollback keeps the outer writes",
           sorted(Book.objects.filter(title__in=["kept", "undone"]).values_list("title", flat=True)), ["kept"])

    expect("cascade delete (the author and its book)", Author.objects.filter(name="Ada ✓ 😀").delete()[0], 2)


def cleanup():
    call_command("migrate", "rcapp", "zero", verbosity=0, interactive=False)
    ok("migrate rcapp zero")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE `{PREFIX}django_migrations`")
    expect("tables dropped", tables(), set())


def main():
    check_migrate()
    try:
        check_crud()
        check_errors_and_transactions()
    finally:
        if sys.exc_info()[0] is not None:
            try:
                cleanup()
            except Exception:
                pass
    cleanup()
    connection.close()
    print(f"django {django.get_version()}")
    print(f"django: {PASSED} passed, 0 failed")


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as error:
        fail("unexpected error", repr(error))
