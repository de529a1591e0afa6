"""SheetBrain: formula-audit backend for the SheetBrain Google Sheets add-on."""

__version__ = "0.1.0"
