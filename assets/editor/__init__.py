"""The editors' media library inside the Django admin: the grid, uploads, collections, bulk
actions and the asset page. ``assets/admin.py`` registers the admin classes built from these."""
