"""The HTTP service: JSON API, web page and results store over the same Scanner as the CLI."""

from facetrust.service.app import ServiceSettings, create_app

__all__ = ["ServiceSettings", "create_app"]
