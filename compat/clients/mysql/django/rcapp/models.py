"""Models of the Django scenario; table names carry RC_PREFIX (see test_django.py)."""

import os

from django.db import models

PREFIX = os.environ["RC_PREFIX"]


class Author(models.Model):
    name = models.CharField(max_length=50, unique=True)
    email = models.CharField(max_length=100, null=True)
    active = models.BooleanField(default=True)
    joined = models.DateField(null=True)

    class Meta:
        db_table = f"{PREFIX}author"


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)
    copies = models.BigIntegerField(default=0)
    rating = models.FloatField(null=True)
    summary = models.TextField(blank=True, default="")
    added_at = models.DateTimeField(null=True)

    class Meta:
        db_table = f"{PREFIX}book"
