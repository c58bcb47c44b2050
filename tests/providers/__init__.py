"""Providers kept outside the package, loaded with the ``provider_modules`` setting."""
