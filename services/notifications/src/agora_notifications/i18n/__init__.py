"""Translations of notification texts: gettext catalogs (Babel) shipped as package data."""
