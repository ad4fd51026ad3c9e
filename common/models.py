"""Abstract base for every table: creation and update times in UTC."""

from django.db import models


class BaseModel(models.Model):
    """Timestamps every row carries.

    .. no_pii:
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
