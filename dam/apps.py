from django.contrib.admin.apps import AdminConfig


class DamAdminConfig(AdminConfig):
    """Django's admin, with dam's site (grouped index, see dam/admin_site.py) as ``admin.site``."""

    default_site = "dam.admin_site.DamAdminSite"
