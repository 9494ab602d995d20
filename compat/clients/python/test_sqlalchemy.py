"""SQLAlchemy 2 ORM over psycopg2 against PostgreSQL or rowchain.

Connection from libpq's env (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE);
tables prefixed with RC_PREFIX. SQLAlchemy reflects through pg_catalog queries
(pg_class, pg_attribute, pg_constraint, pg_index, format_type, ...), so the
inspection checks here prove that rowchain answers those catalog queries the
way PostgreSQL does.
"""

import datetime
import decimal
import os
import secrets
import sys
import uuid

import sqlalchemy
from sqlalchemy import (Boolean, DateTime, ForeignKey, Numeric, String, Text, create_engine, func,
                        inspect, select, update, delete)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, mapped_column, relationship,
                            selectinload)

TARGET = os.environ.get("RC_TARGET", "postgres")
PREFIX = os.environ.get("RC_PREFIX") or "t_" + secrets.token_hex(4)
AUTHORS = f"{PREFIX}authors"
BOOKS = f"{PREFIX}books"
PASSED = 0


def fail(check, detail):
    print(f"FAIL sqlalchemy: {check}: {detail}", file=sys.stderr)
    sys.exit(1)


def ok(check):
    global PASSED
    PASSED += 1
    print(f"ok   sqlalchemy: {check}", flush=True)


def expect(check, actual, expected):
    if actual != expected:
        fail(check, f"expected {expected!r}, got {actual!r}")
    ok(check)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = AUTHORS
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    bio: Mapped[str | None] = mapped_column(Text)
    books: Mapped[list["Book"]] = relationship(back_populates="author", cascade="all, delete-orphan",
                                               order_by="Book.id")


class Book(Base):
    __tablename__ = BOOKS
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey(f"{AUTHORS}.id"))
    title: Mapped[str] = mapped_column(String(200))
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(8, 2))
    in_print: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    isbn: Mapped[uuid.UUID | None] = mapped_column(postgresql.UUID(as_uuid=True))
    extra: Mapped[dict | None] = mapped_column(postgresql.JSONB)
    author: Mapped[Author] = relationship(back_populates="books")


def check_schema(engine):
    Base.metadata.create_all(engine)
    ok("metadata.create_all")
    inspector = inspect(engine)
    names = set(inspector.get_table_names())
    expect("inspect: get_table_names lists both tables", {AUTHORS, BOOKS} <= names, True)

    columns = {c["name"]: c for c in inspector.get_columns(BOOKS)}
    expect("inspect: get_columns names", list(columns),
           ["id", "author_id", "title", "price", "in_print", "published_at", "isbn", "extra"])
    kinds = {
        "id": sqlalchemy.INTEGER, "author_id": sqlalchemy.INTEGER, "title": sqlalchemy.VARCHAR,
        "price": sqlalchemy.NUMERIC, "in_print": sqlalchemy.BOOLEAN,
        "published_at": sqlalchemy.TIMESTAMP, "isbn": sqlalchemy.UUID, "extra": postgresql.JSONB,
    }
    for name, kind in kinds.items():
        if not isinstance(columns[name]["type"], kind):
            fail(f"inspect: type of {name}", f"expected {kind.__name__}, got {columns[name]['type']!r}")
    ok("inspect: get_columns types")
    expect("inspect: varchar length", columns["title"]["type"].length, 200)
    expect("inspect: numeric precision and scale",
           (columns["price"]["type"].precision, columns["price"]["type"].scale), (8, 2))
    expect("inspect: timestamptz has timezone", columns["published_at"]["type"].timezone, True)
    expect("inspect: nullability", {n: c["nullable"] for n, c in columns.items()},
           {"id": False, "author_id": False, "title": False, "price": False, "in_print": False,
            "published_at": True, "isbn": True, "extra": True})
    expect("inspect: serial id autoincrements", columns["id"]["autoincrement"], True)

    expect("inspect: get_pk_constraint", inspector.get_pk_constraint(BOOKS)["constrained_columns"], ["id"])
    foreign = [{k: fk[k] for k in ("constrained_columns", "referred_schema", "referred_table", "referred_columns")}
               for fk in inspector.get_foreign_keys(BOOKS)]
    expect("inspect: get_foreign_keys", foreign,
           [{"constrained_columns": ["author_id"], "referred_schema": None,
             "referred_table": AUTHORS, "referred_columns": ["id"]}])
    expect("inspect: get_indexes of a table without secondary indexes", inspector.get_indexes(BOOKS), [])
    indexes = [(i["column_names"], i["unique"]) for i in inspector.get_indexes(AUTHORS)]
    expect("inspect: get_indexes shows the UNIQUE constraint's index", indexes, [(["name"], True)])
    uniques = [u["column_names"] for u in inspector.get_unique_constraints(AUTHORS)]
    expect("inspect: get_unique_constraints", uniques, [["name"]])


def check_orm(engine):
    published = datetime.datetime(2023, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    isbn = uuid.UUID("12345678-1234-5678-1234-567812345678")
    with Session(engine) as session:
        author = Author(name="Ursula ✍", bio=None, books=[
            Book(title="The Dispossessed", price=decimal.Decimal("12.50"), published_at=published,
                 isbn=isbn, extra={"tags": ["sf", "anarchy"], "pages": 387}),
            Book(title="Lathe of Heaven", price=decimal.Decimal("-0.01")),
        ])
        session.add(author)
        session.add(Author(name="Stanisław", books=[Book(title="Solaris", price=decimal.Decimal("9.99"))]))
        session.commit()
        if not isinstance(author.id, int) or not all(isinstance(b.id, int) for b in author.books):
            fail("Session.commit assigns generated keys", f"author {author.id}, books {[b.id for b in author.books]}")
        ok("Session.add + commit assigns serial ids to parent and children")
        author_id = author.id

    with Session(engine) as session:
        author = session.scalars(select(Author).where(Author.name == "Ursula ✍")).one()
        expect("query by unicode parameter", author.id, author_id)
        expect("lazy-loaded one-to-many relationship", [b.title for b in author.books],
               ["The Dispossessed", "Lathe of Heaven"])
        first = author.books[0]
        expect("round trip numeric(8,2)", first.price, decimal.Decimal("12.50"))
        expect("round trip timestamptz", first.published_at, published)
        expect("round trip uuid", first.isbn, isbn)
        expect("round trip jsonb", first.extra, {"tags": ["sf", "anarchy"], "pages": 387})
        expect("Python-side default", first.in_print, True)
        expect("round trip negative numeric", author.books[1].price, decimal.Decimal("-0.01"))
        expect("many-to-one relationship", first.author.name, "Ursula ✍")

        authors = session.scalars(select(Author).options(selectinload(Author.books)).order_by(Author.name)).all()
        expect("selectinload relationship", [(a.name, len(a.books)) for a in authors],
               [("Stanisław", 1), ("Ursula ✍", 2)])
        joined = session.execute(
            select(Author.name, func.count(Book.id), func.sum(Book.price))
            .join(Book).group_by(Author.name).order_by(Author.name)).all()
        expect("join + group by + aggregate", [tuple(r) for r in joined],
               [("Stanisław", 1, decimal.Decimal("9.99")), ("Ursula ✍", 2, decimal.Decimal("12.49"))])

        first.price = decimal.Decimal("13.00")
        session.commit()
        expect("ORM attribute update persisted",
               session.scalar(select(Book.price).where(Book.title == "The Dispossessed")), decimal.Decimal("13.00"))
        result = session.execute(update(Book).where(Book.price < 10).values(in_print=False))
        expect("bulk UPDATE rowcount", result.rowcount, 2)
        session.commit()
        result = session.execute(delete(Book).where(Book.title == "Solaris"))
        expect("bulk DELETE rowcount", result.rowcount, 1)
        session.commit()

        session.delete(author.books[1])
        session.commit()
        expect("Session.delete of a child", session.scalar(select(func.count()).select_from(Book)), 1)
        session.delete(author)
        session.commit()
        expect("cascade delete of parent and children",
               (session.scalar(select(func.count()).select_from(Author)),
                session.scalar(select(func.count()).select_from(Book))), (1, 0))


def check_transactions(engine):
    with Session(engine) as session:
        session.add(Author(name="ghost"))
        session.flush()
        expect("flushed row visible inside the transaction",
               session.scalar(select(func.count()).select_from(Author).where(Author.name == "ghost")), 1)
        session.rollback()
        expect("rolled-back row not visible",
               session.scalar(select(func.count()).select_from(Author).where(Author.name == "ghost")), 0)

        session.add(Author(name="Stanisław"))
        try:
            session.commit()
            fail("duplicate UNIQUE name", "commit succeeded")
        except IntegrityError as error:
            expect("duplicate UNIQUE name raises IntegrityError with SQLSTATE", error.orig.pgcode, "23505")
        session.rollback()

        outer = session.begin()
        session.add(Author(name="kept"))
        nested = session.begin_nested()
        session.add(Author(name="discarded"))
        session.flush()
        nested.rollback()
        outer.commit()
        names = session.scalars(select(Author.name).order_by(Author.name)).all()
        expect("begin_nested (SAVEPOINT) rollback keeps the outer writes", names, ["Stanisław", "kept"])

    with engine.connect() as conn:
        for sql, sqlstate in (("SELEC 1", "42601"), (f"SELECT * FROM {PREFIX}missing", "42P01")):
            try:
                conn.exec_driver_sql(sql)
                fail(f"error SQLSTATE for {sql!r}", "succeeded")
            except DBAPIError as error:
                expect(f"{sql!r} -> SQLSTATE", error.orig.pgcode, sqlstate)
            conn.rollback()


def check_drop(engine):
    Base.metadata.drop_all(engine)
    names = set(inspect(engine).get_table_names())
    expect("metadata.drop_all removes the tables", {AUTHORS, BOOKS} & names, set())


def main():
    engine = create_engine("postgresql+psycopg2://")
    with engine.connect() as conn:
        expect("connect: SELECT 1", conn.exec_driver_sql("SELECT 1").scalar(), 1)
    check_schema(engine)
    check_orm(engine)
    check_transactions(engine)
    check_drop(engine)
    engine.dispose()
    print(f"SQLAlchemy {sqlalchemy.__version__}")
    print(f"sqlalchemy: {PASSED} passed, 0 failed")


if __name__ == "__main__":
    try:
        main()
    except DBAPIError as error:
        fail("unexpected database error", f"SQLSTATE {getattr(error.orig, 'pgcode', None)}: {error}")
