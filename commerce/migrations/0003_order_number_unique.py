from django.db import migrations, models

import commerce.models


def fill_numbers(apps, schema_editor):
    Order = apps.get_model("commerce", "Order")
    for order in Order.objects.filter(number__isnull=True).only("pk").iterator():
        Order.objects.filter(pk=order.pk).update(number=commerce.models.new_order_number())


class Migration(migrations.Migration):
    dependencies = [("commerce", "0002_payments_refunds_ledger")]

    operations = [
        migrations.RunPython(fill_numbers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="number",
            field=models.CharField(
                default=commerce.models.new_order_number, max_length=24, unique=True
            ),
        ),
    ]
