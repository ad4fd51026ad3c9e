from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from common.storage import as_media_store, media_store_prepare, public_read_policy


class Command(BaseCommand):
    help = (
        "With KF_MEDIA_STORAGE=s3: create the media bucket if it is missing and give it "
        "the policy that lets anyone read the public media (videos/, posters/, covers/, "
        "avatars/) and nobody read private/ without a signed URL. --print-policy prints "
        "the policy instead, for stores whose console sets it (Aliyun OSS, Tencent COS)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--print-policy", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        store = as_media_store(default_storage)
        if store is None:
            raise CommandError("Media is on the local disk (KF_MEDIA_STORAGE is not s3).")
        bucket, location = store.bucket_name, store.location
        if options["print_policy"]:
            self.stdout.write(public_read_policy(bucket, location=location))
            return
        created = media_store_prepare(store)
        verb = "Created" if created else "Found"
        self.stdout.write(self.style.SUCCESS(f"{verb} bucket {bucket}; public-read policy set."))
