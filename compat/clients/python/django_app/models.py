"""Models of the Django scenario (test_django.py). Table and constraint names
carry RC_PREFIX so that parallel runs in one database never collide."""

import os

from django.db import models

PREFIX = os.environ["RC_PREFIX"]


class Author(models.Model):
    # db_index on a CharField: Django adds a second, varchar_pattern_ops index
    # ("..._like") for LIKE/startswith lookups.
    name = models.CharField(max_length=100, db_index=True)
    # unique=True: UNIQUE in CREATE TABLE, plus its own "_like" index.
    email = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = f"{PREFIX}author"


class Book(models.Model):
    # Added after CREATE TABLE: ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY
    # ... DEFERRABLE INITIALLY DEFERRED, and an index on author_id.
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    in_print = models.BooleanField(default=True)
    published_at = models.DateTimeField(null=True)
    data = models.JSONField(default=dict)

    class Meta:
        db_table = f"{PREFIX}book"
        # A named constraint: ALTER TABLE ... ADD CONSTRAINT ... UNIQUE (...).
        constraints = [models.UniqueConstraint(fields=["author", "title"], name=f"{PREFIX}book_author_title")]
