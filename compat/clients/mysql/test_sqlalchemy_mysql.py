"""SQLAlchemy 2 ORM over PyMySQL (`mysql+pymysql`) against MariaDB or rowchain.

Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE;
tables prefixed with RC_PREFIX. SQLAlchemy's MySQL dialect asks for
`SHOW VARIABLES LIKE 'sql_mode'`, `lower_case_table_names`, the isolation
level and the default schema at first connect, checks table existence with
DESCRIBE before CREATE/DROP, and reflects a table by parsing
`SHOW CREATE TABLE`, so the inspection checks here prove that rowchain's
SHOW CREATE TABLE reads like MySQL's.
"""

import datetime
import os
import secrets
import sys
import urllib.parse

import sqlalchemy
from sqlalchemy import (BigInteger, Boolean, Date, Double, ForeignKey, Integer, String, Text, create_engine,
                        delete, func, inspect, select, text, update)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

TARGET = os.environ.get("RC_TARGET", "mariadb")
PREFIX = os.environ.get("RC_PREFIX") or "t_" + secrets.token_hex(4)
AUTHORS = f"{PREFIX}authors"
BOOKS = f"{PREFIX}books"
PASSED = 0


def fail(check, detail):
    print(f"FAIL sqlalchemy: {check}: {detail}", file=sys.stderr, flush=True)
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
    __table_args__ = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    bio: Mapped[str | None] = mapped_column(Text)
    books: Mapped[list["Book"]] = relationship(back_populates="author", cascade="all, delete-orphan",
                                               order_by="Book.id")


class Book(Base):
    __tablename__ = BOOKS
    __table_args__ = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_id: Mapped[int] = mapped_column(ForeignKey(f"{AUTHORS}.id"))
    title: Mapped[str] = mapped_column(String(200))
    copies: Mapped[int] = mapped_column(BigInteger, default=0)
    rating: Mapped[float | None] = mapped_column(Double)
    in_print: Mapped[bool] = mapped_column(Boolean, default=True)
    published: Mapped[datetime.date | None] = mapped_column(Date)
    added_at: Mapped[datetime.datetime | None] = mapped_column(mysql.DATETIME(fsp=6))
    author: Mapped[Author] = relationship(back_populates="books")


def url():
    user = urllib.parse.quote(os.environ.get("MYSQL_USER", "root"), safe="")
    password = urllib.parse.quote(os.environ.get("MYSQL_PASSWORD", ""), safe="")
    host = os.environ.get("MYSQL_HOST", "127.0.0.1")
    port = os.environ.get("MYSQL_PORT", "3306")
    database = os.environ.get("MYSQL_DATABASE", "test")
    return f"mysql+pymysql://{user}:{password}@{host}:{port}/{database}?charset=utf8mb4"


def check_connect(engine):
    with engine.connect() as conn:
        expect("connect: SELECT 1", conn.execute(text("SELECT 1")).scalar(), 1)
        dialect = engine.dialect
        if not dialect.server_version_info or not isinstance(dialect.server_version_info[0], int):
            fail("connect: server_version_info", dialect.server_version_info)
        ok(f"connect: server_version_info {dialect.server_version_info[:3]}, is_mariadb={dialect.is_mariadb}")
        expect("connect: default schema is the database", dialect.default_schema_name,
               os.environ.get("MYSQL_DATABASE", "test"))
        # rowchain validates every read of a transaction at COMMIT: SERIALIZABLE.
        expected_level = "SERIALIZABLE" if os.environ.get("RC_TARGET") == "rowchain" else "REPEATABLE READ"
        expect("connect: isolation level", conn.get_isolation_level(), expected_level)


def check_schema(engine):
    Base.metadata.create_all(engine)
    ok("metadata.create_all")
    inspector = inspect(engine)
    expect("inspect: has_table", inspector.has_table(AUTHORS), True)
    names = set(inspector.get_table_names())
    expect("inspect: get_table_names lists both tables", {AUTHORS, BOOKS} <= names, True)
    columns = {c["name"]: c for c in inspector.get_columns(BOOKS)}
    expect("inspect: column order", list(columns),
           ["id", "author_id", "title", "copies", "rating", "in_print", "published", "added_at"])
    types = {name: type(c["type"]).__name__ for name, c in columns.items()}
    expect("inspect: column types", types, {
        "id": "INTEGER", "author_id": "INTEGER", "title": "VARCHAR", "copies": "BIGINT", "rating": "DOUBLE",
        "in_print": "TINYINT", "published": "DATE", "added_at": "DATETIME"})
    expect("inspect: VARCHAR length", columns["title"]["type"].length, 200)
    expect("inspect: DATETIME fsp", columns["added_at"]["type"].fsp, 6)
    expect("inspect: nullability", {n: c["nullable"] for n, c in columns.items()}, {
        "id": False, "author_id": False, "title": False, "copies": False, "rating": True,
        "in_print": False, "published": True, "added_at": True})
    expect("inspect: AUTO_INCREMENT id", columns["id"].get("autoincrement"), True)
    expect("inspect: primary key", inspector.get_pk_constraint(BOOKS)["constrained_columns"], ["id"])
    fks = inspector.get_foreign_keys(BOOKS)
    expect("inspect: foreign key", [(f["constrained_columns"], f["referred_table"], f["referred_columns"])
                                    for f in fks], [(["author_id"], AUTHORS, ["id"])])
    uniques = inspector.get_unique_constraints(AUTHORS)
    expect("inspect: unique constraint on name", [u["column_names"] for u in uniques], [["name"]])


def check_orm(engine):
    with Session(engine) as session:
        ada = Author(name="Ada ✓ 😀", bio="first programmer",
                     books=[Book(title="Notes", copies=9223372036854775807, rating=4.5,
                                 published=datetime.date(1843, 9, 1),
                                 added_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)),
                            Book(title="Letters", in_print=False)])
        alan = Author(name="Alan", books=[Book(title="Computing Machinery", copies=-9223372036854775808,
                                               in_print=False)])
        session.add_all([ada, alan])
        session.commit()
        ok("Session add_all + commit (AUTO_INCREMENT ids from lastrowid)")
        ids = [ada.id, alan.id]
        if not all(isinstance(i, int) for i in ids) or ids[1] <= ids[0]:
            fail("AUTO_INCREMENT ids", ids)
        ok(f"AUTO_INCREMENT ids assigned {ids}")
        book_ids = [b.id for b in ada.books] + [alan.books[0].id]
        expect("book ids ascend", book_ids == sorted(book_ids) and len(set(book_ids)) == 3, True)

    with Session(engine) as session:
        ada = session.scalars(select(Author).where(Author.name == "Ada ✓ 😀")).one()
        expect("lazy relationship load", [b.title for b in ada.books], ["Notes", "Letters"])
        notes = ada.books[0]
        expect("round trip BIGINT max", notes.copies, 9223372036854775807)
        expect("round trip DOUBLE", notes.rating, 4.5)
        expect("round trip Boolean and its default", (notes.in_print, ada.books[1].in_print), (True, False))
        expect("round trip DATE", notes.published, datetime.date(1843, 9, 1))
        expect("round trip DATETIME(6)", notes.added_at, datetime.datetime(2024, 1, 2, 3, 4, 5, 678901))
        expect("round trip NULLs", (ada.books[1].rating, ada.books[1].published), (None, None))
        expect("column default applied", ada.books[1].copies, 0)
        authors = session.scalars(select(Author).options(selectinload(Author.books)).order_by(Author.id)).all()
        expect("selectinload", [(a.name, len(a.books)) for a in authors], [("Ada ✓ 😀", 2), ("Alan", 1)])
        expect("round trip BIGINT min", authors[1].books[0].copies, -9223372036854775808)
        expect("filter on a Boolean", session.scalars(select(Book.title).where(Book.in_print.is_(True))).all(),
               ["Notes"])
        counts = session.execute(select(Author.name, func.count(Book.id)).join(Book).group_by(Author.name)
                                 .order_by(Author.name)).all()
        expect("join + GROUP BY", [tuple(r) for r in counts], [("Ada ✓ 😀", 2), ("Alan", 1)])
        page = session.scalars(select(Book.title).order_by(Book.id).limit(2).offset(1)).all()
        expect("LIMIT/OFFSET", page, ["Letters", "Computing Machinery"])

        notes.rating = 5.0
        session.commit()
        expect("ORM UPDATE committed", session.scalar(select(Book.rating).where(Book.title == "Notes")), 5.0)
        result = session.execute(update(Book).where(Book.in_print.is_(False)).values(copies=Book.copies + 1))
        expect("bulk UPDATE rowcount", result.rowcount, 2)
        session.commit()

        session.add(Author(name="Alan"))
        try:
            session.commit()
            fail("unique violation", "commit succeeded")
        except IntegrityError as error:
            expect("unique violation -> IntegrityError 1062", error.orig.args[0], 1062)
        session.rollback()
        expect("session usable after rollback", session.scalar(select(func.count()).select_from(Author)), 2)

        session.add(Author(name="Grace"))
        session.flush()
        expect("flushed row visible in the transaction",
               session.scalar(select(func.count()).select_from(Author).where(Author.name == "Grace")), 1)
        session.rollback()
        expect("rolled-back row gone",
               session.scalar(select(func.count()).select_from(Author).where(Author.name == "Grace")), 0)

        try:
            session.execute(text(f"SELECT * FROM `{PREFIX}missing`"))
            fail("unknown table", "succeeded")
        except ProgrammingError as error:
            expect("unknown table -> ProgrammingError 1146", error.orig.args[0], 1146)
        session.rollback()

        alan = session.scalars(select(Author).where(Author.name == "Alan")).one()
        session.delete(alan)
        session.commit()
        expect("ORM delete cascades to children", session.scalar(select(func.count()).select_from(Book)), 2)
        result = session.execute(delete(Book).where(Book.title == "Letters"))
        expect("bulk DELETE rowcount", result.rowcount, 1)
        session.commit()


def check_drop(engine):
    Base.metadata.drop_all(engine)
    ok("metadata.drop_all")
    expect("tables gone", {AUTHORS, BOOKS} & set(inspect(engine).get_table_names()), set())


def main():
    engine = create_engine(url())
    check_connect(engine)
    try:
        check_schema(engine)
        check_orm(engine)
    finally:
        if sys.exc_info()[0] is not None:
            Base.metadata.drop_all(engine)
    check_drop(engine)
    engine.dispose()
    print(f"sqlalchemy {sqlalchemy.__version__}")
    print(f"sqlalchemy: {PASSED} passed, 0 failed")


if __name__ == "__main__":
    try:
        main()
    except sqlalchemy.exc.DBAPIError as error:
        fail("unexpected database error", f"{error.orig!r} in {error.statement}")
