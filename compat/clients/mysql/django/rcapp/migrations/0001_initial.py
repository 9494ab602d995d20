# Written by hand to match rcapp/models.py (makemigrations would freeze the prefix).
import os

import django.db.models.deletion
from django.db import migrations, models

PREFIX = os.environ["RC_PREFIX"]


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Author",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50, unique=True)),
                ("email", models.CharField(max_length=100, null=True)),
                ("active", models.BooleanField(default=True)),
                ("joined", models.DateField(null=True)),
            ],
            options={"db_table": f"{PREFIX}author"},
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200)),
                ("copies", models.BigIntegerField(default=0)),
                ("rating", models.FloatField(null=True)),
                ("summary", models.TextField(blank=True, default="")),
                ("added_at", models.DateTimeField(null=True)),
                ("author", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="books",
                                             to="rcapp.author")),
            ],
            options={"db_table": f"{PREFIX}book"},
        ),
    ]
